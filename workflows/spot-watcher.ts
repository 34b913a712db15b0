import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
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
import type { NetworkStatus, NodeStatus, SpotPoolStatus, SpotRoll, TaskState } from '../common/cluster-status';
import { capacityOf, type ClusterSpec, type PoolSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { launchDigest, replacementReasons, withLaunchDigest, type LaunchSource } from './launch-config';
import { activitiesSettled, awsLocal, awsOnce, awsWait, liveSettings } from './activities';
import { countSpotWatcherTick } from './metrics';
import { imageOf, indexOf, joiningContext, nodeStatus, poolKeyPrefix, startNode, terminatePoolNodes } from './node-lifecycle';
import { scopeOf } from './operation';
import { nodeKey, planFor } from './plan';
import { readableError } from '../common/readable-error';
import { bidOf, rollWaitingReason, usd } from '../common/spot-bid';
import { PATCHES } from './patches';
import { clusterChangedSignal, resizeSignal, rollSpotPoolSignal, spotRollProgressSignal, spotStatusQuery, watcherStoppedSignal, type RollSpotPoolRequest } from './messages';
import { clusterWorkflowId } from '../common/workflow-ids';
import { nextTickAt, tickPhaseMs } from '../common/spot-schedule';


/**
 * Generations of spot launches start here, far above the entity's operation numbers, so a
 * key relaunched by the watcher never reuses the ClientToken of an earlier instance.
 */
export const SPOT_GENERATION_BASE = 100000;

/** How many ticks the on-demand price is kept before it is asked again (it changes rarely). */
const ON_DEMAND_REFRESH_TICKS = 30;

/**
 * History events after which a run that spreads its ticks continues as new (about 40 quiet
 * ticks): a worker whose cache cannot hold every watcher replays a watcher's run at each of
 * its ticks, so the replay's cost is bounded by this, not by the server's suggestion (~4k
 * events). Measured with bench/spot-watchers.ts (docs/architecture.md#spot-watcher).
 */
export const SPOT_RUN_EVENTS_MAX = 400;

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
  /** The instance type launches use when it is not the pool's: a reconfigure rolled (or rolls) the pool to it. */
  instanceType?: string;
  /**
   * The pool as launches use it when a reconfigure rolled (or rolls) its labels, taints or root
   * volume: the watcher's input keeps the pool as it was started. Its instance type is `instanceType`'s.
   */
  launchPool?: PoolSpec;
  /** A rolling reconfigure under way (docs/architecture.md#spot-reconfigure). */
  roll?: RollState;
  /** A roll's replacement left unfinished when its roll stopped: terminated at the next check. */
  rollUndo?: { key: string; generation: number };
}

/** One node being replaced: its replacement's launch (same key and AZ, a new generation, the bid of its start). */
interface RollStep {
  key: string;
  index: number;
  az: string;
  generation: number;
  maxPrice: string;
  previous: { instanceId: string; generation: number };
  attempts: number;
}

/**
 * `fromPool`/`toPool`: a roll of the launch settings (the request carried the pool): the nodes
 * replaced are those whose launch differs from `toPool`'s; without them (requests made before),
 * those of another instance type. `fromProfile`/`toProfile`: a roll of the profile too (an
 * upgrade, a profile change): the nodes boot `toProfile`'s version and bootstrap.
 */
type RollState = SpotRoll & { replyTo: string; step?: RollStep; fromPool?: PoolSpec; toPool?: PoolSpec; fromProfile?: ResolvedProfile; toProfile?: ResolvedProfile };

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

