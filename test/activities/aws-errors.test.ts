import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ApplicationFailure } from '@temporalio/common';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsErrorCode, classifyAwsError, guard, guardAll, isNotFound, KEYS_REFUSED_CODES, toFailure } from '../../cloud/aws-errors';
import { refusedKeysAreFinal } from '../../cloud/aws-retry';
import { clientConfig } from '../../cloud/aws-session';
import { SqliteStore } from '../../store/sqlite-store';
import { loadConfig } from '../../common/config';
import { SecretBox } from '../../common/secret-box';
import { errorResponse } from '../../sim/errors';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** An error shaped exactly as the SDK throws it for an AWS error response. */
function awsError(code: string, message = `${code} happened`, httpStatusCode = 400): Error {
  return new EC2ServiceException({ name: code, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode, requestId: 'req-1' }, message });
}

function networkError(code: string): Error {
  // What the SDK throws after its retries when nothing answers: a Node error plus attempt counts.
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code, $metadata: { attempts: 8, totalRetryDelay: 5000 } });
}

describe('AWS error classification', () => {
  it.each([
    'VpcLimitExceeded',
    'AddressLimitExceeded',
    'NatGatewayLimitExceeded',
    'VcpuLimitExceeded',
    'InstanceLimitExceeded',
    'RulesPerSecurityGroupLimitExceeded',
    'LimitExceededException',
    'InvalidParameterValue',
    'InvalidParameterCombination',
    'InvalidUserData.Malformed',
    'InvalidVpcID.Malformed',
    'UnauthorizedOperation',
    'AuthFailure',
    'InvalidKeyPair.NotFound',
    'InvalidAMIID.NotFound',
    'InvalidAMIID.Unavailable',
    'IdempotentParameterMismatch',
    'ValidationError',
    'TooManyLoadBalancers',
  ])('%s is not retryable', (code) => {
    expect(classifyAwsError(awsError(code))).toEqual({ code, message: `${code} happened`, retryable: false });
  });

  it.each([
    ['RequestLimitExceeded', 503],
    ['Throttling', 400],
    ['ThrottlingException', 400],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['SomethingNewOnTheServerSide', 502],
    ['DependencyViolation', 400],
    ['IncorrectState', 400],
    ['IncorrectInstanceState', 400],
    ['InsufficientInstanceCapacity', 500],
    ['InvalidInstanceID.NotFound', 400],
    ['InvalidIPAddress.InUse', 400],
  ])('%s (HTTP %d) is retryable', (code, status) => {
    expect(classifyAwsError(awsError(code, 'x', status))?.retryable).toBe(true);
  });

  it('treats a refused or reset connection as retryable, even with the SDK’s attempt metadata', () => {
    expect(classifyAwsError(networkError('ECONNREFUSED'))).toEqual({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9', retryable: true });
    expect(classifyAwsError(networkError('ECONNRESET'))?.retryable).toBe(true);
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))?.code).toBe('TimeoutError');
  });

  it('names an answer that is not AWS’s (an HTML page) for what it is', () => {
    const parseError = Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      $metadata: { httpStatusCode: 404 },
    });
    expect(classifyAwsError(parseError)).toEqual({
      code: 'UnexpectedResponse',
      message: 'HTTP 404: the endpoint\'s answer is not an AWS response (Unexpected token \'<\', "<!doctype "... is not valid JSON)',
      retryable: false,
    });
    expect(classifyAwsError(Object.assign(parseError, { $metadata: { httpStatusCode: 502 } }))?.retryable).toBe(true);
  });

  it('leaves other errors alone', () => {
    expect(classifyAwsError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyAwsError('a string')).toBeUndefined();
    const bug = new TypeError('x is undefined');
    expect(toFailure(bug)).toBe(bug);
    const ours = ApplicationFailure.nonRetryable('mine', 'Mine');
    expect(toFailure(ours)).toBe(ours);
  });

  it('reads the code and recognises NotFound', () => {
    expect(awsErrorCode(awsError('InvalidVpcID.NotFound'))).toBe('InvalidVpcID.NotFound');
    expect(isNotFound(awsError('InvalidVpcID.NotFound'))).toBe(true);
    expect(isNotFound(awsError('NatGatewayNotFound'))).toBe(true);
    expect(isNotFound(awsError('DependencyViolation'))).toBe(false);
    expect(isNotFound(new Error('NotFound'))).toBe(false);
  });

  it('guard turns an AWS error into an ApplicationFailure "<Code>: <message>" typed by the code', async () => {
    const quota = guard(async () => {
      throw awsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    });
    const failure = await quota().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      message: 'AddressLimitExceeded: The maximum number of addresses has been reached.',
      type: 'AddressLimitExceeded',
      nonRetryable: true,
    });
    // Nothing of the raw response crosses into Temporal.
    expect((failure as ApplicationFailure).cause).toBeUndefined();

    const throttled = await guard(async () => {
      throw awsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    })().catch((e: unknown) => e);
    expect(throttled).toMatchObject({ type: 'RequestLimitExceeded', nonRetryable: false });
  });

  it('guardAll keeps every activity name and its result', async () => {
    const wrapped = guardAll({ ensureThing: async (n: number) => n * 2, failThing: async () => Promise.reject(awsError('AuthFailure')) });
    expect(Object.keys(wrapped)).toEqual(['ensureThing', 'failThing']);
    expect(wrapped.ensureThing.name).toBe('ensureThing');
    await expect(wrapped.ensureThing(21)).resolves.toBe(42);
    await expect(wrapped.failThing()).rejects.toMatchObject({ type: 'AuthFailure', nonRetryable: true });
  });
});

