import { DescribeTagsCommand, EC2Client, Filter } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Activities, createActivities } from '../../activities';
import type { AwsDeps } from '../../cloud/aws-session';
import type { Scope } from '../../activities/types';
import { SqliteStore } from '../../store/sqlite-store';
import { loadConfig } from '../../common/config';
import { resolveSecretBox } from '../../common/data-dir';
import { CLUSTER_TAG, RESOURCE_TAG } from '../../common/tags';
import { createSimServer } from '../../sim/server';
import { RunningMoto, startMoto } from '../support/moto';

/**
 * A real AWS stand-in for activity tests: moto, behind the simulator unless
 * CLUSTERFLOW_TEST_BACKEND=moto. Activities get a seeded cloud account, like the worker's.
 *
 * Tests do not branch on the backend: a test that needs one backend says so up front with
 * `simOnly` or `motoOnly`, and jest lists it as skipped, with the reason, under the other.
 */

type BackendKind = 'sim' | 'moto';

/** Read when the suite is defined, so tests can be declared for one backend before it starts. */
const KIND: BackendKind = process.env.CLUSTERFLOW_TEST_BACKEND === 'moto' ? 'moto' : 'sim';

type TestBody = () => Promise<unknown>;

/** A test only the simulator can run (fault injection, set quotas and prices, state lag); skipped under bare moto. */
export function simOnly(title: string, reason: string, body: TestBody): void {
  (KIND === 'sim' ? it : it.skip)(`${title} (simulator only: ${reason})`, body);
}

/** A test of how bare moto answers where the simulator answers otherwise; skipped through the simulator. */
export function motoOnly(title: string, reason: string, body: TestBody): void {
  (KIND === 'moto' ? it : it.skip)(`${title} (bare moto only: ${reason})`, body);
}

export const ACCOUNT_ID = 'acct-test';
export const REGION = 'us-east-1';
export const SECRET_ACCESS_KEY = 'testSecretAccessKeyThatMustNeverLeak000000';

export type ActivityName = keyof Activities;