export { bidOf };

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
  // A run's first commands, in the order older runs recorded them.
  const readsLiveSettings = patched(PATCHES.liveSettingsEachRun);
  const knows = patchesOfThisRun();
  // Decided once per run, in its first task, after the patches older runs recorded there.
  const spreads = patched(PATCHES.spotWatcherSpreadsTicks);

  /** The instance type launches use now: the pool's, or the one a reconfigure rolls it to. */
  const typeNow = () => state.instanceType ?? pool.instanceType;
  const poolNow = (): PoolSpec => ({ ...(state.launchPool ?? pool), instanceType: typeNow() });
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
      nextCheckAt,
      instanceType: typeNow(),
      roll: state.roll && publicRoll(state.roll),
    };
  };
  setHandler(spotStatusQuery, view);
  const sourceOf = (p: PoolSpec): LaunchSource => ({ spec: cluster.spec, pool: p, profile: cluster.profile });
  /**
   * A node launched now, as the watcher knows it: with the digest of what it launched with when
   * that is not the watcher's input pool (a roll of the launch settings), so a roll, or its
   * retry after a stop, does not replace it again.
   */
  const launched = (info: InstanceInfo, kubernetesVersion?: string): NodeStatus =>
    state.launchPool ? withLaunchDigest(nodeStatus(info, kubernetesVersion), sourceOf(poolNow())) : nodeStatus(info, kubernetesVersion);
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
  /** Roll requests, taken in between ticks like cluster changes (replay hands a signal over only there). */
  const rollAsked: RollSpotPoolRequest[] = [];
  setHandler(rollSpotPoolSignal, (asked) => {
    rollAsked.push(asked);
    wake = true;
  });
  /** Another instance type: its prices, not the old one's, make the bid and the ranges. */
  const retarget = (instanceType: string) => {
    state.instanceType = instanceType === pool.instanceType ? undefined : instanceType;
    state.onDemandPrice = undefined;
    state.spotPrices = {};
  };
  /** A roll stopped (cancelled, or its operation gone): replaced nodes stay; launches go back to the old type. */
  const stopRoll = () => {
    const roll = state.roll;
    if (!roll) return;
    if (roll.step) state.rollUndo = { key: roll.step.key, generation: roll.step.generation };
    state.roll = undefined;
    if (roll.fromPool) state.launchPool = roll.fromPool;
    if (roll.fromProfile) switchProfile(roll.fromProfile);
    retarget(roll.from);
  };
  /** Launches from now on boot `profile`: its image is resolved again at the next launch. */
  const switchProfile = (profile: ResolvedProfile) => {
    cluster.profile = profile;
    state.imageId = undefined;
  };
  const takeRolls = () => {
    // Only runs that reach a roll request after this change know of rolls.
    if (rollAsked.length === 0 || !knows(PATCHES.spotWatcherRolls)) return;
    for (const asked of rollAsked.splice(0)) {
      if (asked.stop) {
        if (state.roll?.operationId === asked.operationId) stopRoll();
        continue;
      }
      if (!asked.instanceType || !asked.replyTo) continue;
      if (state.roll) stopRoll();
      state.roll = { operationId: asked.operationId, from: typeNow(), to: asked.instanceType, replyTo: asked.replyTo, tasks: [] };
      // A request that carries the pool rolls its launch settings (labels, taints, root volume too).
      if (asked.pool && knows(PATCHES.spotWatcherRollsLaunchSettings)) {
        Object.assign(state.roll, { fromPool: poolNow(), toPool: asked.pool });
        state.launchPool = asked.pool;
        // An upgrade or profile change: the replacements (and any launch meanwhile) boot its profile.
        if (asked.profile && knows(PATCHES.spotWatcherRollsProfile)) {
          Object.assign(state.roll, { fromProfile: cluster.profile, toProfile: asked.profile });
          switchProfile(asked.profile);
        }
      }
      retarget(asked.instanceType);
    }
  };

  async function readPrices(): Promise<void> {
    const errors: string[] = [];
    if (state.onDemandPrice === undefined || state.ticks % ON_DEMAND_REFRESH_TICKS === 0) {
      try {
        state.onDemandPrice = await awsLocal.onDemandPrice({ scope, instanceType: typeNow(), ...shared() });
      } catch (error) {
        if (isCancellation(error)) throw error;
        errors.push(`on-demand price: ${readableError(error)}`);
      }
    }
    try {
      const prices = await awsLocal.spotPrices({ scope, instanceType: typeNow(), azs: pool.azs, ...shared() });
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
    state.nodes = live
      .map((i) => {
        const known = state.nodes.find((n) => n.instanceId === i.instanceId);
        const node = nodeStatus(i, known?.kubernetesVersion);
        // AWS does not say what a node launched with: the watcher remembers it.
        return known?.launchDigest === undefined ? node : { ...node, launchDigest: known.launchDigest };
      })
      .sort((a, b) => indexOf(a.key) - indexOf(b.key));
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
      const plan = planFor(poolNow(), l.index, l.az);
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
          poolNow(),
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
        state.nodes.push(launched(r.value, cluster.profile.kubernetesVersion));
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

  /** Whether the last tick listed the pool's nodes (a roll steps only on a fresh listing). */
  let looked = false;

  async function tick(): Promise<void> {
    looked = false;
    state.ticks++;
    countSpotWatcherTick();
    // Prices and the listing at once: one workflow task per tick.
    const [, listed] = await Promise.all([
      readPrices(),
      awsLocal.listClusterInstances({ scope, ...sharedListing() }).then(
        (all) => ({ all }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if ('error' in listed) {
      if (isCancellation(listed.error)) throw listed.error;
      state.lastError = `listing the pool's nodes: ${readableError(listed.error)}`;
      return;
    }
    const confirming = Object.keys(state.unconfirmed ?? {}).length > 0 ? knows(PATCHES.spotWatcherConfirmsLaunches) : true;
    const live = look(listed.all, confirming);
    looked = true;
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
      state.reason = `waiting for the on-demand price of ${typeNow()}${state.lastError ? `: ${state.lastError}` : ''}`;
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

  /** The task of the roll that replaces `key`, added when first seen. */
  function rollTask(roll: RollState, key: string, state_: TaskState, message?: string): void {
    const name = `replace ${key}`;
    let task = roll.tasks.find((t) => t.name === name);
    if (!task) roll.tasks.push((task = { name, state: 'Pending' }));
    const now = new Date().toISOString();
    if (state_ === 'Running' && task.state !== 'Running') task.startedAt = now;
    if ((state_ === 'Succeeded' || state_ === 'Failed') && task.state !== state_) task.finishedAt = now;
    task.state = state_;
    task.message = message;
  }

  /**
   * One step of a rolling reconfigure (docs/architecture.md#spot-reconfigure), after a tick
   * that listed the nodes: the lowest-indexed node of the old type in an AZ where the new
   * type's spot price is within the bid is replaced under its key and AZ by one of the new
   * type at the bid, ready before the old one goes; only while at most `desired` nodes are
   * alive, so never more than desired + 1 are and never fewer run than before the step.
   */
  async function rollStep(roll: RollState): Promise<void> {
    const { fromPool, toPool } = roll;
    // What the nodes launched with before the roll, and what they launch with now.
    const before = (p: PoolSpec): LaunchSource => ({ ...sourceOf(p), profile: roll.fromProfile ?? cluster.profile });
    const stale = (n: NodeStatus) => (fromPool && toPool ? replacementReasons(n, before(fromPool), sourceOf(toPool)).length > 0 : n.instanceType !== roll.to);
    const old = state.nodes.filter(stale).sort((a, b) => indexOf(a.key) - indexOf(b.key));
    /** What the roll launches, in its tasks' words: its type, and whether more than the type changes. */
    const settings = fromPool && toPool && launchDigest(sourceOf({ ...fromPool, instanceType: roll.to })) !== launchDigest(sourceOf(toPool));
    const profiled = roll.toProfile !== undefined && fromPool !== undefined && launchDigest(before({ ...fromPool, instanceType: roll.to })) !== launchDigest(sourceOf({ ...fromPool, instanceType: roll.to }));
    const to = profiled ? `${roll.to} with ${profileText(roll)}` : settings ? `${roll.to} with the new launch settings` : roll.to;
    for (const n of old) if (!roll.tasks.some((t) => t.name === `replace ${n.key}`)) rollTask(roll, n.key, 'Pending');
    // Nodes of the old type gone otherwise (interrupted, scaled down): their keys are relaunched on the new type.
    for (const t of roll.tasks) {
      const key = t.name.slice('replace '.length);
      if ((t.state === 'Pending' || t.state === 'Running') && roll.step?.key !== key && !old.some((n) => n.key === key)) {
        rollTask(roll, key, 'Succeeded', `no ${settings || profiled ? 'node launched the old way' : `${roll.from} node`} left under ${key}: it was interrupted or scaled down; the watcher launches ${to} in its place`);
      }
    }
    if (!roll.step) {
      if (old.length === 0) {
        roll.done = true;
        roll.waiting = undefined;
        return;
      }
      const unconfirmed = Object.keys(state.unconfirmed ?? {}).length;
      if (state.nodes.length + unconfirmed > state.desired) {
        roll.waiting = `waiting: ${state.nodes.length + unconfirmed} nodes alive or launching for a size of ${state.desired}; a node is replaced only while at most size + 1 are alive`;
        rollTask(roll, old[0].key, 'Pending', roll.waiting);
        return;
      }
      const maxPrice = bid();
      if (maxPrice === undefined) {
        roll.waiting = `waiting: no on-demand price of ${roll.to} yet${state.lastError ? ` (${state.lastError})` : ''}`;
        rollTask(roll, old[0].key, 'Pending', roll.waiting);
        return;
      }
      // The lowest-indexed node whose AZ the new type's price allows; the others wait, saying why.
      const reasons = old.map((n) => rollWaitingReason(roll.to, n.az, state.spotPrices[n.az], maxPrice));
      old.forEach((n, i) => {
        if (reasons[i] !== undefined) rollTask(roll, n.key, 'Pending', reasons[i]);
      });
      const at = reasons.findIndex((r) => r === undefined);
      if (at < 0) {
        roll.waiting = [...new Set(reasons)].join('; ');
        return;
      }
      const previous = old[at];
      roll.step = {
        key: previous.key,
        index: indexOf(previous.key),
        az: previous.az,
        generation: SPOT_GENERATION_BASE + ++state.rounds,
        maxPrice,
        previous: { instanceId: previous.instanceId, generation: previous.generation ?? 0 },
        attempts: 0,
      };
    }
    roll.waiting = undefined;
    const step = roll.step;
    rollTask(roll, step.key, 'Running', `launching ${to} in ${step.az} at bid ${usd(Number(step.maxPrice))}`);
    await report(roll);
    const kubernetesVersion = cluster.profile.kubernetesVersion;
    // A stop asked while the replacement launches or boots ends the step there: the launch
    // settles, and the stop (taken after this tick) terminates it; the old node stays.
    const stopAsked = () => rollAsked.some((a) => a.stop && a.operationId === roll.operationId);
    const stepScope = new CancellationScope();
    const watching = new CancellationScope();
    const stopped = watching.run(() => condition(stopAsked)).then(
      () => stepScope.cancel(),
      () => undefined,
    );
    try {
      const ready = await stepScope.run(async () => {
        if (!state.imageId) state.imageId = await imageOf(awsOnce, cluster);
        const target = poolNow();
        // Asked again under the same generation (a lost answer, a failed wait): the same ClientToken, the same instance.
        const fresh = await startNode(
          awsOnce,
          cluster,
          scope,
          planFor(target, step.index, step.az),
          target,
          joiningContext(cluster.network, state.imageId, step.generation, step.az),
          step.maxPrice,
          step.attempts++ > 0,
        );
        if (!state.nodes.some((n) => n.instanceId === fresh.instanceId)) state.nodes.push(launched(fresh, kubernetesVersion));
        return awsWait.waitInstanceReady({ scope, instanceId: fresh.instanceId });
      });
      // Ready just as the stop came (a call cannot always be cancelled): stopped all the same.
      if (stopAsked()) throw new CancelledFailure('the roll was stopped');
      await awsWait.terminateInstance({ scope, key: step.key, generation: step.previous.generation });
      state.nodes = state.nodes.filter((n) => n.instanceId !== step.previous.instanceId).map((n) => (n.instanceId === ready.instanceId ? launched(ready, kubernetesVersion) : n));
      rollTask(roll, step.key, 'Succeeded', `${step.previous.instanceId} → ${ready.instanceId} (${to} in ${step.az})`);
      roll.step = undefined;
      // The next node at once, not at the next interval.
      wake = true;
    } catch (error) {
      if (isCancellation(error) && stopAsked()) {
        rollTask(roll, step.key, 'Pending', 'stopped: the operation was cancelled');
        return;
      }
      if (isCancellation(error)) throw error;
      // Refused, or the replacement died before it was ready (interrupted): whatever of it is
      // left goes, and the next step launches afresh under a new generation at the price then.
      if (refused(error)) {
        await awsWait.terminateInstance({ scope, key: step.key, generation: step.generation });
        state.nodes = state.nodes.filter((n) => !(n.key === step.key && n.generation === step.generation));
        roll.step = undefined;
      }
      rollTask(roll, step.key, 'Running', `attempt failed: ${readableError(error)}; trying again at the next check`);
    } finally {
      watching.cancel();
      await stopped;
    }
  }

  /** The last report the roll's operation heard, so an unchanged roll is not sent again. */
  let reported: string | undefined;

  /** Tells the roll's operation where it stands; an operation gone (closed) stops the roll. */
  async function report(roll: RollState): Promise<void> {
    const progress = { ...publicRoll(roll), nodes: state.nodes };
    const text = JSON.stringify(progress);
    if (text === reported) return;
    const heard = await getExternalWorkflowHandle(roll.replyTo)
      .signal(spotRollProgressSignal, progress)
      .then(
        () => true,
        () => false,
      );
    if (heard) reported = text;
    else if (state.roll === roll) stopRoll();
  }

  /** After each tick: a stopped roll's replacement undone, the roll's next step, its progress told. */
  async function rollPhase(): Promise<void> {
    if (state.rollUndo) {
      await awsWait.terminateInstance({ scope, ...state.rollUndo });
      state.rollUndo = undefined;
    }
    const roll = state.roll;
    if (!roll) return;
    if (looked) await rollStep(roll);
    await report(roll);
    if (roll.done && state.roll === roll) state.roll = undefined;
  }

  /** Pool removed or cluster deleted: every node of the pool goes, whatever its generation. */
  const terminateAll = () => terminatePoolNodes(awsOnce, scope, pool.name);

  // The interval as the worker has it now: a changed setting reaches the watcher at its next run.
  let { intervalS } = input;
  /** When the next tick is due (a watcher that spreads its ticks says so in its status). */
  let nextCheckAt: string | undefined;
  const everyMs = () => intervalS * 1000;
  const phaseMs = () => tickPhaseMs(clusterWorkflowId(input.project, input.spec.name), everyMs());
  /** Until the next tick: the cluster's next due time, or a whole interval (runs begun before spreading). */
  const untilNextTick = () => {
    if (!spreads) return everyMs();
    const due = nextTickAt(Date.now(), phaseMs(), everyMs());
    nextCheckAt = new Date(due).toISOString();
    return Math.max(1, due - Date.now());
  };
  /** Price reads shared within one interval by every watcher of the worker (one read per region and type). */
  const shared = () => (spreads ? { sharedWithinMs: everyMs() } : {});
  /**
   * The listing read with those other watchers ask within a second (the pools of a cluster,
   * which tick together, and other clusters): fresh, never an earlier answer.
   */
  const sharedListing = () => (spreads ? { batched: true } : {});
  /** The server's suggestion, or sooner for a run that spreads its ticks (SPOT_RUN_EVENTS_MAX). */
  const continueNow = () => workflowInfo().continueAsNewSuggested || (spreads && workflowInfo().historyLength >= SPOT_RUN_EVENTS_MAX);

  try {
    if (readsLiveSettings) intervalS = (await liveSettings()).spotIntervalS ?? intervalS;
    // A continued run waits for its cluster's due time: the watchers that continue together
    // would otherwise tick together. A new watcher looks at once (its pool is empty).
    if (spreads && input.carried) await condition(() => wake, untilNextTick());
    const continueAsNewNow = async () => {
      takeChange();
      await continueAsNew<typeof spotWatcher>({ ...input, spec: cluster.spec, profile: cluster.profile, network: cluster.network, intervalS, carried: state });
    };
    for (;;) {
      if (!spreads && workflowInfo().continueAsNewSuggested) await continueAsNewNow();
      wake = false;
      takeChange();
      takeRolls();
      // Whatever fails in a tick (a terminate that kept failing) is reported; the loop goes on.
      await tick().catch((error: unknown) => {
        if (isCancellation(error)) throw error;
        state.lastError = readableError(error);
      });
      if (state.roll || state.rollUndo) {
        await rollPhase().catch((error: unknown) => {
          if (isCancellation(error)) throw error;
          state.lastError = `rolling to another instance type: ${readableError(error)}`;
        });
      }
      const v = view();
      setCurrentDetails(
        `**${pool.name}**: ${v.running}/${v.desired} spot nodes, bid ${v.bid ? `$${v.bid}` : 'unknown'}` +
          `${v.reason ? `\n\n${v.reason}` : ''}${v.degraded ? `\n\ndegraded: ${v.lastError}` : ''}` +
          `${v.roll ? `\n\nrolling ${v.roll.from} → ${v.roll.to} for ${v.roll.operationId}: ${v.roll.tasks.filter((t) => t.state === 'Succeeded').length}/${v.roll.tasks.length} replaced${v.roll.waiting ? `; ${v.roll.waiting}` : ''}` : ''}`,
      );
      // After a tick, not before: the next run waits for the next due time and misses none.
      // Not while a signal waits to be taken (a resize, a roll's next step): the run takes it first.
      if (spreads && !wake && continueNow()) await continueAsNewNow();
      await condition(() => wake, untilNextTick());
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
    const signals = knows(PATCHES.spotWatcherSignalsStop);
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

/** The roll as its operation and the API see it (without the watcher's bookkeeping). */
function publicRoll({ operationId, from, to, tasks, waiting, done }: RollState): SpotRoll {
  return { operationId, from, to, tasks: tasks.map((t) => ({ ...t })), waiting, done };
}

/** The profile a roll moves to, in its tasks' words. */
function profileText({ fromProfile, toProfile }: RollState): string {
  if (!fromProfile || !toProfile) return 'the new profile';
  if (fromProfile.kubernetesVersion !== toProfile.kubernetesVersion) return `Kubernetes ${toProfile.kubernetesVersion}`;
  return `profile ${toProfile.profileId}`;
}

/** An activity failure EC2 answered with a refusal that retrying cannot change. */
function refused(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

/** The patches a watcher meets in the middle of a run, possibly just after a local activity. */
const PATCHES_MET_MID_RUN = [
  PATCHES.spotWatcherRolls,
  PATCHES.spotWatcherRollsLaunchSettings,
  PATCHES.spotWatcherRollsProfile,
  PATCHES.spotWatcherConfirmsLaunches,
  PATCHES.spotWatcherSignalsStop,
] as const;

/**
 * Decides the watcher's patches in its run's first workflow task, before any local activity
 * (docs/architecture.md, "Workflow determinism"). Met first just after a local activity, a patch
 * can replay a task early and come out false where the run had recorded it. A run that began before
 * this rule (its markers recorded later, or never) finds them absent here and decides where it
 * meets them, as it did.
 */
function patchesOfThisRun(): (id: (typeof PATCHES_MET_MID_RUN)[number]) => boolean {
  const atStart = new Map(PATCHES_MET_MID_RUN.map((id) => [id, patched(id)] as const));
  return (id) => atStart.get(id) === true || patched(id);
}
