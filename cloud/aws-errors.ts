import { ApplicationFailure } from '@temporalio/common';

/**
 * Turns AWS SDK errors into Temporal failures an operator can read ("<Code>: <message>",
 * type = the code) and that Temporal retries only when retrying can help.
 */

/** The AWS error code of an SDK error (`InvalidVpcID.NotFound`), or undefined for anything else. */
export function awsErrorCode(error: unknown): string | undefined {
  if (!isAwsServiceError(error)) return undefined;
  const withCode = error as { Code?: unknown; name: string };
  // Query-protocol services (EC2, ELB) name the exception class in `name` and may keep the wire code in `Code`.
  return typeof withCode.Code === 'string' && withCode.Code ? withCode.Code : withCode.name;
}

/**
 * True for an error the AWS SDK built from a service response. (The SDK also puts
 * `$metadata`, attempt counts only, on network errors: those have no status and no fault.)
 */
export function isAwsServiceError(error: unknown): error is Error & { $metadata: { httpStatusCode?: number }; $fault?: string } {
  if (!(error instanceof Error)) return false;
  const { $metadata, $fault } = error as { $metadata?: { httpStatusCode?: unknown }; $fault?: unknown };
  if (typeof $metadata !== 'object' || $metadata === null) return false;
  return typeof $fault === 'string' || typeof $metadata.httpStatusCode === 'number';
}

/** True when `error` is an AWS error with one of `codes`. */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(error);
  if (code === undefined) return false;
  return codes.includes(code) || codes.includes((error as Error).name);
}

/** True for any `*.NotFound`/`*NotFound*` AWS error: what a delete of something already gone gets. */
export function isNotFound(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && /NotFound/i.test(code);
}

/** Errors no amount of retrying fixes: bad input, missing permission, a quota, a missing prerequisite. */
const NON_RETRYABLE_CODES = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'UnknownParameter',
  'ValidationError',
  'ValidationException',
  'InvalidInput',
  'InvalidAction',
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'OptInRequired',
  'Blocked',
  'InvalidKeyPair.NotFound',
  'IdempotentParameterMismatch',
  'Unsupported',
  'UnsupportedOperation',
  'InvalidSubnet.Range',
  'InvalidSubnet.Conflict',
  'InvalidVpc.Range',
  'InvalidBlockDeviceMapping',
  'InvalidConfigurationRequest',
  'TooManyLoadBalancers',
  'TooManyTags',
  'DuplicateTagKeys',
  // Out-bid: the spot watcher chooses when to bid again; retrying the same price cannot help.
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
]);

/**
 * AWS refusing the keys themselves: wrong, revoked or expired. Every call with them fails the
 * same way until someone rotates them, so neither the SDK nor Temporal may retry. The names
 * per protocol: EC2 says AuthFailure and, for expired temporary keys, RequestExpired; the
 * query APIs (STS, IAM, ELB) InvalidClientTokenId and ExpiredToken; the JSON APIs (Secrets
 * Manager, Service Quotas, Pricing) UnrecognizedClientException and ExpiredTokenException; a
 * wrong secret gives SignatureDoesNotMatch or InvalidSignatureException; S3 InvalidAccessKeyId.
 */
export const KEYS_REFUSED_CODES: ReadonlySet<string> = new Set([
  'AuthFailure',
  'RequestExpired',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'InvalidAccessKeyId',
]);

/** True when AWS refused the keys a call was signed with (see KEYS_REFUSED_CODES). */
export function isKeysRefused(error: unknown): boolean {
  if (!isAwsServiceError(error)) return false;
  const code = awsErrorCode(error);
  return (code !== undefined && KEYS_REFUSED_CODES.has(code)) || KEYS_REFUSED_CODES.has(error.name);
}

/**
 * What an operator reads when AWS refused a cloud account's keys: what AWS said, which account,
 * and the one thing that helps. Names the account, never a key.
 */
export function keysRefusedMessage(code: string, awsMessage: string, cloudAccountId?: string): string {
  const account = cloudAccountId ? `cloud account ${cloudAccountId}` : 'the cloud account';
  const route = `PATCH /v1/cloud-accounts/${cloudAccountId ?? '<id>'}`;
  return `${code}: AWS refused the keys of ${account} (${awsMessage}): they are wrong, expired or revoked; rotate them with ${route}, then run the operation again`;
}

/** Code families that are never retryable, whatever the suffix. */
const NON_RETRYABLE_PATTERNS = [/\.Malformed$/, /^InvalidAMIID\./, /^InvalidKeyPair\./];

/** The codes AWS services throttle with (EC2: RequestLimitExceeded; most others: Throttling…). */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

/** True when AWS refused the call for its rate: the SDK's retries back off and try again. */
export function isThrottling(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code !== undefined && THROTTLING_CODES.has(code)) return true;
  return isAwsServiceError(error) && error.$metadata.httpStatusCode === 429;
}

