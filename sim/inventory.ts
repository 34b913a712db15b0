import type { Caller } from './moto';
import type { Sim } from './sim';
import { child, items, tagsOf, text, type XmlNode } from './xml';

/**
 * GET /_sim/inventory: the live resources of the simulated cloud by type, as a client would
 * see them now (apparent states), read from moto directly (not counted in stats, never
 * throttled). Terminated instances and deleted NAT gateways are left out, and so are the
 * resources the cloud creates on its own (the default VPC and what is in it, every VPC's
 * default security group and main route table, moto's `default_elb_…` groups) unless
 * `includeDefault=true`.
 *
 * Query: `region` (repeatable; default: every region clients have used, else us-east-1),
 * `tag=key=value` or `tag=key` (repeatable, all must match), `includeDefault=true`.
 */

type Tags = Record<string, string>;

interface TagFilter {
  key: string;
  value?: string;
}

export interface Inventory {
  regions: string[];
  vpcs: Array<{ region: string; account: string; id: string; cidrBlock: string; isDefault: boolean; state: string; tags: Tags }>;
  subnets: Array<{ region: string; account: string; id: string; vpcId: string; availabilityZone: string; cidrBlock: string; mapPublicIpOnLaunch: boolean; tags: Tags }>;
  internetGateways: Array<{ region: string; account: string; id: string; vpcIds: string[]; tags: Tags }>;
  natGateways: Array<{ region: string; account: string; id: string; state: string; subnetId: string; vpcId: string; allocationIds: string[]; publicIps: string[]; tags: Tags; createdAt?: number }>;
  addresses: Array<{ region: string; account: string; allocationId: string; publicIp: string; associationId?: string; networkInterfaceId?: string; instanceId?: string; tags: Tags }>;
  routeTables: Array<{ region: string; account: string; id: string; vpcId: string; main: boolean; subnetIds: string[]; routes: Array<{ destination: string; target: string }>; tags: Tags }>;
  securityGroups: Array<{ region: string; account: string; id: string; name: string; vpcId: string; tags: Tags }>;
  instances: Array<{
    region: string;
    account: string;
    id: string;
    state: string;
    availabilityZone: string;
    subnetId: string;
    vpcId: string;
    instanceType: string;
    lifecycle: 'spot' | 'on-demand';
    privateIpAddress: string;
    launchTime: string;
    tags: Tags;
  }>;
  loadBalancers: Array<{
    region: string;
    account: string;
    kind: 'classic' | 'network' | 'application' | 'gateway';
    name: string;
    arn?: string;
    dnsName: string;
    scheme: string;
    vpcId: string;
    instances?: string[];
    targetGroups?: Array<{ arn: string; name: string; port: string; protocol: string; targets: Array<{ id: string; port?: string }> }>;
    tags: Tags;
  }>;
  /**
   * ELBv2 target groups, whether or not a load balancer still uses them (one whose load
   * balancer is gone is an orphan the nested lists above would not show).
   */
  targetGroups: Array<{
    region: string;
    account: string;
    arn: string;
    name: string;
    protocol: string;
    port: string;
    vpcId: string;
    targetType: string;
    healthCheckProtocol: string;
    healthCheckPort: string;
    loadBalancerArns: string[];
    targets: Array<{ id: string; port?: string }>;
    tags: Tags;
  }>;
  /** ELBv2 listeners of every load balancer. */
  listeners: Array<{ region: string; account: string; arn: string; loadBalancerArn: string; protocol: string; port: string; targetGroupArns: string[]; tags: Tags }>;
  secrets: Array<{ region: string; account: string; name: string; arn: string; tags: Tags }>;
  /** IAM is global: roles and instance profiles are listed once per account, whatever the regions asked. */
  roles: Array<{ account: string; name: string; arn: string; tags: Tags }>;
  instanceProfiles: Array<{ account: string; name: string; arn: string; roles: string[]; tags: Tags }>;
}

