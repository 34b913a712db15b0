import { Inject, Injectable, Logger } from '@nestjs/common';
import { Client, WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { DEFAULT_API_ENDPOINT_TYPE, endpointKindOf } from '../../common/api-endpoint';
import { DEFAULT_ROOT_VOLUME, DEFAULT_VPC_CIDR, isSpotPool, type ClusterSpec, type PoolSpec } from '../../common/cluster-spec';
import { statusCapacity, type ClusterStatus, type NodeStatus, type OperationRecord, type Progress } from '../../common/cluster-status';
import { ProfileError, resolveProfile, ResolvedProfile } from '../../common/profile';
import { SEARCH_ATTRIBUTE_KEYS } from '../../common/search-attributes';
import { acceptedListing, LISTING_MEMO } from '../../common/cluster-listing';
import { specRuleProblems, tagProblems } from '../../common/spec-rules';
import { checkPoolChange, checkProfileChange, checkScale, checkUpgrade, poolWith, RuleViolation, type PoolLaunchChange, type ProfileChange } from '../../common/day2-rules';
import { clusterEntity, type ClusterEntityInput } from '../../workflows/cluster-entity';
import { type Accepted, cancelOperationUpdate, operationsQuery, profileQuery, progressQuery, retryOperationUpdate, specQuery, spotStatusQuery, statusQuery } from '../../workflows/messages';
import { addPoolUpdate, changeProfileUpdate, deleteClusterUpdate, reconfigurePoolUpdate, removePoolUpdate, scalePoolUpdate, upgradeClusterUpdate } from '../../workflows/operations';
import { clusterWorkflowId, numberOf, operationId, spotWatcherId, typeOfOperation } from '../../common/workflow-ids';
import { indexOf } from '../../workflows/node-lifecycle';
import { planCluster } from '../../workflows/plan';
import { replacementReasons } from '../../workflows/launch-config';
import { rollingOrder } from '../../workflows/operations/rolling';
import { BASTION_INSTANCE_TYPE, preflightNeeds } from '../../workflows/preflight-needs';
import { awsReadFailure } from '../common/aws-read-failure';
import { ApiError, FieldProblem } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { ApiMetrics } from '../observability/api-metrics';
import { API_METRICS } from '../observability/tokens';
import { SETTINGS, STORE, TEMPORAL_CLIENT } from '../common/tokens';
import { Store } from '../../store/store';
import { ClusterSpecDto } from './cluster-spec.dto';
import { CloudReadsService } from './cloud-reads.service';
import { olderOperations } from './operation-history';
import { type ClusterListPage, ClusterReadModel } from './cluster-list';
import { PAYLOAD_CODEC } from '../temporal/temporal.module';
import type { EncryptedPayloadCodec } from '../../common/payload-codec';
import { RetryingActivity, retryingActivities, retryingForRunningTasks } from './retrying-activities';
import { UpdatePoolDto } from './pool.dto';
import { assertPoolSettings } from './pool-settings.dto';
import { poolChangeDryRun } from './pool-dry-run';

export interface OperationView {
  id: string;
  type: string;
  state: string;
  startedAt: string;
  finishedAt?: string;
  progress?: { completed: number; total: number };
  tasks?: Progress['tasks'];
  error?: string;
  reason?: string;
  /** While the operation runs: the calls Temporal is retrying, with their last error. */
  retrying?: RetryingActivity[];
  /** The failed or cancelled operation this one runs again. */
  retryOf?: string;
  /** A failed or cancelled create's rollback: the delete's tasks, run to remove what it made. */
  rollback?: { progress?: { completed: number; total: number }; tasks?: Progress['tasks'] };
}

function unprocessable(problems: FieldProblem[]): ApiError {
  return new ApiError(422, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
}

/**
 * The DTO without its class: what the workflow keeps as the desired spec. Defaults a choice
 * of what to build takes are written in (the API endpoint's kind, a dynamic VPC's CIDR, each pool's root volume), so
 * the record says what was built (and a later change of default never changes what an existing
 * spec means).
 */
function toSpec(dto: ClusterSpecDto): ClusterSpec {
  const spec = JSON.parse(JSON.stringify(dto)) as ClusterSpec;
  spec.cloud.apiEndpoint ??= { type: DEFAULT_API_ENDPOINT_TYPE };
  if (spec.cloud.placement.type === 'dynamic') spec.cloud.placement.vpcCidr ??= DEFAULT_VPC_CIDR;
  return { ...spec, pools: spec.pools.map(newPool) };
}

/**
 * A pool as it is created: with the default root volume when it names none (pools created
 * before root volumes could be set have none: the image's own).
 */
function newPool(pool: PoolSpec): PoolSpec {
  return pool.rootVolume ? pool : { ...pool, rootVolume: { ...DEFAULT_ROOT_VOLUME } };
}

@Injectable()
export class ClustersService {
  private readonly logger = new Logger('clusters');

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly cloud: CloudReadsService,
    @Inject(SETTINGS) private readonly settings: ApiSettings,
    @Inject(API_METRICS) private readonly metrics: ApiMetrics,
    @Inject(PAYLOAD_CODEC) codec: EncryptedPayloadCodec,
  ) {
    this.readModel = new ClusterReadModel(temporal, codec);
  }

  private readonly readModel: ClusterReadModel;

  /** Validates everything that can be known before starting; returns the spec and resolved profile. */
  private async admit(project: string, dto: ClusterSpecDto): Promise<{ spec: ClusterSpec; profile: ResolvedProfile }> {
    const spec = toSpec(dto);
    const badTags = tagProblems(spec.tags);
    if (badTags.length > 0) throw new ApiError(400, badTags.map((p) => `${p.field}: ${p.message}`).join('; '), badTags);
    assertPoolSettings(spec.pools.map((pool, i) => ({ pool, field: `pools.${i}` })));
    const rules = specRuleProblems(spec);
    if (rules.length > 0) throw unprocessable(rules);
    if (!(await this.store.getCloudAccount(project, spec.cloud.accountId))) {
      throw unprocessable([{ field: 'cloud.accountId', rule: 'account-exists', message: `no cloud account ${spec.cloud.accountId}` }]);
    }
    const stored = await this.store.getProfile(project, spec.profile.id);
    if (!stored) throw unprocessable([{ field: 'profile.id', rule: 'profile-exists', message: `no cluster profile ${spec.profile.id}` }]);
    let profile: ResolvedProfile;
    try {
      profile = resolveProfile(stored.id, stored.packs, spec.profile.overrides);
    } catch (error) {
      if (error instanceof ProfileError) throw unprocessable(error.problems);
      throw error;
    }
    const regional = await this.cloud.regionProblems(project, spec).catch((error: Error) => {
      throw awsReadFailure('could not check the region with AWS', spec.cloud.region, error);
    });
    if (regional.length > 0) throw unprocessable(regional);
    return { spec, profile };
  }

  async dryRun(project: string, dto: ClusterSpecDto) {
    const { spec, profile } = await this.admit(project, dto);
    const plan = planCluster(spec);
    const scope = { accountId: spec.cloud.accountId, region: spec.cloud.region, owner: { cluster: `${project}/${spec.name}`, clusterName: spec.name, extraTags: spec.tags ?? {} } };
    const [preflight, cost] = await Promise.all([
      this.cloud.preflight(project, { scope, sshKeyName: spec.cloud.sshKeyName, image: profile.image, needs: preflightNeeds(spec) }),
      this.cloud.estimateCost(project, {
        scope,
        nodes: [
          ...spec.pools.map((p) => ({ instanceType: p.instanceType, count: p.size, spotMaxPricePercent: p.capacity?.type === 'spot' ? p.capacity.maxPricePercent : undefined })),
          { instanceType: BASTION_INSTANCE_TYPE, count: 1 },
        ],
        natGateways: plan.placement === 'dynamic' ? plan.azs.length : 0,
        // The API endpoint's load balancer, priced by its kind.
        loadBalancers: endpointKindOf(spec) === 'classic-elb' ? 1 : 0,
        networkLoadBalancers: endpointKindOf(spec) === 'nlb' ? 1 : 0,
      }),
    ]);
    return { name: spec.name, dryRun: true, plan, preflight, cost };
  }

  async create(project: string, dto: ClusterSpecDto, options: { keepOnFailure?: boolean } = {}): Promise<{ name: string; operationId: string }> {
    const { spec, profile } = await this.admit(project, dto);
    const input: ClusterEntityInput = {
      project,
      spec,
      profile,
      reconcileIntervalS: this.settings.config.reconcileIntervalS,
      spotIntervalS: this.settings.config.spotIntervalS,
      keepOnFailure: options.keepOnFailure || undefined,
      operationLogLimit: this.settings.config.operationLogLimit,
    };
    // The account is marked in use before the entity exists, so it cannot be deleted from
    // under a cluster whose start is under way (or whose API crashed right after the start).
    // One create per name at a time here: a claim is released only by the create that made it.
    return this.oneAtATime(`${project}/${spec.name}`, async () => {
      const claimed = await this.store.claimCloudAccount(project, spec.name, spec.cloud.accountId);
      try {
        await this.startEntity(project, spec, input);
      } catch (error) {
        if (claimed) await this.store.releaseCloudAccountClaim(project, spec.name, spec.cloud.accountId);
        throw error;
      }
      // A record left by an earlier cluster of this name (its delete crashed before releasing) is this one's now.
      if (!claimed) await this.store.useCloudAccount(project, spec.name, spec.cloud.accountId);
      this.logger.log(`cluster ${project}/${spec.name} accepted: creating in ${spec.cloud.region}`);
      this.metrics.operationStarted('create');
      return { name: spec.name, operationId: operationId(1, 'create') };
    });
  }

  private readonly creating = new Map<string, Promise<unknown>>();

  private async oneAtATime<T>(key: string, body: () => Promise<T>): Promise<T> {
    const before = this.creating.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(body);
    this.creating.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.creating.get(key) === mine) this.creating.delete(key);
    }
  }

  private async startEntity(project: string, spec: ClusterSpec, input: ClusterEntityInput): Promise<void> {
    try {
      await this.temporal.workflow.start(clusterEntity, {
        taskQueue: this.settings.config.taskQueue,
        workflowId: clusterWorkflowId(project, spec.name),
        args: [input],
        // A deleted cluster's name is free again; a live one's is not.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterName, value: spec.name },
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterProject, value: project },
          { key: SEARCH_ATTRIBUTE_KEYS.CloudRegion, value: spec.cloud.region },
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterPhase, value: 'Provisioning' },
        ],
        staticSummary: `cluster ${project}/${spec.name} in ${spec.cloud.region}`,
        // Listed with its pools from the moment visibility has the start; the entity keeps it current.
        memo: { [LISTING_MEMO]: acceptedListing(project, spec, new Date().toISOString()) },
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new ApiError(409, `name: a cluster named "${spec.name}" already exists`);
      throw error;
    }
  }

  /** A page of the project's live clusters, from the read model over visibility (api/clusters/cluster-list.ts), as JSON text (`ClusterListAnswer`). */
  list(page: ClusterListPage): Promise<string> {
    return this.readModel.page(page);
  }

  async get(project: string, name: string): Promise<ClusterStatus> {
    const status = await this.entity(project, name, (handle) => handle.query(statusQuery));
    if (status.phase === 'Deleted' || status.phase === 'Deleting') return status;
    // A spot pool's nodes are its bidding watcher's: its view replaces the entity's.
    status.pools = await Promise.all(
      status.pools.map(async (stated) => {
        const pool = { ...stated, capacity: statusCapacity(stated.capacity) };
        if (!isSpotPool(pool)) return pool;
        const spot = await this.temporal.workflow
          .getHandle(spotWatcherId(project, name, pool.name))
          .query(spotStatusQuery)
          .catch(() => undefined);
        if (!spot) return pool;
        return {
          ...pool,
          desired: spot.desired,
          nodes: spot.nodes,
          waiting: spot.waiting > 0 ? { count: spot.waiting, reason: spot.reason ?? 'launching' } : undefined,
          spot,
        };
      }),
    );
    return status;
  }

  async delete(project: string, name: string): Promise<{ operationId: string }> {
    const status = await this.get(project, name);
    if (status.phase === 'Deleted') throw new ApiError(404, `cluster ${name} not found (deleted)`);
    return this.start(project, name, (h) => h.executeUpdate(deleteClusterUpdate));
  }

  async addPool(project: string, name: string, requested: PoolSpec): Promise<{ operationId: string }> {
    const pool = newPool(requested);
    assertPoolSettings([{ pool, field: '' }]);
    if (pool.role !== 'worker') throw unprocessable([{ field: 'role', rule: 'one-control-plane-pool', message: 'only worker pools can be added' }]);
    const spec = await this.spec(project, name);
    await this.offered(project, { ...spec, pools: [pool] }, (field) => field.replace(/^pools\.0\./, ''));
    return this.start(project, name, (h) => h.executeUpdate(addPoolUpdate, { args: [{ pool }] }));
  }

  async updatePool(project: string, name: string, poolName: string, dto: UpdatePoolDto): Promise<{ operationId: string }> {
    const { spec, pool, change, rolls } = await this.poolChange(project, name, poolName, dto);
    const { instanceType, size } = change;
    if (!rolls) return this.start(project, name, (h) => h.executeUpdate(scalePoolUpdate, { args: [{ pool: poolName, size: size as number }] }));
    if (instanceType !== undefined) await this.offered(project, { ...spec, pools: [{ ...pool, instanceType }] }, () => 'instanceType');
    return this.start(project, name, (h) => h.executeUpdate(reconfigurePoolUpdate, { args: [{ pool: poolName, ...change }] }));
  }

  /**
   * The pool a change is about, and the change's shape checked (400, 404): malformed settings
   * are refused before the cluster is asked anything, the control plane's own taint once its
   * pool is known. `rolls`: the change gives a launch setting, so it is a reconfigure.
   */
  private async poolChange(project: string, name: string, poolName: string, dto: UpdatePoolDto): Promise<{ spec: ClusterSpec; pool: PoolSpec; change: PoolLaunchChange; rolls: boolean }> {
    const change = JSON.parse(JSON.stringify(dto)) as PoolLaunchChange;
    const { instanceType, size, labels, taints, rootVolume } = change;
    const rolls = instanceType !== undefined || labels !== undefined || taints !== undefined || rootVolume !== undefined;
    if (size === undefined && !rolls) {
      const message = 'give size and/or what the nodes launch with: instanceType, labels, taints, rootVolume';
      throw new ApiError(400, `body: ${message}`, [{ field: 'body', rule: 'one-change', message }]);
    }
    assertPoolSettings([{ pool: { role: 'worker', labels, taints, rootVolume }, field: '' }]);
    const spec = await this.spec(project, name);
    const pool = spec.pools.find((p) => p.name === poolName);
    if (!pool) throw new ApiError(404, `cluster ${name} has no pool ${poolName}`);
    if (rolls) assertPoolSettings([{ pool: poolWith(pool, change), field: '' }]);
    return { spec, pool, change, rolls };
  }

  /**
   * What a pool change would do, priced, changing nothing: the same refusals as the change
   * (the day-2 rules checked here, as the entity's validator would), then the prices asked of
   * AWS with the account's keys (docs/api.md#pool-changes). A roll names why each node would be
   * replaced (workflows/launch-config.ts), as the reconfigure (or a spot pool's watcher) decides.
   */
  async updatePoolDryRun(project: string, name: string, poolName: string, dto: UpdatePoolDto) {
    const { spec, pool, change, rolls } = await this.poolChange(project, name, poolName, dto);
    const { instanceType, size } = change;
    const wanted = poolWith(pool, change);
    try {
      if (rolls) checkPoolChange(spec, poolName, wanted);
      if (size !== undefined && (!rolls || size !== pool.size)) checkScale(spec, poolName, size);
    } catch (error) {
      if (error instanceof RuleViolation) throw unprocessable([{ field: 'body', rule: error.rule, message: error.message }]);
      throw error;
    }
    if (instanceType !== undefined) await this.offered(project, { ...spec, pools: [{ ...pool, instanceType }] }, () => 'instanceType');
    const [status, profile] = await Promise.all([this.get(project, name), this.entity(project, name, (handle) => handle.query(profileQuery))]);
    const nodes = status.pools.find((p) => p.name === poolName)?.nodes ?? [];
    const scope = { accountId: spec.cloud.accountId, region: spec.cloud.region };
    const capacity = pool.capacity?.type === 'spot' ? pool.capacity : undefined;
    const types = [...new Set([pool.instanceType, instanceType ?? pool.instanceType])];
    const [cost, quote] = await Promise.all([
      this.cloud.estimateCost(project, { scope, nodes: types.map((t) => ({ instanceType: t, count: 1, spotMaxPricePercent: capacity?.maxPricePercent })), natGateways: 0, loadBalancers: 0 }),
      capacity && rolls ? this.cloud.spotQuote(project, scope, instanceType ?? pool.instanceType, pool.azs) : undefined,
    ]);
    const whyReplace = (node: NodeStatus) => replacementReasons(node, { spec, pool, profile }, { spec, pool: wanted, profile });
    return poolChangeDryRun({ cluster: name, pool, nodes, change: { size, instanceType, rolls }, cost, quote, whyReplace });
  }

  async removePool(project: string, name: string, poolName: string): Promise<{ operationId: string }> {
    const spec = await this.spec(project, name);
    if (!spec.pools.some((p) => p.name === poolName)) throw new ApiError(404, `cluster ${name} has no pool ${poolName}`);
    return this.start(project, name, (h) => h.executeUpdate(removePoolUpdate, { args: [{ pool: poolName }] }));
  }

  /** The version the cluster runs now, and the upgrade's rules checked up front (the entity's validator checks them again). */
  private async upgradeFrom(project: string, name: string, version: string): Promise<ResolvedProfile> {
    const profile = await this.entity(project, name, (handle) => handle.query(profileQuery));
    try {
      checkUpgrade(profile.kubernetesVersion, version);
    } catch (error) {
      if (error instanceof RuleViolation) throw unprocessable([{ field: 'kubernetesVersion', rule: error.rule, message: error.message }]);
      throw error;
    }
    return profile;
  }

  async upgrade(project: string, name: string, version: string): Promise<{ operationId: string }> {
    await this.upgradeFrom(project, name, version);
    return this.start(project, name, (h) => h.executeUpdate(upgradeClusterUpdate, { args: [{ kubernetesVersion: version }] }));
  }

  /**
   * What an upgrade would do: the on-demand nodes replaced one at a time in the order it rolls
   * them (control plane first, then worker pools in spec order), and the price of the one
   * extra node each pool has while it rolls.
   */
  async upgradeDryRun(project: string, name: string, version: string) {
    const profile = await this.upgradeFrom(project, name, version);
    const [spec, status] = await Promise.all([this.spec(project, name), this.get(project, name)]);
    const order = rollingOrder(spec.pools, isSpotPool);
    const replacements = order.flatMap((pool) =>
      (status.pools.find((p) => p.name === pool.name)?.nodes ?? [])
        .filter((n) => n.kubernetesVersion !== version)
        .sort((a, b) => indexOf(a) - indexOf(b))
        .map((n) => ({
          pool: pool.name,
          key: n.key,
          instanceId: n.instanceId,
          instanceType: n.instanceType,
          az: n.az,
          // Nodes launched before versions were recorded per node boot what the cluster's profile says.
          currentVersion: n.kubernetesVersion ?? profile.kubernetesVersion,
          currentVersionFrom: n.kubernetesVersion ? 'node' : 'cluster profile',
          newVersion: version,
        })),
    ).map((r, i) => ({ step: i + 1, ...r }));
    const rolling = order.filter((p) => replacements.some((r) => r.pool === p.name));
    const surge = await this.surge(project, spec, rolling);
    return {
      name,
      dryRun: true,
      from: profile.kubernetesVersion,
      to: version,
      replacements,
      spotPools: spotRolls(spec, status, (node) => (node.kubernetesVersion === version ? [] : [`Kubernetes ${node.kubernetesVersion ?? profile.kubernetesVersion} → ${version}`])),
      surge,
    };
  }

  /** The price of a roll: one extra on-demand node of the rolling pool's instance type at a time. */
  private async surge(project: string, spec: ClusterSpec, rolling: PoolSpec[]) {
    const scope = { accountId: spec.cloud.accountId, region: spec.cloud.region };
    const types = [...new Set(rolling.map((p) => p.instanceType))];
    const cost = types.length > 0 ? await this.cloud.estimateCost(project, { scope, nodes: types.map((instanceType) => ({ instanceType, count: 1 })), natGateways: 0, loadBalancers: 0 }) : undefined;
    const priceOf = (instanceType: string) => cost?.lines.find((l) => l.item === `${instanceType} on-demand`)?.unitUsdPerHour;
    const pools = rolling.map((p) => ({ pool: p.name, instanceType: p.instanceType, usdPerHour: priceOf(p.instanceType) }));
    const known = pools.map((p) => p.usdPerHour).filter((p): p is number => p !== undefined);
    return {
      what: 'one extra on-demand node of the rolling pool’s instance type at a time, while that pool rolls',
      currency: 'USD',
      pools,
      maxUsdPerHour: known.length > 0 ? Math.max(...known) : undefined,
      missing: cost?.missing ?? [],
    };
  }

  /** The new profile resolved from the store, and the rules of a running cluster's profile checked up front (the entity checks them again). */
  private async profileChange(project: string, name: string, ref: ClusterSpec['profile']): Promise<{ change: ProfileChange; current: ResolvedProfile; spec: ClusterSpec }> {
    const stored = await this.store.getProfile(project, ref.id);
    if (!stored) throw unprocessable([{ field: 'id', rule: 'profile-exists', message: `no cluster profile ${ref.id}` }]);
    let profile: ResolvedProfile;
    try {
      profile = resolveProfile(stored.id, stored.packs, ref.overrides);
    } catch (error) {
      if (error instanceof ProfileError) throw unprocessable(error.problems.map((p) => ({ ...p, field: p.field.replace(/^profile\./, '') })));
      throw error;
    }
    const [current, spec] = await Promise.all([this.entity(project, name, (handle) => handle.query(profileQuery)), this.spec(project, name)]);
    const change: ProfileChange = { ref: ref.overrides === undefined ? { id: ref.id } : { id: ref.id, overrides: ref.overrides }, profile };
    try {
      checkProfileChange(spec.profile, current, change);
    } catch (error) {
      if (error instanceof RuleViolation) throw unprocessable([{ field: error.rule === 'profile-changes' ? 'body' : 'overrides', rule: error.rule, message: error.message }]);
      throw error;
    }
    return { change, current, spec };
  }

  async changeProfile(project: string, name: string, ref: ClusterSpec['profile']): Promise<{ operationId: string }> {
    const { change } = await this.profileChange(project, name, ref);
    return this.start(project, name, (h) => h.executeUpdate(changeProfileUpdate, { args: [change] }));
  }

  /**
   * What a profile change would do: each on-demand node whose launch would differ, in the
   * order the roll takes them, with why (image, or the rendered bootstrap's changed lines);
   * the nodes it keeps; and the price of the surge node while a pool rolls.
   */
  async changeProfileDryRun(project: string, name: string, ref: ClusterSpec['profile']) {
    const { change, current, spec } = await this.profileChange(project, name, ref);
    const status = await this.get(project, name);
    const order = rollingOrder(spec.pools, isSpotPool);
    const judged = order.flatMap((pool) =>
      (status.pools.find((p) => p.name === pool.name)?.nodes ?? [])
        .sort((a, b) => indexOf(a) - indexOf(b))
        .map((node) => ({
          pool: pool.name,
          key: node.key,
          instanceId: node.instanceId,
          az: node.az,
          reasons: replacementReasons(node, { spec, pool, profile: current }, { spec, pool, profile: change.profile }),
        })),
    );
    const replacements = judged.filter((n) => n.reasons.length > 0).map((n, i) => ({ step: i + 1, ...n }));
    const rolling = order.filter((p) => replacements.some((r) => r.pool === p.name));
    return {
      name,
      dryRun: true,
      from: { ...spec.profile, kubernetesVersion: current.kubernetesVersion },
      to: { ...change.ref, kubernetesVersion: change.profile.kubernetesVersion },
      replacements,
      kept: judged.filter((n) => n.reasons.length === 0).map(({ pool, key, instanceId }) => ({ pool, key, instanceId, why: 'its image and rendered bootstrap are the same with the new profile' })),
      spotPools: spotRolls(spec, status, (node, pool) => replacementReasons(node, { spec, pool, profile: current }, { spec, pool, profile: change.profile })),
      surge: await this.surge(project, spec, rolling),
    };
  }

  private spec(project: string, name: string): Promise<ClusterSpec> {
    return this.entity(project, name, (handle) => handle.query(specQuery));
  }

  /** Instance types must be offered in every AZ of their pool (asked of AWS). */
  private async offered(project: string, spec: ClusterSpec, field: (f: string) => string): Promise<void> {
    const problems = await this.cloud.regionProblems(project, spec).catch((error: Error) => {
      throw awsReadFailure('could not check the region with AWS', spec.cloud.region, error);
    });
    if (problems.length > 0) throw unprocessable(problems.map((p) => ({ ...p, field: field(p.field) })));
  }

  /** Sends a request that starts an operation (a delete, a day-2 change, a retry) and counts it. */
  private async start(project: string, name: string, send: (handle: WorkflowHandle) => Promise<Accepted>): Promise<Accepted> {
    const accepted = await this.update(project, name, send);
    const type = typeOfOperation(accepted.operationId);
    if (type) this.metrics.operationStarted(type);
    return accepted;
  }

  /** Sends a day-2 request to the entity; its validator's refusal becomes 409 or 422. */
  private async update(project: string, name: string, send: (handle: WorkflowHandle) => Promise<Accepted>): Promise<Accepted> {
    try {
      return await this.entity(project, name, send);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        const cause = error.cause;
        const details = cause.details?.[0] as Record<string, unknown> | undefined;
        if (cause.type === 'RuleViolation') throw new ApiError(422, cause.message, [{ field: 'body', rule: details?.rule, message: cause.message }]);
        if (cause.type === 'ClusterDeleted') throw new ApiError(404, `cluster ${name} not found (deleted)`);
        if (cause.type === 'OperationNotFound') throw new ApiError(404, cause.message);
        throw new ApiError(409, cause.message, details);
      }
      throw error;
    }
  }

  async cancel(project: string, name: string, operationId: string): Promise<{ operationId: string }> {
    return this.update(project, name, (h) => h.executeUpdate(cancelOperationUpdate, { args: [{ operationId }] }));
  }

  async retry(project: string, name: string, operationId: string): Promise<{ operationId: string }> {
    return this.start(project, name, (h) => h.executeUpdate(retryOperationUpdate, { args: [{ operationId }] }));
  }

  /**
   * A page of the cluster's operations, oldest first: the `limit` most recent ones numbered
   * below `before` (all of them when absent). The entity's log holds the recent ones; older
   * ones come from Temporal's visibility. `nextBefore` asks for the page before this one.
   */
  async operations(project: string, name: string, page: { limit: number; before?: number }): Promise<{ items: OperationView[]; nextBefore?: number }> {
    const [records, status] = await this.entity(project, name, (handle) =>
      Promise.all([handle.query(operationsQuery), handle.query(statusQuery)]),
    );
    const below = page.before ?? Number.POSITIVE_INFINITY;
    const recent = await Promise.all(
      records
        .filter((r) => numberOf(r) < below)
        .slice(-page.limit)
        .map((r) => this.operationView(r)),
    );
    const oldestKept = records.length > 0 ? numberOf(records[0]) : numberOf(records.at(-1)) + 1;
    const missing = page.limit - recent.length;
    const ceiling = Math.min(below, oldestKept);
    const older = missing > 0 && ceiling > 1 ? await olderOperations(this.temporal, project, name, ceiling, missing, status.createdAt) : [];
    const items = [...older, ...recent];
    const first = items.length > 0 ? numberOf(items[0]) : undefined;
    return { items, nextBefore: first !== undefined && first > 1 && items.length === page.limit ? first : undefined };
  }

  async operation(project: string, name: string, id: string): Promise<OperationView> {
    const records = await this.entity(project, name, (handle) => handle.query(operationsQuery));
    const record = records.find((r) => r.id === id);
    if (!record) throw new ApiError(404, `cluster ${name} has no operation ${id}`);
    return this.operationView(record);
  }

  private async operationView(record: OperationRecord): Promise<OperationView> {
    const handle = this.temporal.workflow.getHandle(record.workflowId);
    const [progress, pending] = await Promise.all([
      handle.query(progressQuery).catch(() => undefined),
      record.state === 'Running'
        ? handle
            .describe()
            .then((description) => retryingActivities(description.raw.pendingActivities))
            .catch(() => undefined)
        : undefined,
    ]);
    const retrying = pending && retryingForRunningTasks(pending, progress?.tasks);
    const rollback = record.rollbackWorkflowId
      ? await this.temporal.workflow
          .getHandle(record.rollbackWorkflowId)
          .query(progressQuery)
          .then((p) => ({ progress: { completed: p.completed, total: p.total }, tasks: p.tasks }))
          .catch(() => ({}))
      : undefined;
    return {
      id: record.id,
      type: record.type,
      state: record.state,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      progress: progress ? { completed: progress.completed, total: progress.total } : undefined,
      tasks: progress?.tasks,
      error: record.error,
      reason: record.reason,
      retrying: retrying?.length ? retrying : undefined,
      retryOf: record.retryOf,
      rollback,
    };
  }

  private async entity<T>(project: string, name: string, use: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T> {
    try {
      return await use(this.temporal.workflow.getHandle(clusterWorkflowId(project, name)));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new ApiError(404, `cluster ${name} not found`);
      throw error;
    }
  }
}

/**
 * What a cluster-wide roll does to the spot pools: after the on-demand pools, each pool's
 * watcher replaces the nodes `reasons` names, one at a time at the pool's bid (when the spot
 * price allows), with no surge price of its own: the replacement is bid for like any spot node.
 */
function spotRolls(spec: ClusterSpec, status: ClusterStatus, reasons: (node: NodeStatus, pool: PoolSpec) => string[]) {
  return spec.pools.filter(isSpotPool).map((pool) => {
    const judged = (status.pools.find((p) => p.name === pool.name)?.nodes ?? []).map((node) => ({ key: node.key, instanceId: node.instanceId, az: node.az, reasons: reasons(node, pool) }));
    const replaced = judged.filter((n) => n.reasons.length > 0).sort((a, b) => indexOf(a) - indexOf(b));
    return {
      pool: pool.name,
      replacedBy: "the pool's bidding watcher, after the on-demand pools: one node at a time at the pool's bid, waiting while an AZ's spot price is above it",
      replacements: replaced,
      kept: judged.filter((n) => n.reasons.length === 0).map(({ key, instanceId }) => ({ key, instanceId })),
    };
  });
}
