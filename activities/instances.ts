import {
  BlockDeviceMapping,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  Filter,
  Instance,
  InstanceStateName,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { Owner, RESOURCE_TAG } from '../common/tags';
import { DEFAULT_METADATA_HOP_LIMIT, type RootVolume } from '../common/cluster-spec';
import { endpointOf } from '../common/api-endpoint';
import { AwsDeps, withSession } from '../cloud/aws-session';
import type { PollReads } from '../cloud/poll-reads';
import { isNotFound } from '../cloud/aws-errors';
import { byId, clientToken, clusterFilters, isOwned, ownedFilters, tagsOf, tagSpecifications, toAwsTags } from './ownership';
import { expectedReadyMs, pollUntil, readyAt } from './polling';
import { endpointDriver } from './api-endpoint';
import { ClusterScoped, EnsureInstanceInput, ListClusterInstancesInput, Scope, InstanceInfo, TerminatedInstances, TerminateInstanceInput, WaitInstanceReadyInput } from './types';

/**
 * Which launch of a key an instance is. A deliberate replacement (rolling reconfigure) runs
 * beside the old node under the same key, so the lookup must tell them apart.
 */
export const GENERATION_TAG = 'clusterflow.io/generation';

/** States of an instance that is, or may again be, a node. */
const LIVE_STATES: InstanceStateName[] = ['pending', 'running', 'stopping', 'stopped'];
const NOT_TERMINATED: InstanceStateName[] = [...LIVE_STATES, 'shutting-down'];

/** How long a just-launched instance may stay invisible to Describe calls (eventual consistency). */
const NOT_FOUND_GRACE_MS = 60_000;

async function findInstances(ec2: EC2Client, filters: Filter[], states: InstanceStateName[]): Promise<Instance[]> {
  const found: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const answer = await ec2.send(
      new DescribeInstancesCommand({ Filters: [...filters, { Name: 'instance-state-name', Values: states }], NextToken }),
    );
    for (const reservation of answer.Reservations ?? []) found.push(...(reservation.Instances ?? []));
    NextToken = answer.NextToken;
  } while (NextToken);
  return byId(found, (instance) => instance.InstanceId);
}

/** The cluster's (or the key's) instances in `states`, ownership checked on our side as well. */
async function findOwned(ec2: EC2Client, owner: Owner, key: string | undefined, states: InstanceStateName[], generation?: string): Promise<Instance[]> {
  const filters = key === undefined ? clusterFilters(owner) : ownedFilters(owner, key);
  if (generation !== undefined) filters.push({ Name: `tag:${GENERATION_TAG}`, Values: [generation] });
  const found = await findInstances(ec2, filters, states);
  return found.filter(
    (instance) => isOwned(instance.Tags, owner, key) && (generation === undefined || tagsOf(instance.Tags)[GENERATION_TAG] === generation),
  );
}

async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance | undefined> {
  // A filter, unlike InstanceIds, answers "nothing" instead of failing for an id not (yet) visible.
  const [instance] = await findInstances(ec2, [{ Name: 'instance-id', Values: [instanceId] }], [...NOT_TERMINATED, 'terminated']);
  return instance;
}

/**
 * The cluster's instances as `listClusterInstances` answers them, read with the listings of
 * other clusters asked within a second (`clusterInstances` in cloud/poll-reads.ts): the spot
 * watchers' listing, one DescribeInstances a second however many clusters tick.
 */
export function batchedClusterListing(deps: AwsDeps): (scope: Scope) => Promise<InstanceInfo[]> {
  return (scope) => withSession(deps, scope, async ({ polls }) => (await polls.clusterInstances(scope.owner.cluster)).filter((i) => isOwned(i.Tags, scope.owner)).map(instanceInfo));
}

export function instanceInfo(instance: Instance): InstanceInfo {
  return {
    instanceId: instance.InstanceId!,
    key: tagsOf(instance.Tags)[RESOURCE_TAG] ?? '',
    az: instance.Placement?.AvailabilityZone ?? '',
    subnetId: instance.SubnetId ?? '',
    instanceType: instance.InstanceType ?? '',
    privateIp: instance.PrivateIpAddress,
    publicIp: instance.PublicIpAddress,
    state: instance.State?.Name ?? 'unknown',
    lifecycle: instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    generation: Number(tagsOf(instance.Tags)[GENERATION_TAG] ?? 0),
  };
}

function stateText(instance: Instance): string {
  const reason = instance.StateReason?.Message ?? instance.StateTransitionReason;
  return reason ? `${instance.State?.Name} (${reason})` : `${instance.State?.Name}`;
}

/** Terminates `ids`; an id already gone is skipped rather than failing the rest. */
async function terminate(ec2: EC2Client, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: batch }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      for (const id of batch) {
        try {
          await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
        } catch (inner) {
          if (!isNotFound(inner)) throw inner;
        }
      }
    }
  }
}