export function matches(tags: Tags, filters: TagFilter[]): boolean {
  return filters.every((f) => f.key in tags && (f.value === undefined || tags[f.key] === f.value));
}

function members(node: XmlNode | undefined, name: string): XmlNode[] {
  return items(node, name, 'member');
}

function memberStrings(node: XmlNode | undefined, name: string): string[] {
  const list = child(node, name)?.member;
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
}

function memberTags(node: XmlNode | undefined): Tags {
  return tagsOf(node, 'Tags', 'member', 'Key', 'Value');
}

async function chunks<T>(list: T[], size: number, fn: (chunk: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < list.length; i += size) await fn(list.slice(i, i + size));
}

/** Tags by load balancer name (classic) or ARN (v2), 20 per DescribeTags as ELB allows. */
async function loadBalancerTags(sim: Sim, caller: Caller, service: 'elb' | 'elbv2', ids: string[]): Promise<Map<string, Tags>> {
  const [param, idField] = service === 'elb' ? ['LoadBalancerNames', 'LoadBalancerName'] : ['ResourceArns', 'ResourceArn'];
  const tags = new Map<string, Tags>();
  await chunks(ids, 20, async (chunk) => {
    const params = Object.fromEntries(chunk.map((id, i) => [`${param}.member.${i + 1}`, id]));
    const root = await sim.moto.query(service, caller, 'DescribeTags', params).catch(() => undefined);
    for (const d of members(child(root, 'DescribeTagsResult'), 'TagDescriptions')) tags.set(text(d, idField) ?? '', memberTags(d));
  });
  return tags;
}

type LoadBalancing = Pick<Inventory, 'loadBalancers' | 'targetGroups' | 'listeners'>;

