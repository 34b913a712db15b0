import { CreateVpcCommand, DeleteVpcCommand, DescribeVpcsCommand, EC2Client, ModifyVpcAttributeCommand, Vpc } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isNotFound } from '../cloud/aws-errors';
import { byId, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { retryWhileBusy } from './polling';
import { EnsureVpcInput, Keyed } from './types';
import { sentOnce } from '../cloud/aws-retry';

async function findVpcs(ec2: EC2Client, { scope, key }: Keyed): Promise<Vpc[]> {
  const answer = await ec2.send(new DescribeVpcsCommand({ Filters: ownedFilters(scope.owner, key) }));
  return byId((answer.Vpcs ?? []).filter((vpc) => isOwned(vpc.Tags, scope.owner, key)), (vpc) => vpc.VpcId);
}

/** The cluster's VPC (dynamic placement only), with the DNS names nodes and the load balancer need. */
export function vpcActivities(deps: AwsDeps) {
  return {
    async ensureVpc(input: EnsureVpcInput): Promise<{ vpcId: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        let [vpc] = await findVpcs(ec2, input);
        if (vpc && vpc.CidrBlock !== input.cidr) {
          throw ApplicationFailure.nonRetryable(
            `${vpc.VpcId} (${input.key}) has CIDR ${vpc.CidrBlock}, not the requested ${input.cidr}`,
            'VpcCidrMismatch',
          );
        }
        if (!vpc) {
          const created = await ec2.send(
            sentOnce(new CreateVpcCommand({ CidrBlock: input.cidr, TagSpecifications: tagSpecifications(['vpc'], input.scope.owner, input.key) })),
          );
          vpc = created.Vpc!;
        }
        const vpcId = vpc.VpcId!;
        // Set on every call: a crash right after CreateVpc must not leave DNS off. Support
        // first, because hostnames cannot be enabled without it.
        await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
        await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
        return { vpcId };
      });
    },

    /** Deletes the VPC, waiting a while if something inside is still going away (DependencyViolation). */
    async deleteVpc(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2 }) => {
        for (const vpc of await findVpcs(ec2, input)) {
          try {
            await retryWhileBusy(`delete ${vpc.VpcId}`, ['DependencyViolation'], () => ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      });
    },
  };
}
