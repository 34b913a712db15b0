/**
 * Kubernetes version upgrade (docs/architecture.md#upgrade): every on-demand node replaced,
 * one at a time, by a node whose bootstrap carries the new version; the control plane first,
 * as Kubernetes' version-skew policy wants the API servers no older than any kubelet.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { NetworkStatus, NodeStatus, OperationRecord } from '../../common/cluster-status';
import { isSpotPool, type PoolSpec } from '../../common/cluster-spec';
import { checkUpgrade } from '../../common/day2-rules';
import { withKubernetesVersion } from '../../common/profile';
import type { Accepted } from '../messages';
import { nodeStatus } from '../node-lifecycle';
import { rollingOrder, rollNodes, rollSpotPools, spotPoolsToRoll, type RollResult } from './rolling';
import type { OperationInput } from '../operation';
import { rule, violation, type Entity, type OperationModule, type Run } from './operation-module';
import { observeNodes, operationTasks } from './pool-operation';

export interface UpgradeArgs {
  kubernetesVersion: string;
}

/** The cluster's Kubernetes version raised (POST /v1/clusters/:name/upgrade {kubernetesVersion}). */
export const upgradeClusterUpdate = defineUpdate<Accepted, [UpgradeArgs]>('upgradeCluster');

export interface UpgradeInput extends OperationInput {
  network: NetworkStatus;
  /** This operation's number: the generation of every node it launches. */
  generation: number;
  /** The on-demand pools in the order they roll (control plane first), with their nodes now. */
  pools: Array<{ pool: PoolSpec; nodes: NodeStatus[] }>;
  /** The spot pools, rolled after through their watchers (absent in runs begun before they were). */
  spotPools?: PoolSpec[];
}

export type UpgradeResult = RollResult;


/**
 * Rolls the nodes not yet on the profile's version: each replaced under its key in its AZ,
 * ready (InService for the control plane) before the old one is retired. A node already on
 * the version (a retry after a partial roll) is skipped, so a retry finishes the roll.
 */
export async function upgradeCluster(input: UpgradeInput): Promise<UpgradeResult> {
  const version = input.profile.kubernetesVersion;
  const tasks = operationTasks(`upgrade Kubernetes to ${version}`);
  const spot = spotPoolsToRoll(input.spotPools);
  const rolled = await rollNodes(
    input,
    tasks,
    input.pools,
    {
      step: (node) => `upgrade ${node.key}`,
      keeps: (_pool, node) => (node.kubernetesVersion === version ? `already runs ${version}` : undefined),
      record: (_pool, launched) => nodeStatus(launched, version),
    },
    spot.tasks,
  );
  return rollSpotPools(input, tasks, spot.pools, (pool) => `the watcher replaces each ${pool.name} node not on ${version} at the pool's bid`, rolled);
}

function recordedVersion(record: OperationRecord): string {
  if (!record.kubernetesVersion) throw violation('retry-recorded-request', `${record.id} recorded no Kubernetes version: ask for the upgrade again instead`);
  return record.kubernetesVersion;
}

function check(entity: Entity, version: string): void {
  entity.requireRunning();
  rule(() => checkUpgrade(entity.profile.kubernetesVersion, version));
}

/** The control-plane pool first, then the on-demand worker pools in spec order. */
function rollingPools(entity: Entity): PoolSpec[] {
  return rollingOrder(entity.spec.pools, isSpotPool);
}

/**
 * After a failure or cancellation the nodes already replaced stay (they are ready and joined):
 * the status is read again from AWS, this run's nodes marked with the new version, and the
 * record names them.
 */
async function keptSoFar(run: Run, failure: { message: string }): Promise<string> {
  const version = run.request.kubernetesVersion as string;
  const message = await observeNodes(run, failure, version);
  const rolled = new Set(rollingPools(run.entity).map((p) => p.name));
  const nodes = run.entity.status.pools.filter((p) => rolled.has(p.name)).flatMap((p) => p.nodes);
  const upgraded = nodes.filter((n) => n.kubernetesVersion === version).map((n) => n.key);
  if (upgraded.length === 0) return message;
  return `${message}; already upgraded and kept on Kubernetes ${version}: ${upgraded.join(', ')} (the cluster runs both versions until a retry finishes the roll)`;
}

export const upgrade: OperationModule<UpgradeArgs, UpgradeInput, UpgradeResult> = {
  type: 'upgrade',
  update: upgradeClusterUpdate,
  validate: (entity, { kubernetesVersion }) => check(entity, kubernetesVersion),
  request: (_entity, { kubernetesVersion }) => ({ type: 'upgrade', kubernetesVersion }),
  retry: (entity, record) => check(entity, recordedVersion(record)),
  retryRequest: (record) => ({ type: 'upgrade', kubernetesVersion: record.kubernetesVersion, retryOf: record.id }),
  phases: { running: 'Updating', succeeded: 'Running', failed: 'Running' },
  summary: ({ entity, request }) => `upgrade cluster ${entity.project}/${entity.spec.name} to Kubernetes ${request.kubernetesVersion}`,
  workflow: upgradeCluster,
  input: ({ entity, request, record, generation }) => ({
    project: entity.project,
    spec: entity.spec,
    profile: withKubernetesVersion(entity.profile, request.kubernetesVersion as string),
    operationId: record.id,
    network: entity.status.network,
    generation,
    pools: rollingPools(entity).map((pool) => ({ pool, nodes: entity.status.pools.find((p) => p.name === pool.name)?.nodes ?? [] })),
    spotPools: entity.spec.pools.filter(isSpotPool),
  }),
  fold({ entity, request }, rolled) {
    entity.profile = withKubernetesVersion(entity.profile, request.kubernetesVersion as string);
    entity.status.pools = entity.status.pools.map((p) => ({ ...p, nodes: rolled.find((r) => r.pool === p.name)?.nodes ?? p.nodes }));
  },
  // The watchers rolled their nodes already (runs begun before that only tell them): launches
  // from now on boot the new version.
  async after({ entity }) {
    await Promise.all(entity.spec.pools.filter(isSpotPool).map((pool) => entity.watchers.clusterChanged(pool)));
  },
  failed: keptSoFar,
};