/** Codes that are transient even though they look like client errors. */
const RETRYABLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequestsException',
  'InternalError',
  'InternalFailure',
  'InternalServiceError',
  'InternalServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  // Deletes race things still shutting down (ENIs of a deleted load balancer, a terminating instance).
  'DependencyViolation',
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidIPAddress.InUse',
  // Capacity comes back; the workflow's retry policy bounds how long it waits.
  'InsufficientInstanceCapacity',
  'InsufficientAddressCapacity',
  'InsufficientFreeAddressesInSubnet',
]);

/** Node and SDK error names/codes of a request that never got an AWS answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

export interface AwsErrorClass {
  code: string;
  message: string;
  retryable: boolean;
}

/** Classifies an AWS SDK or network error; undefined for anything else (left as it is). */
export function classifyAwsError(error: unknown): AwsErrorClass | undefined {
  if (isAwsServiceError(error) && /Deserialization error/.test(error.message)) {
    // Something answered that is not AWS (an HTML error page, a proxy, an unimplemented API).
    const status = error.$metadata.httpStatusCode;
    const detail = error.message.split('\n')[0];
    return {
      code: 'UnexpectedResponse',
      message: `HTTP ${status ?? '?'}: the endpoint's answer is not an AWS response (${detail})`,
      retryable: status === undefined || status >= 500 || status === 429,
    };
  }
  if (isAwsServiceError(error)) {
    const code = awsErrorCode(error) ?? 'UnknownError';
    const message = error.message && error.message !== code ? error.message : 'no message';
    // A new IAM instance profile takes seconds to reach EC2: "Invalid IAM Instance Profile".
    const iamPropagation = code === 'InvalidParameterValue' && /iam instance profile/i.test(message);
    return { code, message, retryable: iamPropagation || isRetryableCode(code, error.$metadata.httpStatusCode, error.$fault) };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const name = typeof code === 'string' && NETWORK_CODES.has(code) ? code : NETWORK_CODES.has(error.name) ? error.name : undefined;
    if (name) return { code: name, message: error.message || name, retryable: true };
  }
  return undefined;
}

export function isRetryableCode(code: string, httpStatus?: number, fault?: string): boolean {
  if (RETRYABLE_CODES.has(code)) return true;
  if (KEYS_REFUSED_CODES.has(code)) return false;
  if (NON_RETRYABLE_CODES.has(code) || NON_RETRYABLE_PATTERNS.some((pattern) => pattern.test(code))) return false;
  // A quota: *LimitExceeded (and Secrets Manager's LimitExceededException), but not throttling.
  if (/LimitExceeded(Exception)?$/.test(code)) return false;
  if ((httpStatus !== undefined && httpStatus >= 500) || fault === 'server') return true;
  // Anything else (e.g. a NotFound right after a create, which is eventual consistency) may
  // well pass on the next attempt; the workflow's retry policy bounds it.
  return true;
}

/**
 * An error that says nothing about the request itself: throttling, AWS failing (5xx, an
 * answer that is not AWS's), or no answer at all. Unlike `retryable`, an unknown 4xx is not one.
 */
export function isTransient(error: unknown): boolean {
  const classified = classifyAwsError(error);
  if (!classified?.retryable) return false;
  if (!isAwsServiceError(error) || classified.code === 'UnexpectedResponse' || RETRYABLE_CODES.has(classified.code)) return true;
  const status = error.$metadata.httpStatusCode;
  return (status !== undefined && status >= 500) || error.$fault === 'server';
}

/**
 * The Temporal failure for an error, or the error itself when it is not an AWS/network error.
 * `cloudAccountId` is the account whose keys signed the call: a refusal of the keys names it.
 */
export function toFailure(error: unknown, cloudAccountId?: string): unknown {
  if (error instanceof ApplicationFailure) return error;
  const classified = classifyAwsError(error);
  if (!classified) return error;
  // Only code and message cross into Temporal: the SDK error also carries the raw response.
  return ApplicationFailure.create({
    message: isKeysRefused(error) ? keysRefusedMessage(classified.code, classified.message, cloudAccountId) : `${classified.code}: ${classified.message}`,
    type: classified.code,
    nonRetryable: !classified.retryable,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AsyncFn = (...args: any[]) => Promise<unknown>;

/** The cloud account an activity works for: every AWS activity's input names it, in its scope or at the top. */
export function cloudAccountOf(input: unknown): string | undefined {
  const i = input as { accountId?: unknown; scope?: { accountId?: unknown } } | null | undefined;
  const id = i?.scope?.accountId ?? i?.accountId;
  return typeof id === 'string' ? id : undefined;
}

/** Wraps one activity so AWS errors leave it as readable, correctly retryable failures. */
export function guard<F extends AsyncFn>(fn: F): F {
  const guarded = async function (this: unknown, ...args: Parameters<F>) {
    try {
      return await fn.apply(this, args);
    } catch (error) {
      throw toFailure(error, cloudAccountOf(args[0]));
    }
  };
  Object.defineProperty(guarded, 'name', { value: fn.name });
  return guarded as unknown as F;
}

/** `guard` over every function of an activity object; the names (the contract) stay as they are. */
export function guardAll<T extends Record<string, AsyncFn>>(activities: T): T {
  const out: Record<string, AsyncFn> = {};
  for (const [name, fn] of Object.entries(activities)) out[name] = guard(fn);
  return out as T;
}
