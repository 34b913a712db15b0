import { DescribeAvailabilityZonesCommand, DescribeInstanceTypeOfferingsCommand, DescribeKeyPairsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type Tag } from '@aws-sdk/client-ec2';
import { Inject, Injectable } from '@nestjs/common';
import { guard } from '../../cloud/aws-errors';
import { AwsDeps, ec2Client } from '../../cloud/aws-session';
import { runPreflight, PreflightInput, PreflightResult } from '../../cloud/preflight';
import { CostEstimate, CostInput, estimateCost } from '../../cloud/pricing';
import { spotQuote, type SpotPrice } from '../../cloud/spot-prices';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { RuleProblem } from '../../common/spec-rules';
import { AWS_DEPS } from '../common/tokens';

/** What an account has in a region that a new cluster may use: the console's wizard offers these. */
export interface AccountNetwork {
  region: string;
  availabilityZones: string[];
  vpcs: Array<{ vpcId: string; cidrBlock?: string; name?: string; isDefault: boolean }>;
  /** `public`: it gives launches a public IP (what a static placement's public subnets need for the bastion). */
  subnets: Array<{ subnetId: string; vpcId: string; availabilityZone: string; cidrBlock?: string; name?: string; public: boolean }>;
  keyPairs: string[];
}

const nameTag = (tags: Tag[] | undefined): string | undefined => tags?.find((t) => t.Key === 'Name')?.Value;

/** An input whose scope names the account without its project: the service adds the request's. */
type Within<T extends { scope: unknown }> = Omit<T, 'scope'> & { scope: { accountId: string; region: string } };

/**
 * What the API asks AWS itself, read-only and with the account's own keys: the region checks
 * of a create or a pool change, and the dry run's preflight and cost estimate. The latter run
 * the worker's code (cloud/), failing as its activities do, so a dry run answers what the
 * create's own preflight would.
 */
@Injectable()
export class CloudReadsService {
  private readonly preflightOf = guard(runPreflight);
  private readonly costOf = guard(estimateCost);
  private readonly quoteOf = guard(spotQuote);

  constructor(@Inject(AWS_DEPS) private readonly aws: AwsDeps) {}

  /** The request's project decides which account the id names: never another project's. */
  preflight(project: string, input: Within<PreflightInput>): Promise<PreflightResult> {
    return this.preflightOf(this.aws, { ...input, scope: { ...input.scope, project } });
  }

  estimateCost(project: string, input: Within<CostInput>): Promise<CostEstimate> {
    return this.costOf(this.aws, { ...input, scope: { ...input.scope, project } });
  }

  /** What a spot bid on `instanceType` in `azs` would be made from now: its on-demand price and spot prices. */
  spotQuote(project: string, scope: { accountId: string; region: string }, instanceType: string, azs: string[]): Promise<{ onDemandUsd: number; spotPrices: SpotPrice[] }> {
    return this.quoteOf(this.aws, { ...scope, project }, instanceType, azs);
  }

  /** The AZs, VPCs, subnets and key pairs of the account in `region` (the first 1000 of each: one page). */
  async accountNetwork(project: string, accountId: string, region: string): Promise<AccountNetwork> {
    const ec2 = await ec2Client(this.aws, { project, accountId, region });
    try {
      const [zones, vpcs, subnets, keyPairs] = await Promise.all([
        ec2.send(new DescribeAvailabilityZonesCommand({})),
        ec2.send(new DescribeVpcsCommand({ MaxResults: 1000 })),
        ec2.send(new DescribeSubnetsCommand({ MaxResults: 1000 })),
        ec2.send(new DescribeKeyPairsCommand({})),
      ]);
      return {
        region,
        availabilityZones: (zones.AvailabilityZones ?? []).filter((z) => z.State === 'available').map((z) => z.ZoneName as string).sort(),
        vpcs: (vpcs.Vpcs ?? []).map((v) => ({ vpcId: v.VpcId as string, cidrBlock: v.CidrBlock, name: nameTag(v.Tags), isDefault: v.IsDefault === true })),
        subnets: (subnets.Subnets ?? [])
          .map((s) => ({ subnetId: s.SubnetId as string, vpcId: s.VpcId as string, availabilityZone: s.AvailabilityZone as string, cidrBlock: s.CidrBlock, name: nameTag(s.Tags), public: s.MapPublicIpOnLaunch === true }))
          .sort((a, b) => a.availabilityZone.localeCompare(b.availabilityZone) || a.subnetId.localeCompare(b.subnetId)),
        keyPairs: (keyPairs.KeyPairs ?? []).map((k) => k.KeyName as string).sort(),
      };
    } finally {
      ec2.destroy();
    }
  }

  /** The rules that need AWS to answer: AZs that exist in the region, instance types offered in every AZ of their pool. */
  async regionProblems(project: string, spec: ClusterSpec): Promise<RuleProblem[]> {
    const ec2 = await ec2Client(this.aws, { project, accountId: spec.cloud.accountId, region: spec.cloud.region });
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
}
