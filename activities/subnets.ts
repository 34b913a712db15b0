import { CreateSubnetCommand, DeleteSubnetCommand, DescribeSubnetsCommand, EC2Client, ModifySubnetAttributeCommand, Subnet } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isAwsError, isNotFound } from '../cloud/aws-errors';
import { byId, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { retryWhileBusy } from './polling';
import { EnsureSubnetInput, Keyed } from './types';
import { sentOnce } from '../cloud/aws-retry';

async function findSubnets(ec2: EC2Client, { scope, key }: Keyed, vpcId?: string): Promise<Subnet[]> {
  const filters = ownedFilters(scope.owner, key);
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  const answer = await ec2.send(new DescribeSubnetsCommand({ Filters: filters }));
  return byId((answer.Subnets ?? []).filter((subnet) => isOwned(subnet.Tags, scope.owner, key)), (subnet) => subnet.SubnetId);
}

/**
 * Creates the subnet. Its CIDR taken already (InvalidSubnet.Conflict) is ours when the holder
 * carries this subnet's tags (a create whose answer was lost, not yet listed by its tag
 * when we looked): adopted. Anyone else's is a conflict only the operator can settle.
 */
async function createSubnet(ec2: EC2Client, input: EnsureSubnetInput): Promise<Subnet> {
  try {
    const created = await ec2.send(
      sentOnce(
        new CreateSubnetCommand({
          VpcId: input.vpcId,
          CidrBlock: input.cidr,
          AvailabilityZone: input.az,
          TagSpecifications: tagSpecifications(['subnet'], input.scope.owner, input.key, input.public ? 'public-subnet' : 'private-subnet'),
        }),
      ),
    );
    return created.Subnet!;
  } catch (error) {
    if (!isAwsError(error, 'InvalidSubnet.Conflict')) throw error;
    const answer = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [input.vpcId] }, { Name: 'cidr-block', Values: [input.cidr] }] }));
    const holder = answer.Subnets?.[0];
    if (holder && isOwned(holder.Tags, input.scope.owner, input.key)) return holder;
    throw ApplicationFailure.nonRetryable(
      `${input.cidr} in ${input.vpcId} is taken by ${holder?.SubnetId ?? 'another subnet'}, which is not ${input.key} of cluster ${input.scope.owner.cluster}`,
      'SubnetCidrTaken',
    );
  }
}

/** One subnet per role and AZ; public ones give their instances (the bastion) a public address. */
export function subnetActivities(deps: AwsDeps) {
  return {
    async ensureSubnet(input: EnsureSubnetInput): Promise<{ subnetId: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        let [subnet] = await findSubnets(ec2, input, input.vpcId);
        if (subnet && (subnet.CidrBlock !== input.cidr || subnet.AvailabilityZone !== input.az)) {
          throw ApplicationFailure.nonRetryable(
            `${subnet.SubnetId} (${input.key}) is ${subnet.CidrBlock} in ${subnet.AvailabilityZone}, not the requested ${input.cidr} in ${input.az}`,
            'SubnetMismatch',
          );
        }
        if (!subnet) subnet = await createSubnet(ec2, input);
        // Checked rather than assumed: a crash may have come between create and modify.
        if (input.public && !subnet.MapPublicIpOnLaunch) {
          await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnet.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
        }
        return { subnetId: subnet.SubnetId! };
      });
    },

    async deleteSubnet(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2 }) => {
        for (const subnet of await findSubnets(ec2, input)) {
          try {
            // Network interfaces of a just-deleted load balancer or instance linger for minutes.
            await retryWhileBusy(`delete ${subnet.SubnetId}`, ['DependencyViolation'], () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId })));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      });
    },
  };
}
