import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  DeleteInternetGatewayCommand,
  DescribeInternetGatewaysCommand,
  DetachInternetGatewayCommand,
  EC2Client,
  InternetGateway,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isAwsError, isNotFound } from '../cloud/aws-errors';
import { byId, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { EnsureInternetGatewayInput, Keyed } from './types';
import { sentOnce } from '../cloud/aws-retry';

async function findGateways(ec2: EC2Client, { scope, key }: Keyed): Promise<InternetGateway[]> {
  const answer = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: ownedFilters(scope.owner, key) }));
  return byId((answer.InternetGateways ?? []).filter((gateway) => isOwned(gateway.Tags, scope.owner, key)), (gateway) => gateway.InternetGatewayId);
}

function attachedVpcs(gateway: InternetGateway): string[] {
  return (gateway.Attachments ?? []).filter((a) => a.State !== 'detached' && a.VpcId).map((a) => a.VpcId!);
}

/** The VPC's one Internet gateway, created and attached as two steps that each may be retried. */
export function internetGatewayActivities(deps: AwsDeps) {
  return {
    async ensureInternetGateway(input: EnsureInternetGatewayInput): Promise<{ internetGatewayId: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        let [gateway] = await findGateways(ec2, input);
        if (!gateway) {
          const created = await ec2.send(
            sentOnce(new CreateInternetGatewayCommand({ TagSpecifications: tagSpecifications(['internet-gateway'], input.scope.owner, input.key) })),
          );
          gateway = created.InternetGateway!;
        }
        const internetGatewayId = gateway.InternetGatewayId!;
        const vpcs = attachedVpcs(gateway);
        if (vpcs.length > 0 && !vpcs.includes(input.vpcId)) {
          throw ApplicationFailure.nonRetryable(
            `${internetGatewayId} (${input.key}) is attached to ${vpcs.join(', ')}, not ${input.vpcId}`,
            'InternetGatewayAttachedElsewhere',
          );
        }
        if (vpcs.length === 0) {
          try {
            await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: input.vpcId }));
          } catch (error) {
            // Attached since our describe: to this VPC by an earlier attempt whose answer was
            // lost (the state we want), or by someone else to another VPC.
            if (!isAwsError(error, 'Resource.AlreadyAssociated')) throw error;
            const [now] = await findGateways(ec2, input);
            const attached = now ? attachedVpcs(now) : [];
            if (!attached.includes(input.vpcId)) {
              throw ApplicationFailure.nonRetryable(
                `${internetGatewayId} (${input.key}) is attached to ${attached.join(', ') || 'another VPC'}, not ${input.vpcId}`,
                'InternetGatewayAttachedElsewhere',
              );
            }
          }
        }
        return { internetGatewayId };
      });
    },

    async deleteInternetGateway(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2 }) => {
        for (const gateway of await findGateways(ec2, input)) {
          for (const vpcId of attachedVpcs(gateway)) {
            try {
              await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: gateway.InternetGatewayId, VpcId: vpcId }));
            } catch (error) {
              if (!isNotFound(error) && !isAwsError(error, 'Gateway.NotAttached')) throw error;
            }
          }
          try {
            await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: gateway.InternetGatewayId }));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      });
    },
  };
}