/** Waits until none of `ids` is anything but terminated (or gone from Describe altogether); polls batched (`AwsSession.polls`). */
async function waitTerminated(polls: PollReads, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pollUntil(`instances ${ids.join(', ')} terminated`, async () => {
    const seen = await Promise.all(ids.map((id) => polls.instance(id)));
    const alive = seen.filter((instance): instance is Instance => !!instance && NOT_TERMINATED.includes(instance.State?.Name as InstanceStateName));
    return alive.length === 0
      ? { done: true, value: undefined }
      : { done: false, status: alive.map((instance) => `${instance.InstanceId} ${instance.State?.Name}`).join(', ') };
  });
}

/**
 * The root volume as RunInstances wants it: on the image's root device (which only the image
 * says: /dev/xvda, /dev/sda1…), encrypted with the account's default EBS key, gone with the node.
 */
async function rootVolumeMapping(ec2: EC2Client, imageId: string, volume: RootVolume): Promise<BlockDeviceMapping[]> {
  const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
  if (!image?.RootDeviceName) throw ApplicationFailure.nonRetryable(`image ${imageId} names no root device, so its root volume cannot be sized`, 'ImageWithoutRootDevice');
  return [{ DeviceName: image.RootDeviceName, Ebs: { VolumeSize: volume.sizeGiB, VolumeType: volume.type, Encrypted: true, DeleteOnTermination: true } }];
}

