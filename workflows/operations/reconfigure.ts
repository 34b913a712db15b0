import { defineUpdate, patched } from '@temporalio/workflow';
import type { NodeStatus } from '../../common/cluster-status';
import { isSpotPool, type PoolSpec, type RootVolume, type Taint } from '../../common/cluster-spec';
import { checkPoolChange, checkScale, poolWith } from '../../common/day2-rules';
import { launchDigest, replacementReasons, withLaunchDigest, type LaunchSource } from '../launch-config';
import type { Accepted } from '../messages';
import { indexOf, nodeStatus, replaceNode, resolveImage } from '../node-lifecycle';
import { PATCHES } from '../patches';
import { rule, recordedPool, type Entity, type OperationModule, type Run } from './operation-module';
import { rollThroughWatcher } from './spot-roll';
import { bringToSize, foldPool, observeNodes, operationTasks, poolInput, POOL_PHASES, poolSummary, type PoolOperationInput } from './pool-operation';

/** What a PATCH of a pool changes; each launch setting left out stays as it is. */
export interface ReconfigureArgs {
  pool: string;
  instanceType?: string;
  size?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  rootVolume?: RootVolume;
}

/** A pool's nodes replaced by nodes launched with new settings (PATCH /v1/clusters/:name/pools/:pool {instanceType, labels, taints, rootVolume}). */
export const reconfigurePoolUpdate = defineUpdate<Accepted, [ReconfigureArgs]>('reconfigurePool');

/** How the pool's nodes launch after the change, and how they launched before it. */
function launchSources(input: PoolOperationInput): { desired: LaunchSource; current?: LaunchSource } {
  const desired = { spec: input.spec, pool: input.pool, profile: input.profile };
  return { desired, current: input.was && { ...desired, pool: input.was } };
}

/**
 * Rolling reconfigure (docs/architecture.md#reconfigure): each node that launches otherwise than
 * the pool now says (instance type, labels, taints, root volume: workflows/launch-config.ts) is
 * replaced in turn — its replacement launched, ready (InService for the control plane), and
 * only then the old one drained and terminated. The pool never has fewer ready nodes than its
 * size, nor more than size + 1.
 */
export async function reconfigurePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const { pool } = input;
  if (isSpotPool(pool)) return rollSpotPool(input);
  const { desired, current } = launchSources(input);
  const tasks = operationTasks(`reconfigure pool ${pool.name}${current ? `: ${changeText(current.pool, pool)}` : ` to ${pool.instanceType}`}`);
  // Operations started before pools had launch settings replace the nodes of another instance type.
  const byLaunch = patched(PATCHES.reconfigureByLaunchSettings) && current !== undefined;
  const stale = (n: NodeStatus) => (byLaunch && current ? replacementReasons(n, current, desired).length > 0 : n.instanceType !== pool.instanceType);
  const old = [...input.nodes].filter(stale).sort((a, b) => indexOf(a) - indexOf(b));
  tasks.plan(['image', ...old.map((n) => `replace ${n.key}`)]);
  const imageId = await resolveImage(input, tasks);
  const nodes = [...input.nodes];
  for (const previous of old) {
    const fresh = await tasks.run(`replace ${previous.key}`, () => replaceNode(input, pool, previous, imageId), (i) => `${previous.instanceId} → ${i.instanceId}`);
    const node = nodeStatus(fresh, input.profile.kubernetesVersion);
    nodes.splice(nodes.findIndex((n) => n.instanceId === previous.instanceId), 1, byLaunch ? withLaunchDigest(node, desired) : node);
  }
  // A size asked with the new type is reached once every node runs it.
  return nodes.length === pool.size ? nodes : bringToSize(input, nodes, tasks);
}

/** The launch settings a change touches, in words (the operation's title). */
function changeText(was: PoolSpec, now: PoolSpec): string {
  const changes: string[] = [];
  if (was.instanceType !== now.instanceType) changes.push(`instance type ${was.instanceType} → ${now.instanceType}`);
  if (JSON.stringify(was.labels ?? {}) !== JSON.stringify(now.labels ?? {})) changes.push('labels');
  if (JSON.stringify(was.taints ?? []) !== JSON.stringify(now.taints ?? [])) changes.push('taints');
  if (JSON.stringify(was.rootVolume) !== JSON.stringify(now.rootVolume)) changes.push(`root volume ${now.rootVolume ? `${now.rootVolume.sizeGiB} GiB ${now.rootVolume.type}` : ''}`.trim());
  return changes.join(', ') || 'relaunch nodes launched otherwise';
}

