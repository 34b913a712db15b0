import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  Instance,
  InstanceStateName,
  InstanceStatus,
  NatGateway,
} from '@aws-sdk/client-ec2';
import type { AccountRef, AwsDeps } from './aws-session';
import { isAwsError } from './aws-errors';
import { AskerLimits, Batcher } from './batcher';
import { CallBudget, callBudget } from './call-budget';
import { DEFAULT_AWS_POLL_MS } from '../common/config';
import { CLUSTER_TAG } from '../common/tags';

/**
 * The reads the waits poll (an instance's state, its status checks, a NAT gateway's state),
 * batched per process, account and region: every wait of every cluster in that account and
 * region that asks within one window shares one DescribeInstances, DescribeInstanceStatus or
 * DescribeNatGateways call. Each wait still decides for itself what its answer means.
 */
export interface PollReads {
  /** The instance in any state, terminated included; undefined while EC2 does not list it. */
  instance(instanceId: string): Promise<Instance | undefined>;
  /** Its state and status checks (IncludeAllInstances); undefined when EC2 does not know it. */
  instanceStatus(instanceId: string): Promise<InstanceStatus | undefined>;
  /** The gateway in any state; undefined while EC2 does not list it. */
  natGateway(natGatewayId: string): Promise<NatGateway | undefined>;
  /**
   * The instances tagged as `cluster`'s (`<project>/<name>`), terminated ones left out: the
   * spot watchers' listing, asked within a second by the watchers of many clusters and read
   * in one DescribeInstances filtered by their cluster tags (SPOT_LISTING_WINDOW_MS).
   */
  clusterInstances(cluster: string): Promise<Instance[]>;
}

/**
 * Spot watchers' listings gather for a second: ten thousand watchers spread over a two-minute
 * interval ask ~80 times a second, which one DescribeInstances a second answers, within
 * EC2's non-mutating bucket (20/s). A second is nothing against a tick's interval.
 */
export const SPOT_LISTING_WINDOW_MS = 1000;

const NOT_TERMINATED: InstanceStateName[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** Ids per call: within EC2's limits on filter values and on InstanceIds. */
const CHUNK = 100;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Every item a filtered, paginated Describe lists for `ids`, a chunk at a time, by its id. */
async function describeByFilter<V>(
  ids: string[],
  page: (batch: string[], NextToken?: string) => Promise<{ items: V[]; NextToken?: string }>,
  idOf: (item: V) => string | undefined,
): Promise<Map<string, V>> {
  const found = new Map<string, V>();
  for (const batch of chunks(ids)) {
    let NextToken: string | undefined;
    do {
      const answer = await page(batch, NextToken);
      for (const item of answer.items) {
        const id = idOf(item);
        if (id) found.set(id, item);
      }
      NextToken = answer.NextToken;
    } while (NextToken);
  }
  return found;
}

// A filter, unlike InstanceIds, answers "nothing" for an id not (yet) visible instead of failing the whole call.
const describeInstances = (ec2: EC2Client, ids: string[], signal?: AbortSignal): Promise<Map<string, Instance>> =>
  describeByFilter(
    ids,
    async (batch, NextToken) => {
      const answer = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: batch }], NextToken }), { abortSignal: signal });
      return { items: (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []), NextToken: answer.NextToken };
    },
    (i) => i.InstanceId,
  );

/**
 * DescribeInstanceStatus takes ids only, and one unknown id fails the call for all: the
 * unknown ones (EC2 names them) are left out and the rest asked again; should EC2 not name
 * them, each id is asked alone.
 */
async function describeStatuses(ec2: EC2Client, ids: string[], signal?: AbortSignal): Promise<Map<string, InstanceStatus>> {
  const found = new Map<string, InstanceStatus>();
  const ask = async (batch: string[]) => {
    const answer = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: batch, IncludeAllInstances: true }), { abortSignal: signal });
    for (const status of answer.InstanceStatuses ?? []) if (status.InstanceId) found.set(status.InstanceId, status);
  };
  for (let batch of chunks(ids)) {
    for (;;) {
      try {
        await ask(batch);
        break;
      } catch (error) {
        if (!isAwsError(error, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed')) throw error;
        const named = new Set((error as Error).message.match(/i-[0-9a-f]+/g) ?? []);
        const rest = batch.filter((id) => !named.has(id));
        if (rest.length === 0) break;
        if (rest.length < batch.length) {
          batch = rest;
          continue;
        }
        for (const id of batch) {
          try {
            await ask([id]);
          } catch (inner) {
            if (!isAwsError(inner, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed')) throw inner;
          }
        }
        break;
      }
    }
  }
  return found;
}

// By filter: NatGatewayIds fails the whole call on one gateway EC2 does not list yet.
const describeNatGateways = (ec2: EC2Client, ids: string[], signal?: AbortSignal): Promise<Map<string, NatGateway>> =>
  describeByFilter(
    ids,
    async (batch, NextToken) => {
      const answer = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: batch }], NextToken }), { abortSignal: signal });
      return { items: answer.NatGateways ?? [], NextToken: answer.NextToken };
    },
    (nat) => nat.NatGatewayId,
  );

