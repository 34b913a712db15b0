/**
 * Profile change (docs/architecture.md#profile-change): a running cluster moved to another
 * cluster profile, or its pack overrides changed. Only the nodes whose launch would differ
 * (workflows/launch-config.ts: image, rendered bootstrap) are replaced, one at a time, control
 * plane first; a change the nodes never see (an add-on pack's values) replaces none and is
 * only recorded.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { NetworkStatus, OperationRecord } from '../../common/cluster-status';
import { isSpotPool, type ClusterSpec, type PoolSpec } from '../../common/cluster-spec';
import { checkProfileChange, type ProfileChange } from '../../common/day2-rules';
import type { ResolvedProfile } from '../../common/profile';
import { launchDigest, replacementReasons, withLaunchDigest, type LaunchSource } from '../launch-config';
import type { Accepted } from '../messages';
import { nodeStatus } from '../node-lifecycle';
import type { OperationInput } from '../operation';
import { rule, violation, type Entity, type OperationModule, type Run } from './operation-module';
import { observeNodes, operationTasks } from './pool-operation';
import { rollingOrder, rollNodes, rollSpotPools, spotPoolsToRoll, type PoolRoll, type RollResult } from './rolling';

/** The cluster's profile changed (PUT /v1/clusters/:name/profile {id, overrides}); the API resolved it from the store. */
export const changeProfileUpdate = defineUpdate<Accepted, [ProfileChange]>('changeProfile');

export interface ChangeProfileInput extends OperationInput {
  /** The profile the nodes were launched with (the cluster's record); `profile` is the new one. */
  was: ResolvedProfile;
  network: NetworkStatus;
  /** This operation's number: the generation of every node it launches. */
  generation: number;
  /** The on-demand pools in the order they roll (control plane first), with their nodes now. */
  pools: PoolRoll[];
  /** The spot pools, rolled after through their watchers (absent in runs begun before they were). */
  spotPools?: PoolSpec[];
}

const sources = (spec: ClusterSpec, pool: PoolSpec, was: ResolvedProfile, now: ResolvedProfile): { current: LaunchSource; desired: LaunchSource } => ({
  current: { spec, pool, profile: was },
  desired: { spec, pool, profile: now },
});

export async function changeProfile(input: ChangeProfileInput): Promise<RollResult> {
  const tasks = operationTasks(`change profile to ${input.profile.profileId}`);
  const spot = spotPoolsToRoll(input.spotPools);
  const rolled = await rollNodes(
    input,
    tasks,
    input.pools,
    {
      step: (node) => `replace ${node.key}`,
      keeps: (pool, node) => {
        const { current, desired } = sources(input.spec, pool, input.was, input.profile);
        return replacementReasons(node, current, desired).length === 0 ? 'launches the same with the new profile' : undefined;
      },
      record: (pool, launched) => withLaunchDigest(nodeStatus(launched, input.profile.kubernetesVersion), { spec: input.spec, pool, profile: input.profile }),
    },
    spot.tasks,
  );
  return rollSpotPools(input, tasks, spot.pools, (pool) => `the watcher replaces each ${pool.name} node that launches otherwise with profile ${input.profile.profileId}, at the pool's bid`, rolled);
}

function recordedChange(record: OperationRecord): ProfileChange {
  if (!record.profileChange) throw violation('retry-recorded-request', `${record.id} recorded no profile: ask for the change again instead`);
  return record.profileChange;
}

function check(entity: Entity, change: ProfileChange): void {
  entity.requireRunning();
  rule(() => checkProfileChange(entity.spec.profile, entity.profile, change));
}

function rollingPools(entity: Entity): PoolSpec[] {
  return rollingOrder(entity.spec.pools, isSpotPool);
}

/** After a failure or cancellation the nodes already replaced stay; the record names them. */
async function keptSoFar(run: Run, failure: { message: string }): Promise<string> {
  const next = (run.request.profileChange as ProfileChange).profile;
  const digests = Object.fromEntries(run.entity.spec.pools.map((pool) => [pool.name, launchDigest({ spec: run.entity.spec, pool, profile: next })]));
  const message = await observeNodes(run, failure, next.kubernetesVersion, digests);
  const rolled = new Set(rollingPools(run.entity).map((p) => p.name));
  const kept = run.entity.status.pools.filter((p) => rolled.has(p.name)).flatMap((p) => p.nodes.filter((n) => n.generation === run.generation).map((n) => n.key));
  if (kept.length === 0) return message;
  return `${message}; already replaced and kept on profile ${next.profileId}: ${kept.join(', ')} (the cluster runs both until a retry finishes the roll)`;
}

export const changeProfileOperation: OperationModule<ProfileChange, ChangeProfileInput, RollResult> = {
  type: 'change-profile',
  update: changeProfileUpdate,
  validate: check,
  request: (_entity, change) => ({ type: 'change-profile', profileChange: change }),
  retry: (entity, record) => {
    entity.requireRunning();
    // A retry finishes the roll toward the recorded profile, which may be the record's already.
    const change = recordedChange(record);
    rule(() => checkProfileChange(entity.spec.profile, entity.profile, change));
  },
  retryRequest: (record) => ({ type: 'change-profile', profileChange: record.profileChange, retryOf: record.id }),
  phases: { running: 'Updating', succeeded: 'Running', failed: 'Running' },
  summary: ({ entity, request }) => `change profile of cluster ${entity.project}/${entity.spec.name} to ${request.profileChange?.ref.id}`,
  workflow: changeProfile,
  input: ({ entity, request, record, generation }) => ({
    project: entity.project,
    spec: entity.spec,
    profile: (request.profileChange as ProfileChange).profile,
    was: entity.profile,
    operationId: record.id,
    network: entity.status.network,
    generation,
    pools: rollingPools(entity).map((pool) => ({ pool, nodes: entity.status.pools.find((p) => p.name === pool.name)?.nodes ?? [] })),
    spotPools: entity.spec.pools.filter(isSpotPool),
  }),
  fold({ entity, request }, rolled) {
    const change = request.profileChange as ProfileChange;
    entity.profile = change.profile;
    entity.spec = { ...entity.spec, profile: change.ref };
    entity.status.pools = entity.status.pools.map((p) => ({ ...p, nodes: rolled.find((r) => r.pool === p.name)?.nodes ?? p.nodes }));
  },
  // The watchers rolled their nodes already (runs begun before that only tell them): launches
  // from now on boot the new profile.
  async after({ entity }) {
    await Promise.all(entity.spec.pools.filter(isSpotPool).map((pool) => entity.watchers.clusterChanged(pool)));
  },
  failed: keptSoFar,
};
