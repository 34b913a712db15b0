import { Body, Controller, Delete, Get, HttpCode, Param, ParseBoolPipe, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Project } from '../auth/project.decorator';
import { ClusterSpecDto, PoolDto } from './cluster-spec.dto';
import { UpdatePoolDto } from './pool.dto';
import { ClustersService } from './clusters.service';

@ApiTags('clusters')
@ApiBearerAuth()
@Controller('v1/clusters')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Post()
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'plan, preflight and cost estimate only; creates nothing' })
  @ApiAcceptedResponse({ description: '{name, operationId}: the create operation started' })
  @ApiOkResponse({ description: 'dry run: {plan, preflight, cost}' })
  @ApiConflictResponse({ description: 'a cluster with that name exists' })
  @ApiUnprocessableEntityResponse({ description: 'a rule is broken (control-plane size, AZ not in region, instance type not offered, …)' })
  async create(
    @Project() project: string,
    @Body() dto: ClusterSpecDto,
    @Query('dryRun', new ParseBoolPipe({ optional: true })) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    if (dryRun) {
      res.status(200);
      return this.clusters.dryRun(project, dto);
    }
    res.status(202);
    return this.clusters.create(project, dto);
  }

  @Get()
  @ApiOkResponse({ description: 'the project’s clusters with their status' })
  list(@Project() project: string) {
    return this.clusters.list(project);
  }

  @Get(':name')
  @ApiNotFoundResponse()
  get(@Project() project: string, @Param('name') name: string) {
    return this.clusters.get(project, name);
  }

  @Delete(':name')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{operationId}' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster' })
  delete(@Project() project: string, @Param('name') name: string) {
    return this.clusters.delete(project, name);
  }

  @Post(':name/pools')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{operationId}: the new worker pool is being added' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster' })
  @ApiUnprocessableEntityResponse({ description: 'duplicate name, AZ without subnets, instance type not offered' })
  addPool(@Project() project: string, @Param('name') name: string, @Body() pool: PoolDto) {
    return this.clusters.addPool(project, name, JSON.parse(JSON.stringify(pool)));
  }

  @Patch(':name/pools/:pool')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{operationId}: scale and/or rolling reconfigure' })
  @ApiConflictResponse({ description: 'an operation is running on the cluster' })
  @ApiUnprocessableEntityResponse({ description: 'control-plane scale-down or a step other than 1→3, 3→5; instance type not offered' })
  updatePool(@Project() project: string, @Param('name') name: string, @Param('pool') pool: string, @Body() change: UpdatePoolDto) {
    return this.clusters.updatePool(project, name, pool, change);
  }

  @Delete(':name/pools/:pool')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{operationId}: the pool’s nodes are terminated' })
  @ApiUnprocessableEntityResponse({ description: 'the control-plane pool, or the last pool that can run workloads' })
  removePool(@Project() project: string, @Param('name') name: string, @Param('pool') pool: string) {
    return this.clusters.removePool(project, name, pool);
  }

  @Get(':name/operations')
  operations(@Project() project: string, @Param('name') name: string) {
    return this.clusters.operations(project, name);
  }

  @Post(':name/operations/:id/cancel')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{operationId}: cancellation requested; cleanup runs, then the operation reads Cancelled' })
  @ApiConflictResponse({ description: 'the operation is not running' })
  @ApiUnprocessableEntityResponse({ description: 'a delete cannot be cancelled' })
  cancel(@Project() project: string, @Param('name') name: string, @Param('id') id: string) {
    return this.clusters.cancel(project, name, id);
  }

  @Get(':name/operations/:id')
  @ApiOkResponse({ description: '{id, type, state, startedAt, finishedAt, progress, tasks, error?, retrying?: [{task, activity, attempt, lastError, nextAttemptAt}] while calls of a Running task are being retried}' })
  @ApiNotFoundResponse()
  operation(@Project() project: string, @Param('name') name: string, @Param('id') id: string) {
    return this.clusters.operation(project, name, id);
  }
}
