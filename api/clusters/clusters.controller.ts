import { Body, Controller, Delete, Get, HttpCode, Param, ParseBoolPipe, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiServiceUnavailableResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { EC2_RATE_SPENT } from '../common/aws-read-failure';
import { ApiError } from '../common/error-shape';
import { pageSize } from '../common/paging';
import { ViewerMayDryRun } from '../auth/access';
import { Project } from '../auth/project.decorator';
import { ClusterSpecDto, PoolDto, ProfileRefDto, REGION } from './cluster-spec.dto';
import { UpdatePoolDto } from './pool.dto';
import { UpgradeClusterDto } from './upgrade.dto';
import { ClustersService } from './clusters.service';
import { ClusterAcceptedView, OperationAcceptedView } from './accepted.view';
import { clusterListPage, DEFAULT_CLUSTERS_PAGE, LISTED_PHASES, MAX_CLUSTERS_PAGE } from './cluster-list';

const DEFAULT_OPERATIONS_PAGE = 50;
const MAX_OPERATIONS_PAGE = 100;
/** `before`: an operation id (op-12-scale) or its number; stated in the document as it is checked. */
const OPERATION_REF = /^(?:op-)?(0*[1-9][0-9]*)(?:-[a-z-]+)?$/;

/** `limit` and `before` of GET …/operations, or a 400 naming the one that is wrong. */
function operationsPage(limit: string | undefined, before: string | undefined): { limit: number; before?: number } {
  const size = pageSize(limit, DEFAULT_OPERATIONS_PAGE, MAX_OPERATIONS_PAGE);
  if (before === undefined) return { limit: size };
  const number = OPERATION_REF.exec(before)?.[1];
  if (!number) {
    throw new ApiError(400, 'before: must be an operation id (op-12-scale) or its number', [
      { field: 'before', rule: 'operation-id', message: 'must be an operation id (op-12-scale) or its number' },
    ]);
  }
  return { limit: size, before: Number(number) };
}

/** A create's body that passes every rule (with a real account id): the document's example, and the fuzzer's way into a full dry run. */
const CREATE_EXAMPLE = {
  name: 'demo',
  profile: { id: 'aws-default' },
  cloud: { accountId: '<a cloud account id>', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } },
  pools: [
    { name: 'control-plane', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
    { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
  ],
};

@ApiTags('clusters')
@ApiBearerAuth()
@Controller('v1/clusters')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Post()
  @ViewerMayDryRun()
  @ApiBody({ type: ClusterSpecDto, examples: { dynamic: { summary: 'a dynamic VPC in two AZs, one control-plane node and two workers', value: CREATE_EXAMPLE } } })
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'plan, preflight and cost estimate only; creates nothing' })
  @ApiQuery({
    name: 'keepOnFailure',
    required: false,
    type: Boolean,
    description: 'a create that fails or is cancelled keeps what it made, to be looked at (default: it is rolled back); DELETE the cluster to remove it',
  })
  @ApiAcceptedResponse({ type: ClusterAcceptedView, description: 'the create operation started' })
  @ApiOkResponse({ description: 'dry run: {plan, preflight, cost}' })
  @ApiConflictResponse({ description: 'a cluster with that name exists' })
  @ApiUnprocessableEntityResponse({ description: 'a rule is broken (control-plane size, AZ not in region, instance type not offered, no such account or profile, …)' })
  @ApiBadGatewayResponse({ description: 'AWS could not be reached to check the region; nothing changed' })
  @ApiServiceUnavailableResponse({ description: EC2_RATE_SPENT })
  async create(
    @Project() project: string,
    @Body() dto: ClusterSpecDto,
    @Query('dryRun', new ParseBoolPipe({ optional: true })) dryRun: boolean | undefined,
    @Query('keepOnFailure', new ParseBoolPipe({ optional: true })) keepOnFailure: boolean | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    if (dryRun) {
      res.status(200);
      return this.clusters.dryRun(project, dto);
    }
    res.status(202);
    return this.clusters.create(project, dto, { keepOnFailure });
  }

  @Get()
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_CLUSTERS_PAGE, default: DEFAULT_CLUSTERS_PAGE }, description: `at most this many clusters (1–${MAX_CLUSTERS_PAGE}, default ${DEFAULT_CLUSTERS_PAGE})` })
  @ApiQuery({ name: 'pageToken', required: false, type: String, description: 'the nextPageToken of the page before, as it came (with the same phase and region)' })
  @ApiQuery({ name: 'phase', required: false, enum: LISTED_PHASES, description: 'only clusters in this phase' })
  @ApiQuery({ name: 'region', required: false, schema: { type: 'string', pattern: REGION.source }, description: 'only clusters in this AWS region' })
  @ApiOkResponse({
    description:
      '{items: [{name, project, region, phase, createdAt, pools: [{name, role, instanceType, capacity, desired, nodes?}], currentOperation?, lastError?}], nextPageToken?}: the project’s live clusters by name, from a snapshot of Temporal visibility read every second (eventually consistent: up to a few seconds behind); the full status is GET /v1/clusters/:name',
  })
  async list(
    @Project() project: string,
    @Query('limit') limit: string | undefined,
    @Query('pageToken') pageToken: string | undefined,
    @Query('phase') phase: string | undefined,
    @Query('region') region: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const answer = await this.clusters.list(clusterListPage(project, { limit, pageToken, phase, region }));
    // The answer comes as JSON text already (the read model serialises each listing once): sent as it is.
    res.type('application/json');
    return answer;
  }

  @Get(':name')
  @ApiOkResponse({ description: 'the cluster’s status (docs/api.md#cluster-status); a deleted cluster reads Deleted while Temporal keeps its history' })
  @ApiNotFoundResponse({ description: 'no such cluster' })
  get(@Project() project: string, @Param('name') name: string) {
    return this.clusters.get(project, name);
  }

  @Delete(':name')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'the delete operation started' })
  @ApiNotFoundResponse({ description: 'no such cluster, or it is deleted' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster' })
  delete(@Project() project: string, @Param('name') name: string) {
    return this.clusters.delete(project, name);
  }

  @Post(':name/pools')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'the new worker pool is being added' })
  @ApiNotFoundResponse({ description: 'no such cluster' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster, or it is not Running' })
  @ApiUnprocessableEntityResponse({ description: 'not a worker pool, duplicate name, AZ without subnets, instance type not offered' })
  @ApiBadGatewayResponse({ description: 'AWS could not be reached to check the instance type; nothing changed' })
  @ApiServiceUnavailableResponse({ description: EC2_RATE_SPENT })
  addPool(@Project() project: string, @Param('name') name: string, @Body() pool: PoolDto) {
    return this.clusters.addPool(project, name, JSON.parse(JSON.stringify(pool)));
  }

  @Patch(':name/pools/:pool')
  @ViewerMayDryRun()
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'what the change would do, priced (a spot pool: the new type’s bid and spot prices, and whether the roll would wait); changes nothing' })
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'scale and/or rolling reconfigure (spot pools too, through their watcher)' })
  @ApiOkResponse({ description: 'dry run: {name, pool, dryRun, operation, capacity, from, to, currency, usdPerHour, missing, replacements?, surge?, spot?}' })
  @ApiNotFoundResponse({ description: 'no such cluster, or no such pool in it' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster, or it is not Running' })
  @ApiUnprocessableEntityResponse({ description: 'control-plane scale-down or a step other than 1→3, 3→5; instance type not offered' })
  @ApiBadGatewayResponse({ description: 'AWS could not be reached to check the instance type; nothing changed' })
  @ApiServiceUnavailableResponse({ description: EC2_RATE_SPENT })
  async updatePool(
    @Project() project: string,
    @Param('name') name: string,
    @Param('pool') pool: string,
    @Body() change: UpdatePoolDto,
    @Query('dryRun', new ParseBoolPipe({ optional: true })) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    if (dryRun) {
      res.status(200);
      return this.clusters.updatePoolDryRun(project, name, pool, change);
    }
    res.status(202);
    return this.clusters.updatePool(project, name, pool, change);
  }

  @Delete(':name/pools/:pool')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'the pool’s nodes are terminated' })
  @ApiNotFoundResponse({ description: 'no such cluster, or no such pool in it' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster, or it is not Running' })
  @ApiUnprocessableEntityResponse({ description: 'the control-plane pool, or the last pool that can run workloads' })
  removePool(@Project() project: string, @Param('name') name: string, @Param('pool') pool: string) {
    return this.clusters.removePool(project, name, pool);
  }

  @Post(':name/upgrade')
  @ViewerMayDryRun()
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'the nodes that would be replaced, in order, and the surge node’s price; changes nothing' })
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'every on-demand node is replaced, one at a time, control plane first' })
  @ApiNotFoundResponse({ description: 'no such cluster' })
  @ApiOkResponse({ description: 'dry run: {from, to, replacements, spotPools, surge}' })
  @ApiConflictResponse({ description: 'an operation is running, or the cluster is not Running' })
  @ApiUnprocessableEntityResponse({ description: 'not a Kubernetes release, the same version, a downgrade, or more than one minor version up' })
  async upgrade(
    @Project() project: string,
    @Param('name') name: string,
    @Body() dto: UpgradeClusterDto,
    @Query('dryRun', new ParseBoolPipe({ optional: true })) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    if (dryRun) {
      res.status(200);
      return this.clusters.upgradeDryRun(project, name, dto.kubernetesVersion);
    }
    res.status(202);
    return this.clusters.upgrade(project, name, dto.kubernetesVersion);
  }

  @Put(':name/profile')
  @ViewerMayDryRun()
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'the nodes that would be replaced and why (their rendered bootstrap or image differs), the nodes kept, and the surge node’s price; changes nothing' })
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'the nodes whose launch differs are replaced, one at a time, control plane first' })
  @ApiNotFoundResponse({ description: 'no such cluster' })
  @ApiOkResponse({ description: 'dry run: {from, to, replacements, kept, spotPools, surge}' })
  @ApiConflictResponse({ description: 'an operation is running, or the cluster is not Running' })
  @ApiUnprocessableEntityResponse({ description: 'no such profile, overrides the profile refuses, a pod/service CIDR or CNI change, a Kubernetes version the upgrade rules refuse, or no change' })
  async changeProfile(
    @Project() project: string,
    @Param('name') name: string,
    @Body() dto: ProfileRefDto,
    @Query('dryRun', new ParseBoolPipe({ optional: true })) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    const ref = JSON.parse(JSON.stringify(dto)) as ProfileRefDto;
    if (dryRun) {
      res.status(200);
      return this.clusters.changeProfileDryRun(project, name, ref);
    }
    res.status(202);
    return this.clusters.changeProfile(project, name, ref);
  }

  @Get(':name/operations')
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_OPERATIONS_PAGE, default: DEFAULT_OPERATIONS_PAGE }, description: `at most this many operations (1–${MAX_OPERATIONS_PAGE}, default ${DEFAULT_OPERATIONS_PAGE})` })
  @ApiQuery({ name: 'before', required: false, schema: { type: 'string', pattern: OPERATION_REF.source }, description: 'only operations older than this one (an operation id such as op-12-scale, or its number)' })
  @ApiOkResponse({
    description:
      'the operations, oldest first: the most recent `limit` ones (older than `before`). A `Link: <…?before=N&limit=L>; rel="next"` header points at the page before when there is one.',
  })
  @ApiNotFoundResponse({ description: 'no such cluster' })
  async operations(
    @Project() project: string,
    @Param('name') name: string,
    @Query('limit') limit: string | undefined,
    @Query('before') before: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const page = operationsPage(limit, before);
    const { items, nextBefore } = await this.clusters.operations(project, name, page);
    if (nextBefore !== undefined) res.setHeader('Link', `<${req.path}?before=${nextBefore}&limit=${page.limit}>; rel="next"`);
    return items;
  }

  @Post(':name/operations/:id/cancel')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: OperationAcceptedView, description: 'cancellation requested; cleanup runs, then the operation reads Cancelled' })
  @ApiNotFoundResponse({ description: 'no such cluster or operation' })
  @ApiConflictResponse({ description: 'the operation is not running' })
  @ApiUnprocessableEntityResponse({ description: 'a delete cannot be cancelled' })
  cancel(@Project() project: string, @Param('name') name: string, @Param('id') id: string) {
    return this.clusters.cancel(project, name, id);
  }

  @Post(':name/operations/:id/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: OperationAcceptedView,
    description:
      'the operation runs again, as it was requested, under the next operation id (its record names it in retryOf); every step finds what the first run made',
  })
  @ApiNotFoundResponse({ description: 'no such cluster or operation' })
  @ApiConflictResponse({
    description: 'an operation is running, a pool operation’s cluster is not Running, or this one did not fail (only Failed or Cancelled operations are retried)',
  })
  @ApiUnprocessableEntityResponse({
    description: 'not the latest operation (ask for the change again instead), a self-repair (it repeats by itself), or the request breaks a rule now',
  })
  retry(@Project() project: string, @Param('name') name: string, @Param('id') id: string) {
    return this.clusters.retry(project, name, id);
  }

  @Get(':name/operations/:id')
  @ApiOkResponse({ description: '{id, type, state, startedAt, finishedAt, progress, tasks, error?, retrying?: [{task, activity, attempt, lastError, nextAttemptAt}] while calls of a Running task are being retried}' })
  @ApiNotFoundResponse({ description: 'no such cluster, or no such operation in its log' })
  operation(@Project() project: string, @Param('name') name: string, @Param('id') id: string) {
    return this.clusters.operation(project, name, id);
  }
}
