import type { FaultRule, SimConfig } from './config';
import type { AwsCall } from './protocol';

/** The most specific entry for a call: `service:Action`, then `service:*`, then `*`. */
export function lookup<V>(table: Record<string, V>, call: Pick<AwsCall, 'service' | 'action'>): [string, V] | undefined {
  for (const key of [`${call.service}:${call.action}`, `${call.service}:*`, '*']) {
    const value = table[key];
    if (value !== undefined) return [key, value];
  }
  return undefined;
}

export function latencyFor(config: SimConfig, call: AwsCall): number {
  return lookup(config.latency, call)?.[1] ?? 0;
}

/**
 * Decides whether this call is faulted in `phase`; a rule with a `count` is used up as it
 * fires (the config shows what is left). `random` is injectable for tests.
 */
export function faultFor(config: SimConfig, call: AwsCall, phase: 'before' | 'after', random: () => number = Math.random): FaultRule | undefined {
  const found = lookup(config.faults, call);
  if (!found) return undefined;
  const [key, rule] = found;
  if ((rule.phase ?? 'before') !== phase) return undefined;
  if (rule.count !== undefined && rule.count <= 0) return undefined;
  if (random() >= (rule.rate ?? 1)) return undefined;
  if (rule.count !== undefined) {
    rule.count -= 1;
    if (rule.count <= 0) delete config.faults[key];
  }
  return rule;
}

export function faultMessage(rule: FaultRule, call: AwsCall): string {
  if (rule.message) return rule.message;
  switch (rule.code) {
    case 'InsufficientInstanceCapacity':
      return `We currently do not have sufficient ${call.params.get('InstanceType') ?? 'instance'} capacity in the Availability Zone you requested. Our system will be working on provisioning additional capacity.`;
    case 'InternalError':
    case 'InternalFailure':
      return 'An internal error has occurred';
    case 'RequestLimitExceeded':
      return 'Request limit exceeded.';
    case 'Throttling':
    case 'ThrottlingException':
      return 'Rate exceeded';
    case 'ServiceUnavailable':
    case 'Unavailable':
      return 'The service is unavailable. Please try again shortly.';
    default:
      return `Injected fault: ${rule.code}`;
  }
}
