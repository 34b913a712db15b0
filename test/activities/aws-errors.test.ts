import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { awsErrorCode, classifyAwsError, guard, guardAll, isNotFound, toFailure } from '../../activities/aws-errors';

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