/** The instances of several clusters, by their cluster tag; a cluster without any is absent. */
async function describeClusters(ec2: EC2Client, clusters: string[], signal?: AbortSignal): Promise<Map<string, Instance[]>> {
  const byId = await describeByFilter(
    clusters,
    async (batch, NextToken) => {
      const answer = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: `tag:${CLUSTER_TAG}`, Values: batch }, { Name: 'instance-state-name', Values: NOT_TERMINATED }], NextToken }),
        { abortSignal: signal },
      );
      return { items: (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []), NextToken: answer.NextToken };
    },
    (i) => i.InstanceId,
  );
  const found = new Map<string, Instance[]>();
  for (const instance of byId.values()) {
    const cluster = instance.Tags?.find((t) => t.Key === CLUSTER_TAG)?.Value;
    // The filter is the server's; whose an instance is, is checked here again.
    if (!cluster || !clusters.includes(cluster)) continue;
    found.set(cluster, [...(found.get(cluster) ?? []), instance]);
  }
  return found;
}

type Describe<V> = (ec2: EC2Client, ids: string[], signal?: AbortSignal) => Promise<Map<string, V>>;

/** An EC2 client of the account and region whose calls keep within `budget` (aws-session.ts's ec2Client). */
export type MakeEc2Client = (budget: CallBudget) => EC2Client;

/**
 * Each read gets a client of its own, bounded by the longest-lived of its askers' attempts
 * (a shared read must not outlive everyone it serves), and waits for its EC2 tokens like any call.
 */
function batcherOf<V>(makeClient: MakeEc2Client, describe: Describe<V>, windowMs: number): Batcher<string, V> {
  return new Batcher<string, V>(async (ids, { signal, endsAtMs }) => {
    const remaining = endsAtMs === undefined ? 60_000 : Math.max(1_000, endsAtMs - Date.now());
    const ec2 = makeClient({ requestTimeoutMs: Math.min(60_000, remaining), signal, endsAtMs });
    try {
      return await describe(ec2, ids, signal);
    } finally {
      ec2.destroy();
    }
  }, windowMs);
}

/** The asking activity's limits (its call budget): an asker never waits past its attempt. */
function askerLimits(): AskerLimits {
  const { endsAtMs, signal } = callBudget();
  return { endsAtMs, signal };
}

/** Per process: one set of batchers per deps (a test may make several), account and region. */
const readers = new WeakMap<AwsDeps, Map<string, PollReads>>();

/**
 * A quarter of the poll interval, at most 200 ms: long enough that the waits of a round meet
 * in one call, short enough to add little to any one wait. A read is sent this long after
 * its first asker asks (activities/polling.ts aims its reads by it).
 */
export function pollWindowMs(awsPollMs: number): number {
  return Math.max(10, Math.min(200, awsPollMs / 4));
}

function windowOf(deps: AwsDeps): number {
  return pollWindowMs(deps.config.awsPollMs ?? DEFAULT_AWS_POLL_MS);
}

/**
 * The batched reads of a stored account (its keys sign the calls) in `region`; `makeClient`
 * makes the client of each read. Reached through `AwsSession.polls`.
 */
export function pollReads(deps: AwsDeps, account: AccountRef, region: string, makeClient: MakeEc2Client): PollReads {
  const key = `${account.project}|${account.accountId}|${region}`;
  let byKey = readers.get(deps);
  if (!byKey) readers.set(deps, (byKey = new Map()));
  let reads = byKey.get(key);
  if (!reads) {
    const windowMs = windowOf(deps);
    const instances = batcherOf(makeClient, describeInstances, windowMs);
    const statuses = batcherOf(makeClient, describeStatuses, windowMs);
    const nats = batcherOf(makeClient, describeNatGateways, windowMs);
    const clusters = batcherOf(makeClient, describeClusters, SPOT_LISTING_WINDOW_MS);
    reads = {
      instance: (id) => instances.get(id, askerLimits()),
      instanceStatus: (id) => statuses.get(id, askerLimits()),
      natGateway: (id) => nats.get(id, askerLimits()),
      clusterInstances: async (cluster) => (await clusters.get(cluster, askerLimits())) ?? [],
    };
    byKey.set(key, reads);
  }
  return reads;
}
