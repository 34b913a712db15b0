import { DescribeAvailabilityZonesCommand, DescribeInstanceTypeOfferingsCommand } from '@aws-sdk/client-ec2';
import { AwsDeps, ec2Client } from '../../activities/aws-session';
import { ClusterSpec } from '../../common/cluster-spec';
import { RuleProblem } from '../../common/spec-rules';

/**
 * The rules that need AWS to answer: AZs that exist in the region, instance types offered in
 * every AZ of their pool. Read-only calls with the account's own keys.
 */
export async function regionProblems(deps: AwsDeps, spec: ClusterSpec): Promise<RuleProblem[]> {
  const ec2 = ec2Client(deps, spec.cloud.accountId, spec.cloud.region);
  try {
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    const available = new Set((zones.AvailabilityZones ?? []).filter((z) => z.State === 'available').map((z) => z.ZoneName));
    const problems: RuleProblem[] = [];
    spec.pools.forEach((pool, i) =>
      pool.azs.forEach((az, j) => {
        if (!available.has(az)) {
          problems.push({ field: `pools.${i}.azs.${j}`, rule: 'az-exists', message: `AZ ${az} does not exist (or is not available) in ${spec.cloud.region}` });
        }
      }),
    );
    if (problems.length > 0) return problems;

    const types = [...new Set(spec.pools.map((p) => p.instanceType))];
    const offered = new Set<string>();
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: types }], NextToken }),
      );
      for (const o of page.InstanceTypeOfferings ?? []) offered.add(`${o.InstanceType}@${o.Location}`);
      NextToken = page.NextToken;
    } while (NextToken);
    spec.pools.forEach((pool, i) => {
      const missing = pool.azs.filter((az) => !offered.has(`${pool.instanceType}@${az}`));
      if (missing.length > 0) {
        problems.push({ field: `pools.${i}.instanceType`, rule: 'instance-type-offered', message: `${pool.instanceType} is not offered in ${missing.join(', ')}` });
      }
    });
    return problems;
  } finally {
    ec2.destroy();
  }
}