async function loadBalancers(sim: Sim, caller: Caller, region: string, account: string): Promise<LoadBalancing> {
  const out: Inventory['loadBalancers'] = [];
  const classicRoot = await sim.moto.query('elb', caller, 'DescribeLoadBalancers').catch(() => undefined);
  const classic = members(child(classicRoot, 'DescribeLoadBalancersResult'), 'LoadBalancerDescriptions');
  const classicTags = await loadBalancerTags(sim, caller, 'elb', classic.map((lb) => text(lb, 'LoadBalancerName') ?? ''));
  for (const lb of classic) {
    const name = text(lb, 'LoadBalancerName') ?? '';
    out.push({
      region,
      account,
      kind: 'classic',
      name,
      dnsName: text(lb, 'DNSName') ?? '',
      scheme: text(lb, 'Scheme') ?? '',
      vpcId: text(lb, 'VPCId') ?? '',
      instances: members(lb, 'Instances').map((i) => text(i, 'InstanceId') ?? ''),
      tags: classicTags.get(name) ?? {},
    });
  }

  const v2Root = await sim.moto.query('elbv2', caller, 'DescribeLoadBalancers').catch(() => undefined);
  const v2 = members(child(v2Root, 'DescribeLoadBalancersResult'), 'LoadBalancers');
  const groupsRoot = await sim.moto.query('elbv2', caller, 'DescribeTargetGroups').catch(() => undefined);
  const groups = members(child(groupsRoot, 'DescribeTargetGroupsResult'), 'TargetGroups');
  const targetsOf = new Map<string, Array<{ id: string; port?: string }>>();
  for (const group of groups) {
    const arn = text(group, 'TargetGroupArn') ?? '';
    const root = await sim.moto.query('elbv2', caller, 'DescribeTargetHealth', { TargetGroupArn: arn }).catch(() => undefined);
    targetsOf.set(
      arn,
      members(child(root, 'DescribeTargetHealthResult'), 'TargetHealthDescriptions')
        .map((d) => child(d, 'Target'))
        .map((t) => ({ id: text(t, 'Id') ?? '', port: text(t, 'Port') }))
        .filter((t) => sim.instances.get(t.id)?.terminatedAt === undefined),
    );
  }
  const arnTags = await loadBalancerTags(sim, caller, 'elbv2', v2.map((lb) => text(lb, 'LoadBalancerArn') ?? ''));
  for (const lb of v2) {
    const arn = text(lb, 'LoadBalancerArn') ?? '';
    const kind = (text(lb, 'Type') ?? 'application') as 'network' | 'application' | 'gateway';
    out.push({
      region,
      account,
      kind,
      name: text(lb, 'LoadBalancerName') ?? '',
      arn,
      dnsName: text(lb, 'DNSName') ?? '',
      scheme: text(lb, 'Scheme') ?? '',
      vpcId: text(lb, 'VpcId') ?? '',
      targetGroups: groups
        .filter((g) => memberStrings(g, 'LoadBalancerArns').includes(arn))
        .map((g) => ({
          arn: text(g, 'TargetGroupArn') ?? '',
          name: text(g, 'TargetGroupName') ?? '',
          port: text(g, 'Port') ?? '',
          protocol: text(g, 'Protocol') ?? '',
          targets: targetsOf.get(text(g, 'TargetGroupArn') ?? '') ?? [],
        })),
      tags: arnTags.get(arn) ?? {},
    });
  }

  const groupTags = await loadBalancerTags(sim, caller, 'elbv2', groups.map((g) => text(g, 'TargetGroupArn') ?? ''));
  const targetGroups: Inventory['targetGroups'] = groups.map((g) => {
    const arn = text(g, 'TargetGroupArn') ?? '';
    return {
      region,
      account,
      arn,
      name: text(g, 'TargetGroupName') ?? '',
      protocol: text(g, 'Protocol') ?? '',
      port: text(g, 'Port') ?? '',
      vpcId: text(g, 'VpcId') ?? '',
      targetType: text(g, 'TargetType') ?? '',
      healthCheckProtocol: text(g, 'HealthCheckProtocol') ?? '',
      healthCheckPort: text(g, 'HealthCheckPort') ?? '',
      loadBalancerArns: memberStrings(g, 'LoadBalancerArns'),
      targets: targetsOf.get(arn) ?? [],
      tags: groupTags.get(arn) ?? {},
    };
  });

  const listenerNodes: XmlNode[] = [];
  for (const lb of v2) {
    const root = await sim.moto.query('elbv2', caller, 'DescribeListeners', { LoadBalancerArn: text(lb, 'LoadBalancerArn') ?? '' }).catch(() => undefined);
    listenerNodes.push(...members(child(root, 'DescribeListenersResult'), 'Listeners'));
  }
  const listenerTags = await loadBalancerTags(sim, caller, 'elbv2', listenerNodes.map((l) => text(l, 'ListenerArn') ?? ''));
  const listeners: Inventory['listeners'] = listenerNodes.map((l) => {
    const arn = text(l, 'ListenerArn') ?? '';
    return {
      region,
      account,
      arn,
      loadBalancerArn: text(l, 'LoadBalancerArn') ?? '',
      protocol: text(l, 'Protocol') ?? '',
      port: text(l, 'Port') ?? '',
      targetGroupArns: members(l, 'DefaultActions').map((a) => text(a, 'TargetGroupArn') ?? '').filter(Boolean),
      tags: listenerTags.get(arn) ?? {},
    };
  });
  return { loadBalancers: out, targetGroups, listeners };
}

async function secrets(sim: Sim, caller: Caller, region: string, account: string): Promise<Inventory['secrets']> {
  const out: Inventory['secrets'] = [];
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const answer = await sim.moto.json('secretsmanager', 'secretsmanager.ListSecrets', caller, token ? { NextToken: token } : {}).catch(() => undefined);
    if (!answer) break;
    for (const s of (answer.SecretList as Array<Record<string, unknown>> | undefined) ?? []) {
      const tags: Tags = {};
      for (const t of (s.Tags as Array<{ Key: string; Value: string }> | undefined) ?? []) tags[t.Key] = t.Value;
      out.push({ region, account, name: String(s.Name ?? ''), arn: String(s.ARN ?? ''), tags });
    }
    token = typeof answer.NextToken === 'string' && answer.NextToken ? answer.NextToken : undefined;
    if (!token) break;
  }
  return out;
}

