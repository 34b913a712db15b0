import { Body, Controller, Delete, Get, HttpCode, Param, ParseBoolPipe, Post, Query, Res } from '@nestjs/common';
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
import { ClusterSpecDto } from './cluster-spec.dto';
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

  @Get(':name/operations')
  operations(@Project() project: string, @Param('name') name: string) {
    return this.clusters.operations(project, name);
  }

  @Get(':name/operations/:id')
  @ApiNotFoundResponse()
  operation(@Project() project: string, @Param('name') name: string, @Param('id') id: string) {
    return this.clusters.operation(project, name, id);
  }
}
