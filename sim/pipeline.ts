import type * as http from 'node:http';
import type { Ctx, Hook } from './context';
import { EC2_HOOKS } from './ec2';
import { ELB_HOOKS, ELBV2_HOOKS } from './elb';
import { IAM_HOOKS } from './iam';
import { AwsError, errorResponse, type WireResponse } from './errors';
import { faultFor, faultMessage, latencyFor } from './faults';
import { handlePricing } from './pricing/api';
import { isMutating, type AwsCall } from './protocol';
import { callMoto, MotoUnreachable } from './proxy';
import { handleServiceQuotas } from './quotas';
import type { Sim } from './sim';

/**
 * One client call through the simulator: count it, wait the configured latency, take its
 * throttling tokens, maybe inject a fault, then let the service hook (or moto directly)
 * answer, and count how it ended.
 */

const HOOKS: Record<string, Record<string, Hook>> = {
  ec2: EC2_HOOKS,
  elb: ELB_HOOKS,
  elbv2: ELBV2_HOOKS,
  iam: IAM_HOOKS,
  pricing: {},
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answer(ctx: Ctx): Promise<WireResponse> {
  const { call } = ctx;
  if (call.service === 'pricing') return handlePricing(call);
  if (call.service === 'servicequotas') {
    const ours = handleServiceQuotas(ctx.sim, call, ctx.account);
    if (ours) return ours;
  }
  if (call.protocol === 'ec2' && call.params.get('DryRun') === 'true' && isMutating({ ...call, params: new URLSearchParams() })) {
    // moto ignores DryRun on many actions (and would perform them); EC2 answers this when the
    // caller is allowed to make the call, which on the simulator it always is.
    throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
  const hook = HOOKS[call.service]?.[call.action];
  return hook ? hook(ctx) : ctx.forward();
}

export async function handleAws(sim: Sim, call: AwsCall, req: http.IncomingMessage, body: Buffer): Promise<WireResponse> {
  sim.noteCaller(call.region, call.accessKeyId);
  const mutating = isMutating(call);
  try {
    await sim.settle();
    const latency = latencyFor(sim.config, call);
    if (latency > 0) await sleep(latency);

    // AWS authenticates first: a refused key is not throttled, faulted or held.
    const refused = sim.credentials.admit(call);
    if (refused) {
      sim.stats.record(call.key, mutating, 'error');
      return errorResponse(call, refused.code, refused.message, refused.status);
    }

    const account = await sim.moto.accountOf(call.accessKeyId);
    if (!sim.throttler.admit(call, account, sim.config.throttling)) {
      sim.stats.record(call.key, mutating, 'throttled');
      return errorResponse(call, 'RequestLimitExceeded', 'Request limit exceeded.', 503);
    }

    const before = faultFor(sim.config, call, 'before');
    if (before) {
      sim.stats.record(call.key, mutating, 'faulted');
      return errorResponse(call, before.code, faultMessage(before, call), before.httpStatus);
    }

    // A held call has passed AWS's front door: it counts, it is not throttled or faulted again.
    await sim.holds.park(call);

    const ctx: Ctx = {
      sim,
      call,
      account,
      caller: { region: call.region, accessKeyId: call.accessKeyId },
      forward: (params) => {
        const callerHeaders = sim.credentials.motoHeaders(call.accessKeyId, req.headers);
        if (!params) return callMoto(sim.moto.url, { method: req.method ?? 'POST', path: req.url ?? '/', headers: callerHeaders }, body);
        const headers: http.IncomingHttpHeaders = { ...callerHeaders, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
        return callMoto(sim.moto.url, { method: 'POST', path: '/', headers }, Buffer.from(params.toString()));
      },
    };
    const result = await answer(ctx);

    if (result.status < 300) {
      const after = faultFor(sim.config, call, 'after');
      if (after) {
        sim.stats.record(call.key, mutating, 'faulted');
        return errorResponse(call, after.code, faultMessage(after, call), after.httpStatus);
      }
    }
    sim.stats.record(call.key, mutating, result.status < 300 ? 'ok' : 'error');
    return result;
  } catch (error) {
    sim.stats.record(call.key, mutating, 'error');
    if (error instanceof AwsError) return errorResponse(call, error.code, error.message, error.status);
    if (error instanceof MotoUnreachable) {
      return { status: 502, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`${error.message}\n`) };
    }
    return errorResponse(call, call.protocol === 'ec2' ? 'InternalError' : 'InternalFailure', `simulator: ${(error as Error).message}`, 500);
  }
}
