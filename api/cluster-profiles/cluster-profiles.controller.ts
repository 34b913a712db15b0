import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Project } from '../auth/project.decorator';
import { ClusterProfileView, CreateClusterProfileDto } from './cluster-profile.dto';
import { ClusterProfilesService } from './cluster-profiles.service';

@ApiTags('cluster profiles')
@ApiBearerAuth()
@Controller('v1/cluster-profiles')
export class ClusterProfilesController {
  constructor(private readonly profiles: ClusterProfilesService) {}

  @Post()
  @ApiCreatedResponse({ type: ClusterProfileView })
  @ApiConflictResponse({ description: 'name taken' })
  @ApiUnprocessableEntityResponse({ description: 'the packs do not make a cluster (one os, one k8s, …)' })
  async create(@Project() project: string, @Body() dto: CreateClusterProfileDto): Promise<ClusterProfileView> {
    return this.profiles.create(project, dto);
  }

  @Get()
  @ApiOkResponse({ type: [ClusterProfileView] })
  async list(@Project() project: string): Promise<ClusterProfileView[]> {
    return this.profiles.list(project);
  }

  @Get(':id')
  @ApiOkResponse({ type: ClusterProfileView })
  @ApiNotFoundResponse({ description: 'no cluster profile with this id in the project' })
  async get(@Project() project: string, @Param('id') id: string): Promise<ClusterProfileView> {
    return this.profiles.get(project, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiNotFoundResponse({ description: 'no cluster profile with this id in the project' })
  @ApiConflictResponse({ description: 'built-in profiles cannot be deleted' })
  async delete(@Project() project: string, @Param('id') id: string): Promise<void> {
    await this.profiles.delete(project, id);
  }
}
