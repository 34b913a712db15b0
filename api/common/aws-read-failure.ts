import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from './error-shape';

/** The 503 of a route that reads EC2, as its OpenAPI document states it. */
export const EC2_RATE_SPENT = "the account's EC2 request rate in the region is spent for the moment; nothing was sent or changed, try again in a few seconds";

/**
 * What a request answers when a read it asked of AWS failed; `doing` says what it could not do
 * ("could not check the region with AWS"). 503 when the call would have waited too long for
 * EC2's request tokens and was never sent: the account's rate is spent for the moment (by the
 * workers, or by other tools in our share), and the same request works a few seconds later.
 * 502 otherwise: AWS could not be reached, or refused.
 */
export function awsReadFailure(doing: string, region: string, error: Error): ApiError {
  if (error instanceof ApplicationFailure && error.type === 'RateLimited') {
    return new ApiError(503, `${doing}: the account's EC2 request rate in ${region} is spent for the moment (Clusterflow keeps to its share of AWS's request buckets), so the call was not sent; try again in a few seconds`);
  }
  return new ApiError(502, `${doing}: ${error.name}: ${error.message}`);
}
