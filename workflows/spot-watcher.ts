import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { InstanceInfo } from '../activities/types';
import type { NetworkStatus, NodeStatus, SpotPoolStatus } from '../common/cluster-status';
import { capacityOf, type ClusterSpec, type PoolSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { activitiesSettled, awsLocal, awsOnce, awsWait, liveSettings } from './activities';
import { imageOf, indexOf, joiningContext, nodeStatus, poolKeyPrefix, startNode, terminatePoolNodes } from './node-lifecycle';
import { scopeOf } from './operation';
import { nodeKey, planFor } from './plan';
import { readableError } from '../common/readable-error';
import { PATCHES } from './patches';
import { clusterChangedSignal, resizeSignal, spotStatusQuery, watcherStoppedSignal } from './messages';
import { clusterWorkflowId } from '../common/workflow-ids';


/**
 * Generations of spot launches start here, far above the entity's operation numbers, so a
 * key relaunched by the watcher never reuses the ClientToken of an earlier instance.
 */
export const SPOT_GENERATION_BASE = 100000;

/** How many ticks the on-demand price is kept before it is asked again (it changes rarely). */
const ON_DEMAND_REFRESH_TICKS = 30;

/** What survives continue-as-new. */
export interface SpotWatcherState {
  desired: number;
  /** Launch rounds so far: each round launches under a fresh generation. */
  rounds: number;
  ticks: number;
  imageId?: string;
  onDemandPrice?: number;
  spotPrices: Record<string, number>;
  degraded?: boolean;
  lastError?: string;
  reason?: string;
  interruptions: number;
  lastInterruption?: string;
  nodes: NodeStatus[];
  checkedAt?: string;
  /**
   * Launches not confirmed yet, by node key: a launch whose answer never came may still have
   * made its instance, which EC2 may not list yet. The key is launched again only under the
   * same generation, AZ and bid (the same ClientToken, so EC2 answers with that instance),
   * until the instance is listed or EC2 says it is gone.
   */
  unconfirmed?: Record<string, { generation: number; az: string; maxPrice: string; instanceId?: string }>;
}

export interface SpotWatcherInput {
  project: string;
  /** The cluster's spec (scope, SSH key, bootstrap). */
  spec: ClusterSpec;
  profile: ResolvedProfile;
  network: NetworkStatus;
  pool: PoolSpec;
  /** Seconds between looks at the prices and the pool's nodes. */
  intervalS: number;
  carried?: SpotWatcherState;
}

/** maxPricePercent × on-demand, rounded to 4 decimals, as MaxPrice wants it. */
export function bidOf(onDemand: number, percent: number): string {
  return (Math.round(((onDemand * percent) / 100) * 10000) / 10000).toFixed(4);
}

const usd = (price: number) => `$${Number(price.toFixed(6))}`;

/**
 * One per spot pool, for the pool's life (docs/architecture.md#spot-watcher): every interval it reads the on-demand
 * and spot prices, and launches the pool's missing nodes with MaxPrice = the bid in the AZs
 * whose price is in range, cheapest first and spread; otherwise it waits and says why.
 * Interrupted nodes vanish from the listing and are relaunched under a fresh generation when
 * the price allows. Price look-ups that fail leave the last known prices in use (degraded).
 * Cancelled (pool removed, cluster deleted), it terminates its nodes.
 */
export async function spotWatcher(input: SpotWatcherInput): Promise<void> {
  const { pool } = input;
  const scope = scopeOf(input);
  const capacity = capacityOf(pool);
  const percent = capacity.type === 'spot' ? capacity.maxPricePercent : 100;
  const prefix = poolKeyPrefix(pool.name);
  const state: SpotWatcherState = input.carried ?? { desired: pool.size, rounds: 0, ticks: 0, spotPrices: {}, interruptions: 0, nodes: [] };
  let wake = false;

  const bid = () => (state.onDemandPrice === undefined ? undefined : bidOf(state.onDemandPrice, percent));
  const view = (): SpotPoolStatus => {
    const running = state.nodes.length;
    return {
      desired: state.desired,
      running,
      waiting: Math.max(0, state.desired - running),
      reason: state.reason,
      onDemandPrice: state.onDemandPrice,
      bid: bid(),
      spotPrices: state.spotPrices,
      degraded: state.degraded,
      lastError: state.lastError,
      interruptions: state.interruptions,
      lastInterruption: state.lastInterruption,
      nodes: state.nodes,
      checkedAt: state.checkedAt,
    };
  };
  setHandler(spotStatusQuery, view);
  /** The cluster as the entity last said it is: what launches boot and join. */
  const cluster = { project: input.project, spec: input.spec, profile: input.profile, network: input.network };
  /**
   * Taken in between ticks, never in the middle of one: a signal can reach a run while a tick
   * awaits its local activities, and replay need not hand it over at that same point.
   */
  let changedTo: { spec: ClusterSpec; profile: ResolvedProfile; network: NetworkStatus } | undefined;
  setHandler(clusterChangedSignal, (changed) => {
    changedTo = changed;
    wake = true;
  });
  const takeChange = () => {
    if (!changedTo) return;
    Object.assign(cluster, changedTo);
    changedTo = undefined;
    // The profile may name another image: resolved again at the next launch.
    state.imageId = undefined;
  };
  setHandler(resizeSignal, (size) => {
    state.desired = size;
    wake = true;
  });

  async function readPrices(): Promise<void> {
    const errors: string[] = [];
    if (state.onDemandPrice === undefined || state.ticks % ON_DEMAND_REFRESH_TICKS === 0) {
      try {
        state.onDemandPrice = await awsLocal.onDemandPrice({ scope, instanceType: pool.instanceType });
      } catch (error) {
        if (isCancellation(error)) throw error;
        errors.push(`on-demand price: ${readableError(error)}`);
      }
    }
    try {
      const prices = await awsLocal.spotPrices({ scope, instanceType: pool.instanceType, azs: pool.azs });
      for (const p of prices) state.spotPrices[p.az] = p.price;
    } catch (error) {
      if (isCancellation(error)) throw error;
      errors.push(`spot prices: ${readableError(error)}`);
    }
    state.degraded = errors.length > 0 ? true : undefined;
    state.lastError = errors.length > 0 ? `${errors.join('; ')} (using the last known prices)` : undefined;
  }

  /**
   * The pool's live nodes, noting the ones gone since the last look (interruptions). A key
   * listed is confirmed; a launched node not listed yet is not gone: its key is unconfirmed,
   * and the next launch asks EC2 for it again under the same ClientToken.
   */
  function look(all: InstanceInfo[], confirming: boolean): InstanceInfo[] {
    const live = all.filter((i) => i.key.startsWith(prefix) && (i.state === 'pending' || i.state === 'running'));
    const now = new Set(live.map((i) => i.instanceId));
    const unconfirmed = state.unconfirmed ?? {};
    if (confirming) for (const i of live) delete unconfirmed[i.key];
    const gone = state.nodes.filter((n) => !now.has(n.instanceId) && !(confirming && unconfirmed[n.key]));
    if (gone.length > 0) {
      state.interruptions += gone.length;
      state.lastInterruption = `${gone.map((n) => `${n.key} (${n.instanceId}, ${n.az})`).join(', ')} gone at ${new Date().toISOString()}`;
    }
    state.nodes = live.map((i) => nodeStatus(i, state.nodes.find((n) => n.instanceId === i.instanceId)?.kubernetesVersion)).sort((a, b) => indexOf(a.key) - indexOf(b.key));
    return live;
  }

  /** One launch: fresh, or `again` under the generation, AZ and bid of an unconfirmed one. */
  type Launch = { index: number; az: string; generation: number; maxPrice: string; instanceId?: string; again?: boolean };

  /** Fresh launches of `missing` under a new generation, spread over the AZs in range. */
  function freshLaunches(missing: number[], inRange: string[], maxPrice: string): Launch[] {
    const generation = SPOT_GENERATION_BASE + ++state.rounds;
    const perAz = new Map(inRange.map((az) => [az, state.nodes.filter((n) => n.az === az).length]));
    return missing.map((index) => {
      // Fewest nodes first; among equals the cheapest (inRange is sorted by price).
      const az = [...inRange].sort((a, b) => (perAz.get(a) ?? 0) - (perAz.get(b) ?? 0))[0];
      perAz.set(az, (perAz.get(az) ?? 0) + 1);
      return { index, az, generation, maxPrice };
    });
  }

  async function launch(launches: Launch[], confirming: boolean): Promise<void> {
    if (!state.imageId) state.imageId = await imageOf(awsOnce, cluster);
    const imageId = state.imageId;
    const unconfirmed = (state.unconfirmed ??= {});
    const plans = launches.map((l) => {
      const plan = planFor(pool, l.index, l.az);
      if (confirming) unconfirmed[plan.key] = { generation: l.generation, az: l.az, maxPrice: l.maxPrice, instanceId: l.instanceId };
      return plan;
    });
    const results = await Promise.allSettled(
      plans.map((plan, i) =>
        startNode(
          awsOnce,
          cluster,
          scope,
          plan,
          pool,
          joiningContext(cluster.network, imageId, launches[i].generation, plan.az),
          launches[i].maxPrice,
          launches[i].again,
        ),
      ),
    );
    const failures: string[] = [];
    results.forEach((r, i) => {
      const key = plans[i].key;
      if (r.status === 'fulfilled') {
        state.nodes.push(nodeStatus(r.value, cluster.profile.kubernetesVersion));
        if (unconfirmed[key]) unconfirmed[key].instanceId = r.value.instanceId;
        return;
      }
      // EC2 refused the request, or said the token's instance is gone: nothing of this launch
      // runs, so the key may launch afresh. Any other failure may hide a launch.
      const known = unconfirmed[key]?.instanceId;
      if (refused(r.reason)) delete unconfirmed[key];
      if (refused(r.reason) && known) {
        // Launched, then gone before EC2 ever listed it: interrupted, not a failed launch.
        state.interruptions++;
        state.lastInterruption = `${key} (${known}, ${plans[i].az}) gone at ${new Date().toISOString()}`;
        return;
      }
      failures.push(`${key} in ${plans[i].az}: ${readableError(r.reason)}`);
    });
    if (failures.length > 0) state.lastError = `launch failed: ${failures.join('; ')}`;
  }

  async function tick(): Promise<void> {
    state.ticks++;
    // Prices and the listing at once: one workflow task per tick.
    const [, listed] = await Promise.all([
      readPrices(),
      awsLocal.listClusterInstances({ scope }).then(
        (all) => ({ all }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if ('error' in listed) {
      if (isCancellation(listed.error)) throw listed.error;
      state.lastError = `listing the pool's nodes: ${readableError(listed.error)}`;
      return;
    }
    const confirming = Object.keys(state.unconfirmed ?? {}).length > 0 ? patched(PATCHES.spotWatcherConfirmsLaunches) : true;
    const live = look(listed.all, confirming);
    state.checkedAt = new Date().toISOString();

    // Scaled down: the highest indices go.
    const surplus = live.filter((i) => indexOf(i.key) >= state.desired);
    if (surplus.length > 0) {
      await Promise.all(surplus.map((i) => awsWait.terminateInstance({ scope, key: i.key, generation: i.generation })));
      const goneIds = new Set(surplus.map((i) => i.instanceId));
      state.nodes = state.nodes.filter((n) => !goneIds.has(n.instanceId));
    }

    const used = new Set(state.nodes.map((n) => indexOf(n.key)));
    let missing: number[] = [];
    for (let i = 0; i < state.desired; i++) if (!used.has(i)) missing.push(i);
    if (missing.length === 0) {
      state.reason = undefined;
      return;
    }
    // A key whose launch is unconfirmed is asked for again as it was launched, whatever the
    // prices now: a new generation could make a second instance beside one EC2 lists late.
    const unconfirmed = confirming ? (state.unconfirmed ?? {}) : {};
    const again = missing.filter((index) => unconfirmed[nodeKey(pool.name, index)] !== undefined);
    if (again.length > 0) {
      try {
        await launch(
          again.map((index) => ({ index, ...unconfirmed[nodeKey(pool.name, index)], again: true })),
          confirming,
        );
      } catch (error) {
        if (isCancellation(error)) throw error;
        state.lastError = `launch failed: ${readableError(error)}`;
        state.reason = state.lastError;
        return;
      }
      // Answered now, or still unknown (asked again next time): either way not launched afresh.
      // Keys EC2 said are gone or never made go on to a fresh launch below.
      const running = new Set(state.nodes.map((n) => indexOf(n.key)));
      const unknown = again.filter((index) => !running.has(index) && unconfirmed[nodeKey(pool.name, index)] !== undefined);
      missing = missing.filter((index) => !running.has(index) && !unknown.includes(index));
      if (missing.length === 0) {
        state.reason = unknown.length > 0 ? `launch of ${unknown.map((i) => nodeKey(pool.name, i)).join(', ')} not confirmed by EC2 yet; asking again at the next check` : undefined;
        return;
      }
    }
    const maxPrice = bid();
    if (maxPrice === undefined) {
      state.reason = `waiting for the on-demand price of ${pool.instanceType}${state.lastError ? `: ${state.lastError}` : ''}`;
      return;
    }
    const bidUsd = Number(maxPrice);
    const inRange = pool.azs.filter((az) => state.spotPrices[az] !== undefined && state.spotPrices[az] <= bidUsd).sort((a, b) => state.spotPrices[a] - state.spotPrices[b]);
    if (inRange.length === 0) {
      state.reason = pool.azs
        .map((az) => (state.spotPrices[az] === undefined ? `no spot price known in ${az}` : `spot ${usd(state.spotPrices[az])} > bid ${usd(bidUsd)} in ${az}`))
        .join('; ');
      return;
    }
    try {
      await launch(freshLaunches(missing, inRange, maxPrice), confirming);
      state.reason = `launched ${missing.length} node(s) at bid ${usd(bidUsd)} in ${inRange.join(', ')}`;
    } catch (error) {
      if (isCancellation(error)) throw error;
      state.lastError = `launch failed: ${readableError(error)}`;
      state.reason = state.lastError;
    }
  }

  /** Pool removed or cluster deleted: every node of the pool goes, whatever its generation. */
  const terminateAll = () => terminatePoolNodes(awsOnce, scope, pool.name);

  try {
    // The interval as the worker has it now: a changed setting reaches the watcher at its next run.
    let { intervalS } = input;
    if (patched(PATCHES.liveSettingsEachRun)) intervalS = (await liveSettings()).spotIntervalS ?? intervalS;
    for (;;) {
      if (workflowInfo().continueAsNewSuggested) {
        takeChange();
        await continueAsNew<typeof spotWatcher>({ ...input, spec: cluster.spec, profile: cluster.profile, network: cluster.network, intervalS, carried: state });
      }
      wake = false;
      takeChange();
      // Whatever fails in a tick (a terminate that kept failing) is reported; the loop goes on.
      await tick().catch((error: unknown) => {
        if (isCancellation(error)) throw error;
        state.lastError = readableError(error);
      });
      const v = view();
      setCurrentDetails(
        `**${pool.name}**: ${v.running}/${v.desired} spot nodes, bid ${v.bid ? `$${v.bid}` : 'unknown'}` +
          `${v.reason ? `\n\n${v.reason}` : ''}${v.degraded ? `\n\ndegraded: ${v.lastError}` : ''}`,
      );
      await condition(() => wake, intervalS * 1000);
    }
  } catch (error) {
    if (isCancellation(error)) await CancellationScope.nonCancellable(stop);
    throw error;
  }

  /**
   * Stopped: launches still in flight settle first, so none lands after the sweep; then the
   * pool's nodes go, and the entity (waiting to sweep the cluster or the pool) hears of it.
   */
  async function stop(): Promise<void> {
    const signals = patched(PATCHES.spotWatcherSignalsStop);
    if (signals) await activitiesSettled();
    try {
      await terminateAll();
    } finally {
      if (signals) {
        await getExternalWorkflowHandle(clusterWorkflowId(input.project, input.spec.name))
          .signal(watcherStoppedSignal, pool.name)
          .catch(() => undefined);
      }
    }
  }
}

/** An activity failure EC2 answered with a refusal that retrying cannot change. */
function refused(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}
