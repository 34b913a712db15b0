import { AwsDeps } from '../cloud/aws-session';
import { cloudAccountUsageActivities } from './cloud-account-usage';
import { guardAll } from '../cloud/aws-errors';
import { elasticIpActivities } from './elastic-ips';
import { imageActivities } from './images';
import { batchedClusterListing, instanceActivities } from './instances';
import { internetGatewayActivities } from './internet-gateway';
import { liveSettingsActivities } from './live-settings';
import { loadBalancerActivities } from './load-balancer';
import { natGatewayActivities } from './nat-gateways';
import { nodeRoleActivities } from './node-role';
import { preflightActivities } from './preflight';
import { pricingActivities } from './pricing';
import { regionActivities } from './regions';
import { routeTableActivities } from './route-tables';
import { secretActivities } from './secrets';
import { securityGroupActivities } from './security-groups';
import { spotPriceActivities } from './spot-prices';
import { shareSpotReads } from './spot-reads';
import { sharedReadsOf } from '../cloud/shared-reads';
import { subnetActivities } from './subnets';
import { vpcActivities } from './vpc';

export type { AwsDeps } from '../cloud/aws-session';

/**
 * Every activity the worker registers, bound to its dependencies. `guardAll` turns AWS
 * errors into readable Temporal failures that are retried only when retrying can help.
 */
export function createActivities(deps: AwsDeps) {
  const instances = instanceActivities(deps);
  const spotPrices = spotPriceActivities(deps);
  return guardAll({
    ...regionActivities(deps),
    ...vpcActivities(deps),
    ...subnetActivities(deps),
    ...internetGatewayActivities(deps),
    ...elasticIpActivities(deps),
    ...natGatewayActivities(deps),
    ...routeTableActivities(deps),
    ...securityGroupActivities(deps),
    ...loadBalancerActivities(deps),
    ...instances,
    ...secretActivities(deps),
    ...nodeRoleActivities(deps),
    ...imageActivities(deps),
    ...preflightActivities(deps),
    ...pricingActivities(deps),
    ...spotPrices,
    // The spot watchers' reads, shared across the watchers of this worker when they ask so.
    ...shareSpotReads({ ...spotPrices, listClusterInstances: instances.listClusterInstances }, sharedReadsOf(deps), batchedClusterListing(deps)),
    ...cloudAccountUsageActivities(deps),
    ...liveSettingsActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