/** A spot pool's nodes are its watcher's: it rolls them (workflows/operations/spot-roll.ts). */
async function rollSpotPool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const { pool } = input;
  const tasks = operationTasks(`reconfigure spot pool ${pool.name}${input.was ? `: ${changeText(input.was, pool)}` : ` to ${pool.instanceType}`}`);
  return rollThroughWatcher(input, tasks, { pool, describe: `the watcher replaces each ${pool.name} node at the pool's bid` });
}

function check(entity: Entity, args: ReconfigureArgs): void {
  const { pool, size } = args;
  const was = entity.poolNamed(pool);
  rule(() => checkPoolChange(entity.spec, pool, poolWith(was, args)));
  if (size !== undefined && size !== entity.poolNamed(pool).size) rule(() => checkScale(entity.spec, pool, size));
}

/**
 * A rolling reconfigure stopped halfway keeps the replacements it finished (this run's
 * generation): the pool then runs nodes of both launches, which its record says (a retry
 * finishes the roll).
 */
function replacedSoFar(run: Run, pool: PoolSpec): string {
  const was = run.entity.poolNamed(pool.name);
  const nodes = run.entity.status.pools.find((p) => p.name === pool.name)?.nodes ?? [];
  const typed = was.instanceType !== pool.instanceType;
  // A spot roll's nodes are read from AWS beside their watcher's launches; a key whose
  // replacement was still beside its old node when the roll stopped is not replaced. AWS does
  // not say which spot nodes have the new labels, taints or root volume: a roll of those alone
  // names none here (the watcher's status has them). An on-demand roll's replacements are this
  // run's generation.
  const replaced = !isSpotPool(pool)
    ? nodes.filter((n) => n.generation === run.generation).map((n) => n.key)
    : typed
      ? [...new Set(nodes.filter((n) => n.instanceType === pool.instanceType).map((n) => n.key))].filter((key) => nodes.every((n) => n.key !== key || n.instanceType === pool.instanceType))
      : [];
  if (replaced.length === 0) return '';
  const what = typed ? pool.instanceType : 'the new launch settings';
  if (replaced.length === nodes.length) return `; every node was already replaced and runs ${what}`;
  return `; already replaced and kept on ${what}: ${replaced.join(', ')} (the pool runs both ${typed ? 'instance types' : 'launch settings'} until a retry finishes the roll)`;
}

/** A stopped spot roll: its watcher launches as the record says again, and keeps what it replaced. */
function spotStays(was: PoolSpec, pool: PoolSpec): string {
  if (changeText(was, pool) === `instance type ${was.instanceType} → ${pool.instanceType}`) {
    return `; the pool stays ${was.instanceType}: its watcher launches that type again`;
  }
  return `; the pool keeps its launch settings (${was.instanceType}): its watcher launches with them again, the nodes it already replaced keep the new ones, and a retry replaces only the rest`;
}

export const reconfigure: OperationModule<ReconfigureArgs, PoolOperationInput, NodeStatus[]> = {
  type: 'reconfigure',
  update: reconfigurePoolUpdate,
  validate(entity, args) {
    entity.requireRunning();
    check(entity, args);
  },
  request: (entity, args) => ({ type: 'reconfigure', pool: poolWith(entity.poolNamed(args.pool), args) }),
  retry(entity, record) {
    entity.requireRunning();
    const pool = recordedPool(record);
    rule(() => {
      checkPoolChange(entity.spec, pool.name, pool);
      if (pool.size !== entity.poolNamed(pool.name).size) checkScale(entity.spec, pool.name, pool.size);
    });
  },
  phases: POOL_PHASES,
  summary: poolSummary,
  workflow: reconfigurePool,
  input: poolInput,
  fold: foldPool,
  // A spot pool rolls at its size: a new size asked with the type is its watcher's to reach.
  async after({ entity, request }) {
    if (request.pool && isSpotPool(request.pool)) await entity.watchers.resize(request.pool);
  },
  async failed(run, failure) {
    const pool = run.request.pool as PoolSpec;
    // The nodes this run launched boot the request's settings, which the record does not have.
    const digest = launchDigest({ spec: run.entity.spec, pool, profile: run.entity.profile });
    const message = await observeNodes(run, failure, undefined, isSpotPool(pool) ? {} : { [pool.name]: digest });
    const spot = isSpotPool(pool) ? spotStays(run.entity.poolNamed(pool.name), pool) : '';
    return `${message}${replacedSoFar(run, pool)}${spot}`;
  },
};
