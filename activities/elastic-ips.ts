import { Address, AllocateAddressCommand, DescribeAddressesCommand, EC2Client, ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isNotFound } from '../cloud/aws-errors';
import { byId, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { Keyed } from './types';
import { sentOnce } from '../cloud/aws-retry';

async function findAddresses(ec2: EC2Client, { scope, key }: Keyed): Promise<Address[]> {
  const answer = await ec2.send(new DescribeAddressesCommand({ Filters: ownedFilters(scope.owner, key) }));
  return byId((answer.Addresses ?? []).filter((address) => isOwned(address.Tags, scope.owner, key)), (address) => address.AllocationId);
}

/** The Elastic IP of one NAT gateway. AllocateAddress takes no ClientToken, but tags it atomically. */
export function elasticIpActivities(deps: AwsDeps) {
  return {
    async ensureElasticIp(input: Keyed): Promise<{ allocationId: string; publicIp: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        const [existing] = await findAddresses(ec2, input);
        if (existing) return { allocationId: existing.AllocationId!, publicIp: existing.PublicIp! };
        const created = await ec2.send(
          sentOnce(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpecifications(['elastic-ip'], input.scope.owner, input.key) })),
        );
        return { allocationId: created.AllocationId!, publicIp: created.PublicIp! };
      });
    },

    /**
     * Releases the address. A NAT gateway still holding it makes AWS refuse
     * (InvalidIPAddress.InUse, retryable): delete the NAT gateway first, and wait for it.
     */
    async releaseElasticIp(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2 }) => {
        for (const address of await findAddresses(ec2, input)) {
          try {
            await ec2.send(new ReleaseAddressCommand({ AllocationId: address.AllocationId }));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      });
    },
  };
}
