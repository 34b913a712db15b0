import { rewriteXml, rootOfAnswer, type Ctx, type Hook } from './context';
import { AwsError, type WireResponse } from './errors';
import { matchesAll, type Extractor } from './filters';
import { onDemandPrice } from './pricing/catalog';
import { filtersOf, fingerprint, listParam, withoutFilters, type QueryFilter } from './protocol';
import { instanceNodes, instancesAllowed, vcpuLimitError } from './quotas';
import { EC2_NAME_HOOKS } from './name-limits';
import { stateOf, type ApparentState } from './sim';
import { describeSpotPriceHistory } from './spot/history';
import { formatSpotPrice } from './spot/market';
import { child, items, setItems, text, type XmlNode } from './xml';

/**
 * EC2 actions where moto needs help: delayed states rewritten at read time, ClientToken
 * idempotency, spot bids, quotas, honest filters, and the dependency errors EC2 raises
 * while a resource is still going away.
 */

const SPOT_INTERRUPTION = {
  code: 'Server.SpotInstanceTermination',
  message: 'Server.SpotInstanceTermination: Spot instance termination',
};

// ---- helpers -------------------------------------------------------------------------------

async function subnetZone(ctx: Ctx, subnetId: string): Promise<{ az: string; vpcId: string } | undefined> {
  try {
    const root = await ctx.sim.moto.query('ec2', ctx.caller, 'DescribeSubnets', { 'SubnetId.1': subnetId });
    const subnet = items(root, 'subnetSet')[0];
    const az = text(subnet, 'availabilityZone');
    return az ? { az, vpcId: text(subnet, 'vpcId') ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/** Where RunInstances will place the instance: subnet's AZ, else Placement, else the region's first AZ (as moto does). */
async function launchZone(ctx: Ctx): Promise<string> {
  const p = ctx.call.params;
  const subnet = p.get('SubnetId') ?? p.get('NetworkInterface.1.SubnetId');
  if (subnet) {
    const found = await subnetZone(ctx, subnet);
    if (found) return found.az;
  }
  return p.get('Placement.AvailabilityZone') ?? `${ctx.call.region}a`;
}

function setState(node: XmlNode, field: string, state: ApparentState): void {
  node[field] = { code: String(state.code), name: state.name };
}

function stripFilters(ctx: Ctx, names: (name: string) => boolean): { params: URLSearchParams; ours: QueryFilter[] } {
  const all = filtersOf(ctx.call.params);
  return { params: withoutFilters(ctx.call.params, names), ours: all.filter((f) => names(f.name)) };
}

function idempotent(ctx: Ctx, perform: () => Promise<WireResponse>): Promise<WireResponse> {
  const token = ctx.call.params.get('ClientToken');
  if (!token || ctx.call.params.get('DryRun') === 'true') return perform();
  const key = `${ctx.account}|${ctx.call.region}|${ctx.call.action}|${token}`;
  return ctx.sim.idempotency.run(key, token, fingerprint(ctx.call.params), perform);
}

// ---- instances -----------------------------------------------------------------------------

function instanceExtractors(ctx: Ctx, reservationId: () => string): Record<string, Extractor> {
  const apparent = (node: XmlNode): ApparentState =>
    ctx.sim.instanceState(text(node, 'instanceId') ?? '', text(child(node, 'instanceState'), 'name') ?? '');
  return {
    'instance-state-name': (node) => [apparent(node).name],
    'instance-state-code': (node) => [String(apparent(node).code)],
    'instance-lifecycle': (node) => {
      const lifecycle = text(node, 'instanceLifecycle');
      return lifecycle ? [lifecycle] : [];
    },
    'client-token': (node) => [text(node, 'clientToken') ?? ''],
    'reservation-id': () => [reservationId()],
    'network-interface.subnet-id': (node) => items(node, 'networkInterfaceSet').map((eni) => text(eni, 'subnetId') ?? ''),
  };
}

const INSTANCE_FILTERS = new Set(['instance-state-name', 'instance-state-code', 'instance-lifecycle', 'client-token', 'reservation-id', 'network-interface.subnet-id']);

/** Rewrites one instance as a client sees it now. */
function presentInstance(ctx: Ctx, node: XmlNode): void {
  const id = text(node, 'instanceId') ?? '';
  const state = ctx.sim.instanceState(id, text(child(node, 'instanceState'), 'name') ?? '');
  setState(node, 'instanceState', state);
  const record = ctx.sim.instances.get(id);
  if (record?.interruptedAt !== undefined) {
    node.stateReason = { ...SPOT_INTERRUPTION };
    node.reason = '';
  } else if (state.name === 'pending') {
    node.stateReason = { code: 'pending', message: 'pending' };
  }
  if (record?.spot && !text(node, 'instanceLifecycle')) node.instanceLifecycle = 'spot';
}

const describeInstances: Hook = async (ctx) => {
  const { params, ours } = stripFilters(ctx, (name) => INSTANCE_FILTERS.has(name));
  const answer = await ctx.forward(params);
  return rewriteXml(answer, (root) => {
    const kept: XmlNode[] = [];
    for (const reservation of items(root, 'reservationSet')) {
      const extractors = instanceExtractors(ctx, () => text(reservation, 'reservationId') ?? '');
      const instances = items(reservation, 'instancesSet');
      // Filters see the apparent state, so evaluate them before rewriting nothing else.
      const matching = instances.filter((node) => matchesAll(node, ours, extractors));
      matching.forEach((node) => presentInstance(ctx, node));
      if (matching.length) {
        setItems(reservation, 'instancesSet', matching);
        kept.push(reservation);
      }
    }
    setItems(root, 'reservationSet', kept);
  });
};

const STATUS_FILTERS = new Set([
  'instance-state-name',
  'instance-state-code',
  'instance-status.status',
  'instance-status.reachability',
  'system-status.status',
  'system-status.reachability',
]);

const describeInstanceStatus: Hook = async (ctx) => {
  const includeAll = ctx.call.params.get('IncludeAllInstances') === 'true';
  const { params, ours } = stripFilters(ctx, (name) => STATUS_FILTERS.has(name));
  params.set('IncludeAllInstances', 'true');
  const answer = await ctx.forward(params);
  const now = ctx.sim.now();
  return rewriteXml(answer, (root) => {
    const kept: XmlNode[] = [];
    for (const node of items(root, 'instanceStatusSet')) {
      const id = text(node, 'instanceId') ?? '';
      const state = ctx.sim.instanceState(id, text(child(node, 'instanceState'), 'name') ?? '', now);
      if (!includeAll && state.name !== 'running') continue;
      setState(node, 'instanceState', state);
      let status = 'not-applicable';
      if (state.name === 'running') {
        const okAt = ctx.sim.runningSince(id) + ctx.sim.delay('instanceStatusChecks');
        status = now < okAt ? 'initializing' : 'ok';
      }
      const impaired = state.name === 'running' ? ctx.sim.config.impairedStatus[id] : undefined;
      const statusOf = (check: 'instance' | 'system') => (impaired === check ? 'impaired' : status);
      const detailOf = (value: string) => (value === 'ok' ? 'passed' : value === 'impaired' ? 'failed' : value);
      for (const [field, check] of [['instanceStatus', 'instance'], ['systemStatus', 'system']] as const) {
        const value = statusOf(check);
        node[field] = value === 'not-applicable' ? { status: value } : { details: { item: [{ name: 'reachability', status: detailOf(value) }] }, status: value };
      }
      const extractors: Record<string, Extractor> = {
        'instance-state-name': () => [state.name],
        'instance-state-code': () => [String(state.code)],
        'instance-status.status': () => [statusOf('instance')],
        'system-status.status': () => [statusOf('system')],
        'instance-status.reachability': () => [detailOf(statusOf('instance'))],
        'system-status.reachability': () => [detailOf(statusOf('system'))],
      };
      if (matchesAll(node, ours, extractors)) kept.push(node);
    }
    setItems(root, 'instanceStatusSet', kept);
  });
};

const runInstances: Hook = (ctx) => {
  const { call, sim } = ctx;
  if (call.params.get('DryRun') === 'true') return ctx.forward();
  return idempotent(ctx, () =>
    sim.withLock(`instances|${ctx.account}|${call.region}`, async () => {
      const type = call.params.get('InstanceType') ?? 'm1.small';
      const spot = call.params.get('InstanceMarketOptions.MarketType') === 'spot';
      const az = await launchZone(ctx);
      let maxPrice: number | undefined;
      if (spot) {
        const raw = call.params.get('InstanceMarketOptions.SpotOptions.MaxPrice');
        maxPrice = raw ? Number(raw) : onDemandPrice(call.region, type);
        if (raw && (!Number.isFinite(maxPrice) || (maxPrice as number) <= 0)) {
          throw new AwsError('InvalidParameterValue', `Invalid value '${raw}' for MaxPrice.`);
        }
        const current = sim.spot.current(call.region, az, type);
        if (maxPrice !== undefined && current !== undefined && maxPrice < current) {
          throw new AwsError(
            'SpotMaxPriceTooLow',
            `Your Spot request price of ${raw ?? maxPrice} is lower than the minimum required Spot request fulfillment price of ${Number(formatSpotPrice(current))}.`,
          );
        }
      }
      const minCount = Math.max(1, Number(call.params.get('MinCount') ?? '1') || 1);
      const maxCount = Math.max(minCount, Number(call.params.get('MaxCount') ?? String(minCount)) || minCount);
      const quota = await instancesAllowed(sim, ctx.caller, type, spot);
      if (quota.allowed < minCount) throw vcpuLimitError(quota.code, quota.limit);
      // EC2 launches as many as it can up to MaxCount; moto launches MinCount. Ask moto for the number EC2 would launch.
      const count = Math.min(maxCount, quota.allowed);
      const params = new URLSearchParams(call.params);
      params.set('MinCount', String(count));
      params.set('MaxCount', String(count));
      const answer = await ctx.forward(params);
      if (answer.status < 300) {
        const now = sim.now();
        for (const node of items(rootOfAnswer(answer), 'instancesSet')) {
          const id = text(node, 'instanceId');
          if (!id) continue;
          sim.instances.set(id, {
            id,
            region: call.region,
            accessKeyId: call.accessKeyId,
            launchedAt: now,
            events: [{ kind: 'launch', at: now }],
            availabilityZone: text(child(node, 'placement'), 'availabilityZone') ?? az,
            instanceType: text(node, 'instanceType') ?? type,
            spot: spot && maxPrice !== undefined ? { maxPrice } : undefined,
          });
        }
      }
      return rewriteXml(answer, (root) => {
        for (const node of items(root, 'instancesSet')) {
          setState(node, 'instanceState', stateOf('pending'));
          node.stateReason = { code: 'pending', message: 'pending' };
        }
      });
    }),
  );
};

/** Terminate/Stop/Start: record when, and answer the states a client sees. */
function instanceTransition(kind: 'terminate' | 'stop' | 'start'): Hook {
  return async (ctx) => {
    const { sim, call } = ctx;
    if (call.params.get('DryRun') === 'true') return ctx.forward();
    const ids = listParam(call.params, 'InstanceId');
    const before = new Map<string, ApparentState>();
    try {
      const reservations = await sim.moto.ec2All(ctx.caller, 'DescribeInstances', 'reservationSet', Object.fromEntries(ids.map((id, i) => [`InstanceId.${i + 1}`, id])));
      for (const node of instanceNodes(reservations)) {
        const id = text(node, 'instanceId') ?? '';
        before.set(id, sim.instanceState(id, text(child(node, 'instanceState'), 'name') ?? ''));
      }
    } catch {
      /* moto will answer the error itself */
    }
    const answer = await ctx.forward();
    if (answer.status >= 300) return answer;
    const now = sim.now();
    for (const id of ids) {
      let record = sim.instances.get(id);
      if (!record) {
        record = { id, region: call.region, accessKeyId: call.accessKeyId, launchedAt: 0, events: [] };
        sim.instances.set(id, record);
      }
      const was = before.get(id)?.name;
      if (kind === 'terminate' && record.terminatedAt === undefined && was !== 'terminated') {
        record.terminatedAt = now;
        record.events.push({ kind: 'terminate', at: now });
      }
      if (kind === 'stop' && was !== 'stopped' && was !== 'stopping') {
        record.stoppedAt = now;
        record.events.push({ kind: 'stop', at: now });
      }
      if (kind === 'start' && was !== 'running' && was !== 'pending') {
        record.launchedAt = now;
        record.stoppedAt = undefined;
        record.events.push({ kind: 'launch', at: now });
      }
    }
    return rewriteXml(answer, (root) => {
      for (const node of items(root, 'instancesSet')) {
        const id = text(node, 'instanceId') ?? '';
        const previous = before.get(id);
        if (previous) setState(node, 'previousState', previous);
        const motoCurrent = kind === 'terminate' ? 'terminated' : kind === 'stop' ? 'stopped' : 'running';
        setState(node, 'currentState', sim.instanceState(id, motoCurrent));
      }
    });
  };
}

// ---- NAT gateways --------------------------------------------------------------------------

function natExtractors(): Record<string, Extractor> {
  return {
    'nat-gateway-id': (node) => [text(node, 'natGatewayId') ?? ''],
    state: (node) => [text(node, 'state') ?? ''],
    'subnet-id': (node) => [text(node, 'subnetId') ?? ''],
    'vpc-id': (node) => [text(node, 'vpcId') ?? ''],
  };
}

function presentNat(ctx: Ctx, node: XmlNode): void {
  const id = text(node, 'natGatewayId') ?? '';
  const state = ctx.sim.natState(id, text(node, 'state') ?? '');
  node.state = state;
  const record = ctx.sim.nats.get(id);
  if (state === 'deleted' && record?.deletedAt !== undefined) {
    node.deleteTime = new Date(record.deletedAt + ctx.sim.delay('natGatewayDeleting')).toISOString();
  } else {
    delete node.deleteTime;
  }
}

async function natGatewaysInZone(ctx: Ctx, az: string): Promise<number> {
  const gateways = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeNatGateways', 'natGatewaySet');
  const zones = new Map<string, string | undefined>();
  let count = 0;
  for (const node of gateways) {
    const state = ctx.sim.natState(text(node, 'natGatewayId') ?? '', text(node, 'state') ?? '');
    if (state !== 'pending' && state !== 'available' && state !== 'deleting') continue;
    const subnet = text(node, 'subnetId') ?? '';
    if (!zones.has(subnet)) zones.set(subnet, (await subnetZone(ctx, subnet))?.az);
    if (zones.get(subnet) === az) count++;
  }
  return count;
}

const createNatGateway: Hook = (ctx) => {
  const { call, sim } = ctx;
  if (call.params.get('DryRun') === 'true') return ctx.forward();
  return idempotent(ctx, () =>
    sim.withLock(`nat|${ctx.account}|${call.region}`, async () => {
      const subnet = call.params.get('SubnetId') ?? '';
      if (sim.config.enforceQuotas) {
        const zone = await subnetZone(ctx, subnet);
        if (zone && (await natGatewaysInZone(ctx, zone.az)) >= sim.config.quotas.natGatewaysPerAz) {
          throw new AwsError('NatGatewayLimitExceeded', 'The maximum number of NAT Gateways has been reached.');
        }
      }
      const answer = await ctx.forward();
      if (answer.status >= 300) return answer;
      return rewriteXml(answer, (root) => {
        const node = child(root, 'natGateway');
        const id = text(node, 'natGatewayId');
        if (!node || !id) return;
        sim.nats.set(id, { id, region: call.region, accessKeyId: call.accessKeyId, createdAt: sim.now(), finalized: false });
        node.state = 'pending';
      });
    }),
  );
};

async function existingNatIds(ctx: Ctx, ids: string[]): Promise<Set<string>> {
  const params = Object.fromEntries(ids.map((id, i) => [`NatGatewayId.${i + 1}`, id]));
  const found = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeNatGateways', 'natGatewaySet', params);
  return new Set(found.map((node) => text(node, 'natGatewayId') ?? ''));
}

const deleteNatGateway: Hook = async (ctx) => {
  const { call, sim } = ctx;
  const id = call.params.get('NatGatewayId') ?? '';
  if (!(await existingNatIds(ctx, [id])).has(id)) {
    throw new AwsError('NatGatewayNotFound', `The Nat Gateway ${id} was not found`);
  }
  const answer = await ctx.forward();
  if (answer.status < 300) {
    let record = sim.nats.get(id);
    if (!record) {
      record = { id, region: call.region, accessKeyId: call.accessKeyId, createdAt: 0, finalized: false };
      sim.nats.set(id, record);
    }
    if (record.deletedAt === undefined) record.deletedAt = sim.now();
  }
  return answer;
};

const describeNatGateways: Hook = async (ctx) => {
  const { call } = ctx;
  const ids = listParam(call.params, 'NatGatewayId');
  if (ids.length) {
    const found = await existingNatIds(ctx, ids);
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw new AwsError('NatGatewayNotFound', `The Nat Gateway ${missing} was not found`);
  }
  // moto ignores tag filters here and sees only its own (immediate) states: filter and page ourselves.
  const filters = filtersOf(call.params);
  const params = withoutFilters(call.params, () => true);
  params.delete('MaxResults');
  params.delete('NextToken');
  const answer = await ctx.forward(params);
  const maxRaw = call.params.get('MaxResults');
  const max = maxRaw ? Number(maxRaw) : Infinity;
  if (maxRaw && (!Number.isInteger(max) || max < 5 || max > 1000)) {
    throw new AwsError('InvalidParameterValue', 'MaxResults must be between 5 and 1000.');
  }
  const token = call.params.get('NextToken');
  const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new AwsError('InvalidNextToken', 'The token is invalid.');
  return rewriteXml(answer, (root) => {
    const all = items(root, 'natGatewaySet');
    all.forEach((node) => presentNat(ctx, node));
    const matching = all.filter((node) => matchesAll(node, filters, natExtractors()));
    const page = matching.slice(offset, offset + max);
    setItems(root, 'natGatewaySet', page);
    if (offset + max < matching.length) root.nextToken = Buffer.from(String(offset + max)).toString('base64');
    else delete root.nextToken;
  });
};

// ---- quotas on creation --------------------------------------------------------------------

function countedCreate(lock: string, count: (ctx: Ctx) => Promise<number>, limit: (ctx: Ctx) => number, error: () => AwsError): Hook {
  return (ctx) => {
    if (ctx.call.params.get('DryRun') === 'true' || !ctx.sim.config.enforceQuotas) return ctx.forward();
    return ctx.sim.withLock(`${lock}|${ctx.account}|${ctx.call.region}`, async () => {
      if ((await count(ctx)) >= limit(ctx)) throw error();
      return ctx.forward();
    });
  };
}

const allocateAddress = countedCreate(
  'eip',
  async (ctx) => (await ctx.sim.moto.ec2All(ctx.caller, 'DescribeAddresses', 'addressesSet')).filter((a) => text(a, 'domain') !== 'standard').length,
  (ctx) => ctx.sim.config.quotas.elasticIps,
  () => new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.'),
);

const createVpc = countedCreate(
  'vpc',
  async (ctx) => (await ctx.sim.moto.ec2All(ctx.caller, 'DescribeVpcs', 'vpcSet')).length,
  (ctx) => ctx.sim.config.quotas.vpcsPerRegion,
  () => new AwsError('VpcLimitExceeded', 'The maximum number of VPCs has been reached.'),
);

const createInternetGateway = countedCreate(
  'igw',
  async (ctx) => (await ctx.sim.moto.ec2All(ctx.caller, 'DescribeInternetGateways', 'internetGatewaySet')).length,
  (ctx) => ctx.sim.config.quotas.internetGatewaysPerRegion,
  () => new AwsError('InternetGatewayLimitExceeded', 'The maximum number of internet gateways has been reached.'),
);

// ---- dependencies while resources are still going away -------------------------------------

const releaseAddress: Hook = async (ctx) => {
  const p = ctx.call.params;
  const query: Record<string, string> = {};
  if (p.get('AllocationId')) query['AllocationId.1'] = p.get('AllocationId') as string;
  else if (p.get('PublicIp')) query['PublicIp.1'] = p.get('PublicIp') as string;
  try {
    const address = (await ctx.sim.moto.ec2All(ctx.caller, 'DescribeAddresses', 'addressesSet', query))[0];
    // moto silently disassociates an address it releases; EC2 refuses while it is associated.
    if (address && text(address, 'associationId')) {
      throw new AwsError('InvalidIPAddress.InUse', `Address ${text(address, 'publicIp') ?? ''} is in use.`);
    }
  } catch (error) {
    if (error instanceof AwsError && error.code === 'InvalidIPAddress.InUse') throw error;
  }
  return ctx.forward();
};

const deleteSubnet: Hook = async (ctx) => {
  const subnet = ctx.call.params.get('SubnetId') ?? '';
  const filter = { 'Filter.1.Name': 'subnet-id', 'Filter.1.Value.1': subnet };
  const instances = instanceNodes(await ctx.sim.moto.ec2All(ctx.caller, 'DescribeInstances', 'reservationSet', filter));
  const liveInstance = instances.some(
    (node) => ctx.sim.instanceState(text(node, 'instanceId') ?? '', text(child(node, 'instanceState'), 'name') ?? '').name !== 'terminated',
  );
  const gateways = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeNatGateways', 'natGatewaySet', filter);
  const liveGateway = gateways.some((node) => ctx.sim.natState(text(node, 'natGatewayId') ?? '', text(node, 'state') ?? '') !== 'deleted');
  if (liveInstance || liveGateway) {
    throw new AwsError('DependencyViolation', `The subnet '${subnet}' has dependencies and cannot be deleted.`);
  }
  return ctx.forward();
};

const detachInternetGateway: Hook = async (ctx) => {
  const vpc = ctx.call.params.get('VpcId') ?? '';
  const interfaces = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeNetworkInterfaces', 'networkInterfaceSet', {
    'Filter.1.Name': 'vpc-id',
    'Filter.1.Value.1': vpc,
  });
  const inVpc = new Set(interfaces.map((eni) => text(eni, 'networkInterfaceId') ?? ''));
  const addresses = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeAddresses', 'addressesSet');
  const mapped = addresses.some((a) => text(a, 'associationId') && inVpc.has(text(a, 'networkInterfaceId') ?? ''));
  if (mapped) {
    throw new AwsError(
      'DependencyViolation',
      `Network ${vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    );
  }
  return ctx.forward();
};

const deleteVpc: Hook = async (ctx) => {
  const vpc = ctx.call.params.get('VpcId') ?? '';
  const gateways = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeInternetGateways', 'internetGatewaySet', {
    'Filter.1.Name': 'attachment.vpc-id',
    'Filter.1.Value.1': vpc,
  });
  if (gateways.length) throw new AwsError('DependencyViolation', `The vpc '${vpc}' has dependencies and cannot be deleted.`);
  return ctx.forward();
};

/**
 * EC2 refuses to associate a subnet that already has an explicit association, with that table
 * or another (Resource.AlreadyAssociated); moving it takes ReplaceRouteTableAssociation. moto
 * instead answers with the existing association, as if the subnet were now where asked.
 */
const associateRouteTable: Hook = async (ctx) => {
  const subnet = ctx.call.params.get('SubnetId');
  if (subnet && ctx.call.params.get('DryRun') !== 'true') {
    const holders = await ctx.sim.moto.ec2All(ctx.caller, 'DescribeRouteTables', 'routeTableSet', {
      'Filter.1.Name': 'association.subnet-id',
      'Filter.1.Value.1': subnet,
    });
    if (holders.length) {
      throw new AwsError(
        'Resource.AlreadyAssociated',
        `the specified association for route table ${ctx.call.params.get('RouteTableId') ?? ''} conflicts with an existing association`,
      );
    }
  }
  return ctx.forward();
};

// ---- filters moto does not implement -------------------------------------------------------

function postFiltered(setName: string, table: Record<string, Extractor>): Hook {
  return async (ctx) => {
    const { params, ours } = stripFilters(ctx, (name) => name in table);
    const answer = await ctx.forward(params);
    if (!ours.length) return answer;
    return rewriteXml(answer, (root) => setItems(root, setName, items(root, setName).filter((node) => matchesAll(node, ours, table))));
  };
}

const describeInternetGateways = postFiltered('internetGatewaySet', {
  'owner-id': (node) => [text(node, 'ownerId') ?? ''],
});

const describeAddresses: Hook = (ctx) =>
  postFiltered('addressesSet', {
    'network-border-group': (node) => [text(node, 'networkBorderGroup') ?? ctx.call.region],
  })(ctx);

const describeRouteTables = postFiltered('routeTableSet', {
  'association.gateway-id': (node) => items(node, 'associationSet').map((a) => text(a, 'gatewayId') ?? ''),
});

export const EC2_HOOKS: Record<string, Hook> = {
  ...EC2_NAME_HOOKS,
  RunInstances: runInstances,
  TerminateInstances: instanceTransition('terminate'),
  StopInstances: instanceTransition('stop'),
  StartInstances: instanceTransition('start'),
  DescribeInstances: describeInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  CreateNatGateway: createNatGateway,
  DeleteNatGateway: deleteNatGateway,
  DescribeNatGateways: describeNatGateways,
  DescribeSpotPriceHistory: (ctx) => describeSpotPriceHistory(ctx.sim, ctx.call),
  AllocateAddress: allocateAddress,
  ReleaseAddress: releaseAddress,
  CreateVpc: createVpc,
  CreateInternetGateway: createInternetGateway,
  DeleteSubnet: deleteSubnet,
  DetachInternetGateway: detachInternetGateway,
  AssociateRouteTable: associateRouteTable,
  DeleteVpc: deleteVpc,
  DescribeInternetGateways: describeInternetGateways,
  DescribeAddresses: describeAddresses,
  DescribeRouteTables: describeRouteTables,
};
