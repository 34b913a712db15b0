import { randomUUID } from 'node:crypto';
import type { AwsCall, WireProtocol } from './protocol';

/**
 * AWS errors in each protocol's own wire shape, so that an SDK parses them into the named
 * exception with the right retryability:
 *  - EC2 query:       <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *  - other query APIs (ELB, ELBv2, IAM, STS): <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
 *  - JSON 1.0/1.1:    {"__type": "Code", "message": "…"} with x-amzn-ErrorType
 *  - REST:            {"message": "…"} with x-amzn-ErrorType
 */

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = defaultStatus(code),
  ) {
    super(message);
  }
}

/** The HTTP status AWS answers with for well-known codes; 400 for client errors otherwise. */
export function defaultStatus(code: string): number {
  switch (code) {
    case 'RequestLimitExceeded':
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
    case 'Unavailable':
    case 'SlowDown':
      return 503;
    case 'InternalError':
    case 'InternalFailure':
    case 'InternalServiceError':
    case 'InternalServiceErrorException':
    case 'InternalServerError':
    case 'InternalServerException':
    case 'InsufficientInstanceCapacity':
    case 'InsufficientAddressCapacity':
    case 'InsufficientCapacity':
    case 'InsufficientHostCapacity':
    case 'InsufficientReservedInstanceCapacity':
      return 500;
    default:
      return 400;
  }
}

const QUERY_NAMESPACES: Record<string, string> = {
  elb: 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/',
  elbv2: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function errorResponse(
  call: Pick<AwsCall, 'protocol' | 'service'>,
  code: string,
  message: string,
  status: number = defaultStatus(code),
): WireResponse {
  const requestId = randomUUID();
  return renderError(call.protocol, call.service, code, message, status, requestId);
}

function renderError(protocol: WireProtocol, service: string, code: string, message: string, status: number, requestId: string): WireResponse {
  switch (protocol) {
    case 'ec2': {
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
        `<RequestID>${requestId}</RequestID></Response>`;
      return { status, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, body: Buffer.from(body) };
    }
    case 'query': {
      const ns = QUERY_NAMESPACES[service];
      const type = status >= 500 ? 'Receiver' : 'Sender';
      const body =
        `<ErrorResponse${ns ? ` xmlns="${ns}"` : ''}><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
        `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: Buffer.from(body) };
    }
    case 'json':
      return {
        status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
        body: Buffer.from(JSON.stringify({ __type: code, message })),
      };
    case 'rest':
      return {
        status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
        body: Buffer.from(JSON.stringify({ message })),
      };
  }
}

/** A JSON-protocol success answer. */
export function jsonResponse(value: unknown): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: Buffer.from(JSON.stringify(value)),
  };
}

/** An EC2 query success answer from already-rendered inner XML. */
export function ec2Response(action: string, inner: string): WireResponse {
  const requestId = randomUUID();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${inner}</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, body: Buffer.from(body) };
}