/** Nodes and the bastion: launched once per key and generation, waited for, terminated. */
export function instanceActivities(deps: AwsDeps) {
  return {
    /**
     * Finds the key's live instance of this generation, or launches it. The ClientToken
     * covers the window the tag lookup cannot: a launch whose response was lost (or two
     * attempts racing) yields the same instance, never a second one.
     */
    async ensureInstance(input: EnsureInstanceInput): Promise<InstanceInfo> {
      const generation = String(input.generation ?? 0);
      return withSession(deps, input.scope, async ({ ec2 }) => {
        const [existing] = await findOwned(ec2, input.scope.owner, input.key, LIVE_STATES, generation);
        if (existing) return instanceInfo(existing);

        const tags = tagSpecifications(['instance', 'volume'], input.scope.owner, input.key);
        for (const spec of tags) spec.Tags = [...(spec.Tags ?? []), ...toAwsTags({ [GENERATION_TAG]: generation })];
        const launch = {
          subnetId: input.subnetId,
          instanceType: input.instanceType,
          imageId: input.imageId,
          securityGroupIds: [...input.securityGroupIds].sort(),
          keyName: input.keyName,
          userData: input.userData,
          spotMaxPrice: input.spotMaxPrice,
          iamInstanceProfile: input.iamInstanceProfile,
          metadataHopLimit: input.metadataHopLimit ?? DEFAULT_METADATA_HOP_LIMIT,
          // Absent from the token's text when unset, so launches from before root volumes keep their token.
          rootVolume: input.rootVolume,
        };
        const blockDeviceMappings = input.rootVolume ? await rootVolumeMapping(ec2, input.imageId, input.rootVolume) : undefined;
        const answer = await ec2.send(
          new RunInstancesCommand({
            MinCount: 1,
            MaxCount: 1,
            // Everything the request says is in the token, so the same request always reuses
            // it and a different one (new subnets after a re-create) never collides with it.
            ClientToken: clientToken('instance', input.scope.owner.cluster, input.key, generation, JSON.stringify(launch)),
            ImageId: input.imageId,
            InstanceType: input.instanceType as RunInstancesCommand['input']['InstanceType'],
            SubnetId: input.subnetId,
            SecurityGroupIds: input.securityGroupIds,
            KeyName: input.keyName,
            IamInstanceProfile: input.iamInstanceProfile ? { Name: input.iamInstanceProfile } : undefined,
            // IMDSv2 only: a session token is needed, and it travels no further than the hop
            // limit, so a pod's SSRF cannot read the node role's credentials with a bare GET.
            MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: launch.metadataHopLimit },
            UserData: input.userData === undefined ? undefined : Buffer.from(input.userData, 'utf8').toString('base64'),
            BlockDeviceMappings: blockDeviceMappings,
            TagSpecifications: tags,
            InstanceMarketOptions: input.spotMaxPrice
              ? {
                  MarketType: 'spot',
                  SpotOptions: { MaxPrice: input.spotMaxPrice, SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
                }
              : undefined,
          }),
        );
        const answered = answer.Instances?.[0];
        if (!answered?.InstanceId) throw ApplicationFailure.retryable(`RunInstances for ${input.key} returned no instance`, 'NoInstanceReturned');
        // Not visible by id yet: it was only just made, so the answer is current.
        const instance = (input.recheck ? await describeInstance(ec2, answered.InstanceId) : undefined) ?? answered;
        if (!LIVE_STATES.includes(instance.State?.Name as InstanceStateName)) {
          // The token matched an earlier launch that has since died (e.g. a spot interruption):
          // only a new generation may launch again.
          throw ApplicationFailure.nonRetryable(
            `${input.key} generation ${generation} was ${instance.InstanceId}, now ${stateText(instance)}; launch a new generation to replace it`,
            'InstanceGone',
          );
        }
        return instanceInfo(instance);
      });
    },

    /**
     * Waits until the instance runs, passes both status checks, and (with an API endpoint)
     * is healthy behind it. An instance that stops or terminates meanwhile fails for good.
     */
    async waitInstanceReady(input: WaitInstanceReadyInput): Promise<InstanceInfo> {
      const { scope, instanceId } = input;
      const endpoint = endpointOf(input);
      const driver = endpoint && endpointDriver(endpoint.kind);
      return withSession(deps, scope, async (session) => {
        const { polls } = session;
        const started = Date.now();
        // Once the instance runs, its DescribeInstanceStatus entry tells both its state and its
        // checks; each read is shared with every other wait of the account and region (polls).
        // The reads are aimed at its launch time plus the expected pending and checks times.
        let running = false;
        // Its entry as last read: once running, what it tells (ids, AZ, address, tags) stays.
        let seen: Instance | undefined;
        const checksOkAt = () => {
          const expected = expectedReadyMs();
          return readyAt(seen?.LaunchTime, expected.instancePending + expected.instanceStatusChecks);
        };
        await pollUntil(`instance ${instanceId} ready`, async () => {
          if (!running) {
            const instance = await polls.instance(instanceId);
            if (!instance) {
              if (Date.now() - started > NOT_FOUND_GRACE_MS) {
                throw ApplicationFailure.nonRetryable(`instance ${instanceId} does not exist`, 'InstanceNotFound');
              }
              return { done: false, status: 'not visible yet' };
            }
            seen = instance;
            const state = instance.State?.Name;
            if (state === 'pending') return { done: false, status: 'pending', readyAtMs: checksOkAt() };
            if (state !== 'running') {
              throw ApplicationFailure.nonRetryable(`instance ${instanceId} is ${stateText(instance)}`, 'InstanceNotRunning');
            }
            running = true;
          }
          const status = await polls.instanceStatus(instanceId);
          const state = status?.InstanceState?.Name;
          if (state && state !== 'running') {
            throw ApplicationFailure.nonRetryable(`instance ${instanceId} is ${state}`, 'InstanceNotRunning');
          }
          const instanceCheck = status?.InstanceStatus?.Status ?? 'unknown';
          const systemCheck = status?.SystemStatus?.Status ?? 'unknown';
          if (instanceCheck !== 'ok' || systemCheck !== 'ok') {
            return { done: false, status: `status checks: instance ${instanceCheck}, system ${systemCheck}`, readyAtMs: checksOkAt() };
          }
          if (endpoint && driver) {
            const health = await driver.health(session, endpoint, instanceId);
            if (!health.ready) return { done: false, status: health.status };
          }
          return { done: true, value: undefined };
        });
        // The status read just now says it runs; its entry need not be read again.
        if (!seen) throw ApplicationFailure.nonRetryable(`instance ${instanceId} does not exist`, 'InstanceNotFound');
        return instanceInfo(seen);
      });
    },

    /** Terminates the key's instance(s) (one generation, or all) and waits until they are gone. */
    async terminateInstance(input: TerminateInstanceInput): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2, polls }) => {
        const generation = input.generation === undefined ? undefined : String(input.generation);
        const ids = (await findOwned(ec2, input.scope.owner, input.key, NOT_TERMINATED, generation)).map((instance) => instance.InstanceId!);
        await terminate(ec2, ids);
        await waitTerminated(polls, ids);
      });
    },

    /** The delete sweep: every instance carrying the cluster's tag, whatever its key, terminated and waited for. */
    async terminateClusterInstances({ scope }: ClusterScoped): Promise<TerminatedInstances> {
      return withSession(deps, scope, async ({ ec2, polls }) => {
        const ids = (await findOwned(ec2, scope.owner, undefined, NOT_TERMINATED)).map((instance) => instance.InstanceId!);
        await terminate(ec2, ids);
        await waitTerminated(polls, ids);
        return { terminated: ids };
      });
    },

    /** Every instance of the cluster that is not terminated, with its key and state. */
    async listClusterInstances({ scope }: ListClusterInstancesInput): Promise<InstanceInfo[]> {
      return withSession(deps, scope, async ({ ec2 }) =>
        (await findOwned(ec2, scope.owner, undefined, NOT_TERMINATED)).map(instanceInfo),
      );
    },
  };
}
