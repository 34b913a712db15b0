import { ApplicationFailure } from '@temporalio/common';
import type { ApiEndpointKind } from '../types';
import type { ApiEndpointDriver } from './api-endpoint';
import { classicElb } from './classic-elb';
import { networkLb } from './network-lb';

export type { ApiEndpointDriver, EndpointHealth } from './api-endpoint';
export { loadBalancerName } from './classic-elb';
export { networkLbNames } from './network-lb';

export type ApiEndpointDrivers = Readonly<Record<ApiEndpointKind, ApiEndpointDriver>>;

/** Every kind of API endpoint the worker can make, by kind. */
export const API_ENDPOINT_DRIVERS: ApiEndpointDrivers = {
  'classic-elb': classicElb,
  nlb: networkLb,
};


/**
 * The driver of `kind`. An unknown kind can come only from a history written by a newer
 * worker; retrying here cannot help, so it fails for good.
 */
export function endpointDriver(kind: ApiEndpointKind, drivers: ApiEndpointDrivers = API_ENDPOINT_DRIVERS): ApiEndpointDriver {
  const driver = Object.prototype.hasOwnProperty.call(drivers, kind) ? drivers[kind] : undefined;
  if (!driver) throw ApplicationFailure.nonRetryable(`no driver for API endpoint kind ${kind}`, 'UnknownApiEndpointKind');
  return driver;
}

