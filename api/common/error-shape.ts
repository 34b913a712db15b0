import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { BODY_PROTOTYPE_KEY, BODY_TOO_DEEP, MAX_BODY_BYTES, MAX_BODY_DEPTH } from './body-limits';

/** One problem with the request: which field, which rule, in words. */
export interface FieldProblem {
  field: string;
  rule: string;
  message: string;
}

/** The contract's error body: `{statusCode, error, message, details?}`. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/** Throwable with a contract-shaped body; the filter sends it as it is. */
export class ApiError extends HttpException {
  constructor(statusCode: number, message: string, details?: unknown) {
    const error = HTTP_REASONS[statusCode] ?? 'Error';
    super({ statusCode, error, message, ...(details === undefined ? {} : { details }) } satisfies ErrorBody, statusCode);
  }
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Sends every error in the contract's shape, whatever threw it. */
@Catch()
export class ContractErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const raw = exception.getResponse();
      if (typeof raw === 'object' && raw !== null && 'statusCode' in raw && 'error' in raw && typeof (raw as ErrorBody).message === 'string') {
        return raw as ErrorBody;
      }
      const message =
        typeof raw === 'string' ? raw : Array.isArray((raw as { message?: unknown }).message) ? ((raw as { message: string[] }).message.join('; ')) : String((raw as { message?: unknown }).message ?? exception.message);
      return { statusCode: status, error: HTTP_REASONS[status] ?? 'Error', message };
    }
    const parserBody = bodyParserErrorBody(exception);
    if (parserBody) return parserBody;
    this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, error: 'Internal Server Error', message: 'internal error; see the API log' };
  }
}

function bodyProblem(statusCode: number, rule: string, message: string): ErrorBody {
  return { statusCode, error: HTTP_REASONS[statusCode] ?? 'Error', message: `body: ${message}`, details: [{ field: 'body', rule, message } satisfies FieldProblem] };
}

/**
 * body-parser's errors (and the depth guard's, made alike) carry a `type`: a malformed,
 * oversized or too-deep body is the client's fault, never a 500.
 */
export function bodyParserErrorBody(error: unknown): ErrorBody | undefined {
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof type !== 'string') return undefined;
  if (type === 'entity.parse.failed') return bodyProblem(400, 'json', 'the request body is not valid JSON');
  if (type === 'entity.too.large') return bodyProblem(413, 'max-size', `the request body is larger than ${MAX_BODY_BYTES / (1024 * 1024)} MB (${MAX_BODY_BYTES} bytes)`);
  if (type === BODY_TOO_DEEP) return bodyProblem(400, 'max-depth', `the request body nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep`);
  if (type === BODY_PROTOTYPE_KEY) {
    const { key, at } = error as { key?: unknown; at?: unknown };
    return bodyProblem(400, 'no-prototype-keys', `${String(at)} has the key "${String(key)}", which the API cannot carry (it names a JavaScript object's prototype): rename it`);
  }
  // The rest (an unsupported charset or content encoding, a body cut short) are http-errors
  // with their own 4xx, marked safe to show.
  if (expose === true && typeof status === 'number' && status >= 400 && status < 500) return bodyProblem(status, type, (error as Error).message);
  return undefined;
}
