import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { describeAvailabilityZones } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

export interface DiscoverRegionInput {
  accountId: string;
  region: string;
  /** The account's project (absent: `default`). */
  project?: string;
}

export interface RegionFacts {
  region: string;
  availabilityZones: string[];
}

/** Learns what a region offers the account: the first step of every plan. */
export async function discoverRegion(input: DiscoverRegionInput): Promise<RegionFacts> {
  const availabilityZones = await describeAvailabilityZones(input);
  return { region: input.region, availabilityZones };
}
