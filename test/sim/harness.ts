import type { AddressInfo } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { PricingClient } from '@aws-sdk/client-pricing';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { startMoto, type RunningMoto } from '../support/moto';
import type { ClockReading } from '../../sim/clock';
import { createSim } from '../../sim/server';
import type { Sim } from '../../sim/sim';
import type { StatsSnapshot } from '../../sim/stats';

/**
 * One real moto and one simulator on loopback for a test file, and real AWS SDK v3 clients
 * pointed at the simulator.
 */

export const CREDENTIALS = { accessKeyId: 'AKIASIMTESTKEY000001', secretAccessKey: 'sim-test-secret' };

export interface ClientOptions {
  region?: string;
  maxAttempts?: number;
}

export interface Harness {
  url: string;
  moto: RunningMoto;
  sim: Sim;
  ec2(options?: ClientOptions): EC2Client;
  elb(options?: ClientOptions): ElasticLoadBalancingClient;
  elbv2(options?: ClientOptions): ElasticLoadBalancingV2Client;
  iam(options?: ClientOptions): IAMClient;
  sts(options?: ClientOptions): STSClient;
  pricing(options?: ClientOptions): PricingClient;
  quotas(options?: ClientOptions): ServiceQuotasClient;
  secrets(options?: ClientOptions): SecretsManagerClient;
  /** A control-API call; throws unless 2xx. */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** POST /_sim/reset then PUT /_sim/config with `config` (test defaults: no throttling, short delays). */
  reset(config?: unknown): Promise<void>;
  stats(): Promise<StatsSnapshot>;
  /** Stops the simulator's clock: delayed states change only when a test advances it. */
  freezeClock(): Promise<ClockReading>;
  /** Moves the simulator's clock `ms` ahead. */
  advanceClock(ms: number): Promise<ClockReading>;
  stop(): Promise<void>;
}

/** Settings most tests want: throttling off, every delay short; a test turns on what it examines. */
export const QUIET = { throttling: { enabled: false }, delayScale: 0 };

export async function startHarness(): Promise<Harness> {
  const moto = await startMoto();
  const { server, sim } = createSim({ motoUrl: moto.url });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const common = (options: ClientOptions = {}) => ({
    endpoint: url,
    region: options.region ?? 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 1,
  });
  const clients: Array<{ destroy(): void }> = [];
  const track = <C extends { destroy(): void }>(client: C): C => {
    clients.push(client);
    return client;
  };
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`${method} ${path} → ${answer.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    url,
    moto,
    sim,
    ec2: (o) => track(new EC2Client(common(o))),
    elb: (o) => track(new ElasticLoadBalancingClient(common(o))),
    elbv2: (o) => track(new ElasticLoadBalancingV2Client(common(o))),
    iam: (o) => track(new IAMClient(common(o))),
    sts: (o) => track(new STSClient(common(o))),
    pricing: (o) => track(new PricingClient(common(o))),
    quotas: (o) => track(new ServiceQuotasClient(common(o))),
    secrets: (o) => track(new SecretsManagerClient(common(o))),
    control,
    reset: async (config = QUIET) => {
      await control('POST', '/_sim/reset');
      await control('PUT', '/_sim/config', config);
    },
    stats: () => control<StatsSnapshot>('GET', '/_sim/stats'),
    freezeClock: () => control<ClockReading>('PUT', '/_sim/clock', { frozen: true }),
    advanceClock: (ms) => control<ClockReading>('POST', '/_sim/clock/advance', { ms }),
    stop: async () => {
      for (const client of clients) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await moto.stop();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value that `done` accepts (or gives up after `timeoutMs`). */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

export const AMI = 'ami-12345678';

/** How an AWS call failed (its code, HTTP status and message); a call that succeeds fails the test. */
export async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the call succeeded');
}

/**
 * The harness of one test file: started before its tests, stopped after them and, given
 * `resetTo`, reset to that config before each test. The object answers for the running
 * harness, so a file can keep it in a constant and use it inside its tests and hooks.
 */
export function useHarness(resetTo?: unknown): Harness {
  let running: Harness | undefined;
  beforeAll(async () => {
    running = await startHarness();
  });
  afterAll(() => running?.stop());
  if (resetTo !== undefined) beforeEach(() => running!.reset(resetTo));
  return new Proxy({} as Harness, {
    get(_, name: keyof Harness) {
      if (!running) throw new Error(`the simulator harness is not running (reading ${String(name)} outside a test or hook)`);
      return running[name];
    },
  });
}