/** Every page of an IAM List call: the `member` entries of `listName`, following Marker. */
async function iamAll(sim: Sim, caller: Caller, action: string, listName: string, params: Record<string, string> = {}): Promise<XmlNode[]> {
  const out: XmlNode[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const root = await sim.moto.query('iam', { ...caller, region: 'us-east-1' }, action, marker ? { ...params, Marker: marker } : params);
    const result = child(root, `${action}Result`);
    out.push(...items(result, listName, 'member'));
    marker = text(result, 'IsTruncated') === 'true' ? text(result, 'Marker') : undefined;
    if (!marker) break;
  }
  return out;
}

/** The account's roles and instance profiles with their tags (List calls do not carry tags; the per-entity ones do). */
async function iamEntities(sim: Sim, caller: Caller, account: string): Promise<Pick<Inventory, 'roles' | 'instanceProfiles'>> {
  const tagsFrom = (members: XmlNode[]): Tags => Object.fromEntries(members.map((t) => [text(t, 'Key') ?? '', text(t, 'Value') ?? '']));
  const roles: Inventory['roles'] = [];
  for (const role of await iamAll(sim, caller, 'ListRoles', 'Roles')) {
    const name = text(role, 'RoleName') ?? '';
    const tags = tagsFrom(await iamAll(sim, caller, 'ListRoleTags', 'Tags', { RoleName: name }));
    roles.push({ account, name, arn: text(role, 'Arn') ?? '', tags });
  }
  const instanceProfiles: Inventory['instanceProfiles'] = [];
  for (const profile of await iamAll(sim, caller, 'ListInstanceProfiles', 'InstanceProfiles')) {
    const name = text(profile, 'InstanceProfileName') ?? '';
    // moto has no ListInstanceProfileTags; GetInstanceProfile carries the tags on AWS and moto alike.
    const got = await sim.moto.query('iam', { ...caller, region: 'us-east-1' }, 'GetInstanceProfile', { InstanceProfileName: name });
    const tags = tagsFrom(items(child(child(got, 'GetInstanceProfileResult'), 'InstanceProfile'), 'Tags', 'member'));
    const held = items(profile, 'Roles', 'member').map((r) => text(r, 'RoleName') ?? '');
    instanceProfiles.push({ account, name, arn: text(profile, 'Arn') ?? '', roles: held, tags });
  }
  return { roles, instanceProfiles };
}

/** `tag=key=value` or `tag=key`, repeatable. */
export function tagFiltersOf(query: URLSearchParams): TagFilter[] {
  return query.getAll('tag').map((raw) => {
    const i = raw.indexOf('=');
    return i < 0 ? { key: raw } : { key: raw.slice(0, i), value: raw.slice(i + 1) };
  });
}

/** `region` (repeatable); by default every region clients have used, else us-east-1. */
export function regionsOf(sim: Sim, query: URLSearchParams): string[] {
  return query.getAll('region').length ? query.getAll('region') : sim.seen.size ? [...sim.seen.keys()].sort() : ['us-east-1'];
}

/** One caller per account that used `region` (account id → caller). */
export async function accountsIn(sim: Sim, region: string): Promise<Map<string, Caller>> {
  const byAccount = new Map<string, Caller>();
  for (const accessKeyId of sim.seen.get(region) ?? new Set(['sim'])) {
    const account = await sim.moto.accountOf(accessKeyId);
    if (!byAccount.has(account)) byAccount.set(account, { region, accessKeyId });
  }
  return byAccount;
}

