import { patched } from '@temporalio/workflow';
import type { NodeStatus } from '../../common/cluster-status';
import type { PoolSpec } from '../../common/cluster-spec';
import { awsWait } from '../activities';
import { detach, indexOf, launchAllOrNone, launchNode, joiningContext, nodeStatus, resolveImage } from '../node-lifecycle';
import { scopeOf } from '../operation';
import { planFor } from '../plan';
import { PATCHES } from '../patches';
import type { OperationModule } from './operation-module';
import { observeNodes, operationTasks, type PoolOperationInput } from './pool-operation';

/** What self-repair found gone, per pool. */
export interface RepairInput extends Omit<PoolOperationInput, 'pool' | 'nodes'> {
  pools: Array<{ pool: PoolSpec; nodes: NodeStatus[]; lost: NodeStatus[] }>;
  reason: string;
}

/**
 * Self-repair: each node that disappeared behind Clusterflow's back is replaced under its own
 * key (off the API endpoint first if it was a control-plane node).
 */
export async function repairNodes(input: RepairInput): Promise<Array<{ pool: string; nodes: NodeStatus[] }>> {
  const tasks = operationTasks(`repair: ${input.reason}`);
  const lost = input.pools.flatMap((p) => p.lost.map((node) => ({ pool: p.pool, node })));
  tasks.plan(['image', ...lost.map(({ node }) => `replace ${node.key}`)]);
  const imageId = await resolveImage(input, tasks);
  // Cancelled (an operator's request comes first) or failed: what it launched goes again,
  // once every launch has landed; the next check repairs what is still missing.
  const replaced = await launchAllOrNone(
    input,
    lost.map(({ node }) => node.key),
    lost.map(({ pool, node }) => () =>
      tasks.run(
        `replace ${node.key}`,
        async () => {
          const scope = scopeOf(input);
          if (pool.role === 'control-plane') await detach(scope, input.network, [node.instanceId]);
          const plan = planFor(pool, indexOf(node), node.az);
          const fresh = nodeStatus(await launchNode(input, scope, plan, pool, joiningContext(input.network, imageId, input.generation, node.az)), input.profile.kubernetesVersion);
          // A stopped node still holds its key (and bills for its volumes): once its
          // replacement is ready, it goes for good.
          if (patched(PATCHES.repairTerminatesReplaced)) await awsWait.terminateInstance({ scope, key: node.key, generation: node.generation ?? 0 });
          return { old: node.instanceId, fresh };
        },
        (r) => `${r.old} → ${r.fresh.instanceId}`,
      ),
    ),
    // Repairs cancelled before this change ended without undoing anything: they replay so.
    { undoCancelled: () => patched(PATCHES.repairUndoesLaunches) },
  );
  const swap = new Map(replaced.map((r) => [r.old, r.fresh]));
  return input.pools.map((p) => ({ pool: p.pool.name, nodes: p.nodes.map((n) => swap.get(n.instanceId) ?? n) }));
}

/**
 * Self-repair: started by the entity itself when its periodic check finds on-demand nodes
 * gone; an operator's request preempts it.
 */
export const repair: OperationModule<never, RepairInput, Array<{ pool: string; nodes: NodeStatus[] }>> = {
  type: 'repair',
  notRetried: { rule: 'repair-not-retried', why: (id) => `${id} is a self-repair: the next check repairs again by itself` },
  phases: { running: 'Updating', succeeded: 'Running', failed: 'Running' },
  summary: ({ entity }) => `repair on cluster ${entity.project}/${entity.spec.name}`,
  workflow: repairNodes,
  input: ({ entity, request, record, generation }) => ({
    project: entity.project,
    spec: entity.spec,
    profile: entity.profile,
    operationId: record.id,
    network: entity.status.network,
    generation,
    reason: request.repair?.reason ?? '',
    pools: Object.entries(request.repair?.lost ?? {}).map(([name, gone]) => ({
      pool: entity.poolNamed(name),
      nodes: entity.status.pools.find((p) => p.name === name)?.nodes ?? [],
      lost: gone,
    })),
  }),
  failed: observeNodes,
  fold({ entity }, repaired) {
    entity.status.pools = entity.status.pools.map((p) => ({ ...p, nodes: repaired.find((r) => r.pool === p.name)?.nodes ?? p.nodes }));
  },
};
