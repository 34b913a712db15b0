import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { AwsDeps, ec2Client } from '../cloud/aws-session';
import { DEFAULT_PROJECT } from '../common/projects';

export interface RegionRequest {
  accountId: string;
  region: string;
  /** The account's project; requests scheduled before projects were passed are `default`'s. */
  project?: string;
}

/** The region's available AZs, as the account sees them. Read-only, so trivially idempotent. */
export function regionActivities(deps: AwsDeps) {
  return {
    async describeAvailabilityZones({ accountId, region, project }: RegionRequest): Promise<string[]> {
      const ec2 = await ec2Client(deps, { accountId, region, project: project ?? DEFAULT_PROJECT });
      try {
        const answer = await ec2.send(
          new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] }),
        );
        return (answer.AvailabilityZones ?? []).map((zone) => zone.ZoneName ?? '').filter(Boolean).sort();
      } finally {
        ec2.destroy();
      }
    },
  };
}