describe('keys AWS refused', () => {
  const ACCOUNT = '6f1c2a4e-0000-4000-8000-000000000001';
  const SCOPE = { accountId: ACCOUNT, region: 'us-east-1', owner: { project: 'default', cluster: 'demo' } };

  // Each protocol's words for keys that are wrong, revoked or expired (AWS's common errors).
  it.each([
    ['AuthFailure', 401],
    ['RequestExpired', 400],
    ['InvalidClientTokenId', 403],
    ['ExpiredToken', 403],
    ['ExpiredTokenException', 403],
    ['UnrecognizedClientException', 400],
    ['SignatureDoesNotMatch', 403],
    ['InvalidSignatureException', 403],
    ['InvalidAccessKeyId', 403],
  ])('%s (HTTP %d) fails the activity for good, naming the account and how to rotate its keys', async (code, status) => {
    expect(KEYS_REFUSED_CODES.has(code)).toBe(true);
    expect(classifyAwsError(awsError(code, 'The security token included in the request is expired', status))?.retryable).toBe(false);
    const activity = guard(async (_input: { scope: typeof SCOPE }) => {
      throw awsError(code, 'The security token included in the request is expired', status);
    });
    const failure = await activity({ scope: SCOPE }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: code, nonRetryable: true });
    expect((failure as Error).message).toBe(
      `${code}: AWS refused the keys of cloud account ${ACCOUNT} (The security token included in the request is expired): ` +
        `they are wrong, expired or revoked; rotate them with PATCH /v1/cloud-accounts/${ACCOUNT}, then run the operation again`,
    );
  });

  it('finds the account at the top of the input too (describeAvailabilityZones), and says so without one', async () => {
    const regions = guard(async (_input: { accountId: string; region: string }) => Promise.reject(awsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)));
    await expect(regions({ accountId: ACCOUNT, region: 'us-east-1' })).rejects.toMatchObject({ message: expect.stringContaining(`PATCH /v1/cloud-accounts/${ACCOUNT}`) });
    expect(toFailure(awsError('ExpiredToken', 'expired', 403))).toMatchObject({ message: expect.stringContaining('the cloud account (expired)'), nonRetryable: true });
  });

  it('leaves keys that work but lack a permission alone: no rotation would help', () => {
    for (const code of ['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']) {
      const failure = toFailure(awsError(code, 'not allowed', 403)) as ApplicationFailure;
      expect(failure).toMatchObject({ message: `${code}: not allowed`, nonRetryable: true });
    }
  });
});

/**
 * The SDK's own retries, over real HTTP: a server whose Date is ten minutes off (a skewed
 * clock here or there) refusing every call. The SDK corrects its clock on each answer and
 * then counts the error as transient, whatever its code.
 */
describe('the SDK does not retry refused keys', () => {
  let server: http.Server;
  let endpoint: string;
  let code = 'ExpiredToken';
  let requests = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        const answer = errorResponse({ protocol: 'query', service: 'sts' }, code, 'The security token included in the request is expired', 403);
        res.writeHead(answer.status, { ...answer.headers, date: new Date(Date.now() - 10 * 60_000).toUTCString() });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function attempts(refused: string, extensions: Array<typeof refusedKeysAreFinal>): Promise<number> {
    code = refused;
    requests = 0;
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'AKIAEXPIREDKEY000001', secretAccessKey: 'expired-secret-0000000001' },
      maxAttempts: 8,
      retryMode: 'standard',
      extensions,
    });
    try {
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: refused });
      return requests;
    } finally {
      sts.destroy();
    }
  }

  it('on its own, retries an ExpiredToken answered by a skewed server', async () => {
    expect(await attempts('ExpiredToken', [])).toBeGreaterThan(1);
  });

  it('with refusedKeysAreFinal, sends an ExpiredToken or InvalidClientTokenId call once', async () => {
    expect(await attempts('ExpiredToken', [refusedKeysAreFinal])).toBe(1);
    expect(await attempts('InvalidClientTokenId', [refusedKeysAreFinal])).toBe(1);
  });

  it('gives a signature error one retry after the first clock correction, since the clock may have been the cause', async () => {
    expect(await attempts('SignatureDoesNotMatch', [refusedKeysAreFinal])).toBe(2);
  });

  it('holds for the clients activities make (clientConfig)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-retry-'));
    const store = await SqliteStore.open(dataDir);
    const secretBox = new SecretBox(Buffer.alloc(32, 7));
    const id = 'acc-skewed';
    await store.insertCloudAccount({
      id,
      project: 'default',
      name: 'skewed',
      accessKeyId: 'AKIAEXPIREDKEY000002',
      sealedSecret: secretBox.seal(JSON.stringify({ secretAccessKey: 'expired-secret-0000000002' }), id),
      createdAt: new Date().toISOString(),
    });
    const sts = new STSClient(clientConfig({ config: loadConfig({ AWS_ENDPOINT_URL: endpoint }), store, secretBox }, { project: 'default', accountId: id }, 'us-east-1'));
    try {
      code = 'ExpiredToken';
      requests = 0;
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
      expect(requests).toBe(1);
    } finally {
      sts.destroy();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

