import {
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  NatGateway,
  NatGatewayState,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isNotFound } from '../cloud/aws-errors';
import { byId, clientToken, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { expectedReadyMs, pollUntil, readyAt } from './polling';
import { EnsureNatGatewayInput, Keyed, WaitNatGatewayInput } from './types';

const LIVE_STATES: NatGatewayState[] = ['pending', 'available'];

/**
 * The key's NAT gateways in `states`. Tags are checked here too: moto ignores tag filters on
 * DescribeNatGateways, and trusting an unfiltered answer would adopt someone else's gateway.
 */
async function findNatGateways(ec2: EC2Client, { scope, key }: Keyed, states: NatGatewayState[]): Promise<NatGateway[]> {
  const found: NatGateway[] = [];
  let NextToken: string | undefined;
  do {
    const answer = await ec2.send(
      new DescribeNatGatewaysCommand({ Filter: [...ownedFilters(scope.owner, key), { Name: 'state', Values: states }], NextToken }),
    );
    found.push(...(answer.NatGateways ?? []).filter((nat) => isOwned(nat.Tags, scope.owner, key) && states.includes(nat.State!)));
    NextToken = answer.NextToken;
  } while (NextToken);
  return byId(found, (nat) => nat.NatGatewayId);
}

function failureText(nat: NatGateway): string {
  return [nat.FailureCode, nat.FailureMessage].filter(Boolean).join(': ') || 'no reason given';
}

/** How long a just-created NAT gateway may stay invisible (AWS is eventually consistent). */
const NOT_FOUND_GRACE_MS = 60_000;

/** One NAT gateway per AZ, in the AZ's public subnet, with its own Elastic IP. */
export function natGatewayActivities(deps: AwsDeps) {
  return {
    async ensureNatGateway(input: EnsureNatGatewayInput): Promise<{ natGatewayId: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        const [existing] = await findNatGateways(ec2, input, LIVE_STATES);
        if (existing) return { natGatewayId: existing.NatGatewayId! };
        // The token makes a retry after a lost response return the same gateway instead of a
        // second one (and a second hourly bill).
        const created = await ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: input.subnetId,
            AllocationId: input.allocationId,
            ConnectivityType: 'public',
            ClientToken: clientToken('nat-gateway', input.scope.owner.cluster, input.key, input.subnetId, input.allocationId),
            TagSpecifications: tagSpecifications(['natgateway'], input.scope.owner, input.key),
          }),
        );
        const nat = created.NatGateway!;
        if (nat.State === 'failed' || nat.State === 'deleting' || nat.State === 'deleted') {
          // The token matched an earlier, dead gateway: only new inputs (subnet, address) can make a new one.
          throw ApplicationFailure.nonRetryable(
            `NAT gateway ${nat.NatGatewayId} for ${input.key} is ${nat.State} (${failureText(nat)}); delete it and its subnet or address before retrying`,
            'NatGatewayFailed',
          );
        }
        return { natGatewayId: nat.NatGatewayId! };
      });
    },

    /** Waits until `available`; a `failed` gateway fails the activity for good, with AWS's reason. */
    async waitNatGatewayAvailable({ scope, natGatewayId }: WaitNatGatewayInput): Promise<void> {
      await withSession(deps, scope, async ({ polls }) => {
        const started = Date.now();
        await pollUntil(`NAT gateway ${natGatewayId} available`, async () => {
          const nat = await polls.natGateway(natGatewayId);
          if (!nat) {
            if (Date.now() - started > NOT_FOUND_GRACE_MS) {
              throw ApplicationFailure.nonRetryable(`NAT gateway ${natGatewayId} does not exist`, 'NatGatewayNotFound');
            }
            return { done: false, status: 'not visible yet' };
          }
          if (nat.State === 'available') return { done: true, value: undefined };
          if (nat.State === 'pending') return { done: false, status: 'pending', readyAtMs: readyAt(nat.CreateTime, expectedReadyMs().natGatewayPending) };
          throw ApplicationFailure.nonRetryable(`NAT gateway ${natGatewayId} is ${nat.State}: ${failureText(nat)}`, 'NatGatewayFailed');
        });
      });
    },

    /**
     * Deletes every live gateway of the key and waits until AWS reports them `deleted`: only
     * then does the Elastic IP come free for releaseElasticIp.
     */
    async deleteNatGateway(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2, polls }) => {
        const gateways = await findNatGateways(ec2, input, ['pending', 'available', 'failed', 'deleting']);
        for (const nat of gateways) {
          if (nat.State === 'deleting') continue;
          try {
            await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGatewayId }));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
        const ids = gateways.map((nat) => nat.NatGatewayId!);
        if (ids.length === 0) return;
        await pollUntil(`NAT gateways ${ids.join(', ')} deleted`, async () => {
          const states = await Promise.all(ids.map(async (id) => (await polls.natGateway(id))?.State ?? 'deleted'));
          // A failed gateway holds no address; AWS removes it by itself.
          const waiting = ids.filter((_, i) => states[i] !== 'deleted' && states[i] !== 'failed');
          return waiting.length === 0 ? { done: true, value: undefined } : { done: false, status: `${waiting.join(', ')} deleting` };
        });
      });
    },
  };
}