export interface Backend {
  /** What AWS_ENDPOINT_URL points at. */
  url: string;
  motoUrl: string;
  deps: AwsDeps;
  activities: Activities;
  /** Runs an activity in a mock activity context (heartbeat, cancellable sleep), as the worker would. */
  run<N extends ActivityName>(name: N, ...args: Parameters<Activities[N]>): ReturnType<Activities[N]>;
  /** `run`, also reporting the heartbeats the activity sent. */
  runWatched<N extends ActivityName>(name: N, ...args: Parameters<Activities[N]>): Promise<{ result: Awaited<ReturnType<Activities[N]>>; heartbeats: unknown[] }>;
  ec2: EC2Client;
  elb: ElasticLoadBalancingClient;
  elbv2: ElasticLoadBalancingV2Client;
  secrets: SecretsManagerClient;
  /** PUT /_sim/config; throws under bare moto, so a fault a test relies on is never silently missing. */
  configureSim(patch: unknown): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The backend of one activity suite: started before its tests, stopped after them. The
 * object answers for the running backend inside tests and hooks.
 */
export function useBackend(): Backend {
  let running: Backend | undefined;
  beforeAll(async () => {
    running = await startBackend();
  });
  afterAll(() => running?.stop());
  // A test against the backend that asserts nothing proves nothing: fail it.
  beforeEach(() => expect.hasAssertions());
  return new Proxy({} as Backend, {
    get(_, name: keyof Backend) {
      if (!running) throw new Error(`the AWS backend is not running (reading ${String(name)} outside a test or hook)`);
      return running[name];
    },
  });
}

export async function startBackend(): Promise<Backend> {
  process.env.CLUSTERFLOW_AWS_POLL_MS ??= '200';
  const moto: RunningMoto = await startMoto();
  let sim: http.Server | undefined;
  let url = moto.url;
  if (KIND === 'sim') {
    sim = createSimServer({ motoUrl: moto.url });
    await new Promise<void>((resolve) => sim!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(sim.address() as AddressInfo).port}`;
  }
  const deps = await seededDeps(url);
  const activities = createActivities(deps);
  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_ACCESS_KEY };
  const clientConfig = { region: REGION, endpoint: url, credentials, maxAttempts: 8 };
  const ec2 = new EC2Client(clientConfig);
  const elb = new ElasticLoadBalancingClient(clientConfig);
  const elbv2 = new ElasticLoadBalancingV2Client(clientConfig);
  const secrets = new SecretsManagerClient(clientConfig);
  const backend: Backend = {
    url,
    motoUrl: moto.url,
    deps,
    activities,
    run(name, ...args) {
      const fn = activities[name] as (...a: unknown[]) => Promise<never>;
      return mockEnvironment().run(fn, ...(args as unknown[])) as ReturnType<Activities[typeof name]>;
    },
    async runWatched(name, ...args) {
      const fn = activities[name] as (...a: unknown[]) => Promise<never>;
      const env = mockEnvironment();
      const heartbeats: unknown[] = [];
      env.on('heartbeat', (details: unknown) => heartbeats.push(details));
      const result = (await env.run(fn, ...(args as unknown[]))) as Awaited<ReturnType<Activities[typeof name]>>;
      return { result, heartbeats };
    },
    ec2,
    elb,
    elbv2,
    secrets,
    async configureSim(patch) {
      if (!sim) throw new Error('configureSim needs the simulator: declare the test with simOnly');
      const answer = await fetch(`${url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
      if (!answer.ok) throw new Error(`PUT /_sim/config: ${answer.status} ${await answer.text()}`);
    },
    async stop() {
      for (const client of [ec2, elb, elbv2, secrets]) client.destroy();
      await deps.store.close();
      if (sim) {
        sim.closeAllConnections();
        await new Promise<void>((resolve) => sim!.close(() => resolve()));
      }
      await moto.stop();
      fs.rmSync(deps.config.dataDir, { recursive: true, force: true });
    },
  };
  // Short delays, so the lag is there but the suite stays fast.
  if (sim) await backend.configureSim({ delayScale: 0.1 });
  return backend;
}

/** Activity failures are the point of several tests; the worker's warnings about them are noise here. */
export function mockEnvironment(): MockActivityEnvironment {
  // Scheduled now, as the server would stamp it, with the longest attempt the workflows give
  // an AWS activity (awsWait's): waits count their deadline, and calls their budget, from it.
  const now = Date.now();
  return new MockActivityEnvironment(
    { scheduledTimestampMs: now, currentAttemptScheduledTimestampMs: now, startToCloseTimeoutMs: 30 * 60_000 },
    { logger: new DefaultLogger('ERROR') },
  );
}

async function seededDeps(url: string): Promise<AwsDeps> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-activities-'));
  const config = loadConfig({ CLUSTERFLOW_DATA_DIR: dataDir, AWS_ENDPOINT_URL: url, CLUSTERFLOW_AWS_POLL_MS: process.env.CLUSTERFLOW_AWS_POLL_MS });
  const secretBox = resolveSecretBox(config);
  const store = await SqliteStore.open(dataDir);
  await store.insertCloudAccount({
    id: ACCOUNT_ID,
    project: 'default',
    name: 'test',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    sealedSecret: secretBox.seal(JSON.stringify({ secretAccessKey: SECRET_ACCESS_KEY }), ACCOUNT_ID),
    createdAt: new Date().toISOString(),
  });
  return { config, store, secretBox };
}

let clusterCounter = 0;

/** A fresh cluster identity per test, so tests never see each other's resources. */
export function newScope(prefix = 'c', extraTags: Record<string, string> = { team: 'infra' }): Scope {
  const clusterName = `${prefix}${Date.now().toString(36)}${(clusterCounter++).toString(36)}`;
  return { accountId: ACCOUNT_ID, region: REGION, owner: { cluster: `default/${clusterName}`, clusterName, extraTags } };
}

export function ownedBy(scope: Scope, key?: string): Filter[] {
  const filters: Filter[] = [{ Name: `tag:${CLUSTER_TAG}`, Values: [scope.owner.cluster] }];
  if (key) filters.push({ Name: `tag:${RESOURCE_TAG}`, Values: [key] });
  return filters;
}

/** Tags of an EC2 resource as a map, read back through DescribeTags. */
export async function ec2TagsOf(ec2: EC2Client, resourceId: string): Promise<Record<string, string>> {
  const answer = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [resourceId] }] }));
  return Object.fromEntries((answer.Tags ?? []).map((tag) => [tag.Key!, tag.Value ?? '']));
}

/** The tags every resource of `scope` under `key` must carry (docs/api.md#tags-on-aws-resources). */
export function expectedTags(scope: Scope, key: string): Record<string, string> {
  return {
    [CLUSTER_TAG]: scope.owner.cluster,
    [RESOURCE_TAG]: key,
    Name: `${scope.owner.clusterName}-${key.replace(/\//g, '-')}`,
    [`kubernetes.io/cluster/${scope.owner.clusterName}`]: 'owned',
    ...scope.owner.extraTags,
  };
}