export async function inventory(sim: Sim, query: URLSearchParams): Promise<Inventory> {
  await sim.settle();
  const includeDefault = query.get('includeDefault') === 'true';
  const tagFilters = tagFiltersOf(query);
  const regions = regionsOf(sim, query);
  const inv: Inventory = {
    regions,
    vpcs: [],
    subnets: [],
    internetGateways: [],
    natGateways: [],
    addresses: [],
    routeTables: [],
    securityGroups: [],
    instances: [],
    loadBalancers: [],
    targetGroups: [],
    listeners: [],
    secrets: [],
    roles: [],
    instanceProfiles: [],
  };
  const iamListed = new Set<string>();

  for (const region of regions) {
    for (const [account, caller] of await accountsIn(sim, region)) {
      const ec2 = (action: string, set: string): Promise<XmlNode[]> => sim.moto.ec2All(caller, action, set);

      const vpcs = await ec2('DescribeVpcs', 'vpcSet');
      const defaultVpcs = new Set(vpcs.filter((v) => text(v, 'isDefault') === 'true').map((v) => text(v, 'vpcId') ?? ''));
      const keep = (vpcId: string | undefined, tags: Tags): boolean =>
        (includeDefault || !defaultVpcs.has(vpcId ?? '')) && matches(tags, tagFilters);

      for (const v of vpcs) {
        const tags = tagsOf(v);
        const id = text(v, 'vpcId') ?? '';
        if (!keep(id, tags)) continue;
        inv.vpcs.push({ region, account, id, cidrBlock: text(v, 'cidrBlock') ?? '', isDefault: defaultVpcs.has(id), state: text(v, 'state') ?? '', tags });
      }
      for (const s of await ec2('DescribeSubnets', 'subnetSet')) {
        const tags = tagsOf(s);
        if (!keep(text(s, 'vpcId'), tags)) continue;
        inv.subnets.push({
          region,
          account,
          id: text(s, 'subnetId') ?? '',
          vpcId: text(s, 'vpcId') ?? '',
          availabilityZone: text(s, 'availabilityZone') ?? '',
          cidrBlock: text(s, 'cidrBlock') ?? '',
          mapPublicIpOnLaunch: text(s, 'mapPublicIpOnLaunch') === 'true',
          tags,
        });
      }
      for (const g of await ec2('DescribeInternetGateways', 'internetGatewaySet')) {
        const tags = tagsOf(g);
        const vpcIds = items(g, 'attachmentSet').map((a) => text(a, 'vpcId') ?? '');
        if (!includeDefault && vpcIds.some((v) => defaultVpcs.has(v))) continue;
        if (!matches(tags, tagFilters)) continue;
        inv.internetGateways.push({ region, account, id: text(g, 'internetGatewayId') ?? '', vpcIds, tags });
      }
      for (const n of await ec2('DescribeNatGateways', 'natGatewaySet')) {
        const tags = tagsOf(n);
        const id = text(n, 'natGatewayId') ?? '';
        const state = sim.natState(id, text(n, 'state') ?? '');
        if (state === 'deleted' || !keep(text(n, 'vpcId'), tags)) continue;
        const addresses = items(n, 'natGatewayAddressSet');
        inv.natGateways.push({
          region,
          account,
          id,
          state,
          subnetId: text(n, 'subnetId') ?? '',
          vpcId: text(n, 'vpcId') ?? '',
          allocationIds: addresses.map((a) => text(a, 'allocationId') ?? '').filter(Boolean),
          publicIps: addresses.map((a) => text(a, 'publicIp') ?? '').filter(Boolean),
          tags,
          // On the simulator's clock: `pending` lasts natGatewayPending from here (the create bench's breakdown).
          createdAt: sim.nats.get(id)?.createdAt,
        });
      }
      for (const a of await ec2('DescribeAddresses', 'addressesSet')) {
        const tags = tagsOf(a);
        if (!matches(tags, tagFilters)) continue;
        inv.addresses.push({
          region,
          account,
          allocationId: text(a, 'allocationId') ?? '',
          publicIp: text(a, 'publicIp') ?? '',
          associationId: text(a, 'associationId') || undefined,
          networkInterfaceId: text(a, 'networkInterfaceId') || undefined,
          instanceId: text(a, 'instanceId') || undefined,
          tags,
        });
      }
      for (const r of await ec2('DescribeRouteTables', 'routeTableSet')) {
        const tags = tagsOf(r);
        const associations = items(r, 'associationSet');
        const main = associations.some((a) => text(a, 'main') === 'true');
        if ((main && !includeDefault) || !keep(text(r, 'vpcId'), tags)) continue;
        inv.routeTables.push({
          region,
          account,
          id: text(r, 'routeTableId') ?? '',
          vpcId: text(r, 'vpcId') ?? '',
          main,
          subnetIds: associations.map((a) => text(a, 'subnetId') ?? '').filter(Boolean),
          routes: items(r, 'routeSet').map((route) => ({
            destination: text(route, 'destinationCidrBlock') ?? text(route, 'destinationIpv6CidrBlock') ?? '',
            target:
              text(route, 'natGatewayId') || text(route, 'gatewayId') || text(route, 'instanceId') || text(route, 'networkInterfaceId') || '',
          })),
          tags,
        });
      }
      for (const g of await ec2('DescribeSecurityGroups', 'securityGroupInfo')) {
        const tags = tagsOf(g);
        const name = text(g, 'groupName') ?? '';
        // `default_elb_…` groups are moto's own doing for classic load balancers, not a client's.
        const automatic = name === 'default' || name.startsWith('default_elb_');
        if ((automatic && !includeDefault) || !keep(text(g, 'vpcId'), tags)) continue;
        inv.securityGroups.push({ region, account, id: text(g, 'groupId') ?? '', name, vpcId: text(g, 'vpcId') ?? '', tags });
      }
      for (const reservation of await ec2('DescribeInstances', 'reservationSet')) {
        for (const i of items(reservation, 'instancesSet')) {
          const tags = tagsOf(i);
          const id = text(i, 'instanceId') ?? '';
          const state = sim.instanceState(id, text(child(i, 'instanceState'), 'name') ?? '').name;
          if (state === 'terminated' || !matches(tags, tagFilters)) continue;
          inv.instances.push({
            region,
            account,
            id,
            state,
            availabilityZone: text(child(i, 'placement'), 'availabilityZone') ?? '',
            subnetId: text(i, 'subnetId') ?? '',
            vpcId: text(i, 'vpcId') ?? '',
            instanceType: text(i, 'instanceType') ?? '',
            lifecycle: text(i, 'instanceLifecycle') === 'spot' ? 'spot' : 'on-demand',
            privateIpAddress: text(i, 'privateIpAddress') ?? '',
            launchTime: text(i, 'launchTime') ?? '',
            tags,
          });
        }
      }
      const balancing = await loadBalancers(sim, caller, region, account);
      inv.loadBalancers.push(...balancing.loadBalancers.filter((lb) => matches(lb.tags, tagFilters)));
      inv.targetGroups.push(...balancing.targetGroups.filter((g) => matches(g.tags, tagFilters)));
      inv.listeners.push(...balancing.listeners.filter((l) => matches(l.tags, tagFilters)));
      for (const s of await secrets(sim, caller, region, account)) if (matches(s.tags, tagFilters)) inv.secrets.push(s);
      if (!iamListed.has(account)) {
        iamListed.add(account);
        const iam = await iamEntities(sim, caller, account);
        inv.roles.push(...iam.roles.filter((r) => matches(r.tags, tagFilters)));
        inv.instanceProfiles.push(...iam.instanceProfiles.filter((p) => matches(p.tags, tagFilters)));
      }
    }
  }
  return inv;
}
