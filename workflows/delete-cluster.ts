import { setHandler } from '@temporalio/workflow';
import { aws, awsWait } from './activities';
import { progressQuery } from './messages';
import type { NetworkStatus } from '../common/cluster-status';
import { endpointKindOf, endpointOf } from '../common/api-endpoint';
import { OperationInput, scopeOf } from './operation';
import { keyOf, planCluster, RESOURCE_KEYS, SECURITY_GROUPS } from './plan';
import { TaskList } from './tasks';

/**
 * Deletes everything the cluster created, in dependency order, waiting where AWS makes you
 * wait: instances terminated before their security groups and the load balancer's subnets
 * go; NAT gateways deleted before their Elastic IPs are released and their subnets removed.
 * Every step finds its resources by the cluster's tags and treats "not found" as done, so it
 * also cleans up a create that failed halfway (and is a failed create's rollback). Static
 * placement leaves the network alone.
 */
export async function deleteCluster(input: OperationInput & { network?: NetworkStatus; keepAccountUsage?: boolean }): Promise<void> {
  const plan = planCluster(input.spec);
  const scope = scopeOf(input);
  const dynamic = plan.placement === 'dynamic';
  // The network keeps the AZs of pools removed since the create: their subnets and NAT
  // gateways are still there, while the spec's pools no longer name them.
  const azs = [...new Set([...plan.azs, ...(input.network?.subnets ?? []).map((s) => s.az)])];
  const tasks = new TaskList(`delete cluster ${input.spec.name}`);
  setHandler(progressQuery, () => tasks.progress());
  tasks.plan([
    'instances',
    'load balancer',
    ...(dynamic ? azs.map((az) => `nat gateway ${az}`) : []),
    'security groups',
    ...(dynamic ? ['route tables', 'internet gateway', 'subnets', 'vpc'] : []),
    'node instance profile',
    'join secret',
  ]);

  // Instances and NAT gateways take longest to go; both start at once.
  const instances = tasks.run('instances', () => awsWait.terminateClusterInstances({ scope }), (r) => `${r.terminated.length} terminated`);
  // A create that failed before its status had an endpoint made (at most) what its spec asks
  // for; a spec stored before the field existed, a classic ELB.
  const endpointKind = endpointOf(input.network ?? {})?.kind ?? endpointKindOf(input.spec);
  const loadBalancer = tasks.run('load balancer', () => aws.deleteLoadBalancer({ scope, key: RESOURCE_KEYS.apiEndpoint, kind: endpointKind }));
  const nats = dynamic
    ? azs.map((az) =>
        tasks.run(`nat gateway ${az}`, async () => {
          await awsWait.deleteNatGateway({ scope, key: keyOf.natGateway(az) });
          await aws.releaseElasticIp({ scope, key: keyOf.natElasticIp(az) });
        }),
      )
    : [];
  const secret = tasks.run('join secret', () => aws.deleteJoinSecret({ scope }));
  // Awaited only later: mark them handled now, or a failure meanwhile counts as an unhandled
  // rejection and fails the workflow task (retried forever) instead of the operation.
  for (const pending of [...nats, secret]) pending.catch(() => undefined);

  await Promise.all([instances, loadBalancer]);
  // Terminated instances no longer hold the profile.
  const nodeProfile = tasks.run('node instance profile', () => aws.deleteNodeInstanceProfile({ scope }));
  nodeProfile.catch(() => undefined);
  await tasks.run('security groups', async () => {
    // Each group's delete revokes its own rules first, so the order among them is free; the
    // reverse of the create's is the order recorded histories replay.
    await Promise.all([...SECURITY_GROUPS].reverse().map(({ key }) => awsWait.deleteSecurityGroup({ scope, key })));
  });
  await Promise.all(nats);
  if (dynamic) {
    await tasks.run('route tables', () =>
      Promise.all([RESOURCE_KEYS.publicRouteTable, ...azs.map(keyOf.privateRouteTable)].map((key) => aws.deleteRouteTable({ scope, key }))).then(() => undefined),
    );
    await tasks.run('internet gateway', () => aws.deleteInternetGateway({ scope, key: RESOURCE_KEYS.internetGateway }));
    await tasks.run('subnets', () =>
      Promise.all(azs.flatMap((az) => [keyOf.publicSubnet(az), keyOf.privateSubnet(az)]).map((key) => awsWait.deleteSubnet({ scope, key }))).then(() => undefined),
    );
    await tasks.run('vpc', () => awsWait.deleteVpc({ scope, key: RESOURCE_KEYS.vpc }));
  }
  await Promise.all([secret, nodeProfile]);
  // Last: the account may be deleted once nothing of the cluster is left. A create's rollback
  // keeps it: the failed cluster still exists, and its delete needs the account's keys.
  if (!input.keepAccountUsage) await aws.releaseCloudAccountUsage({ project: input.project, cluster: input.spec.name });
}
