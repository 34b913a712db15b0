import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/access';
import { CreatedProjectTokenView, CreateProjectDto, CreateProjectTokenDto, ProjectTokenView, ProjectView } from './project.dto';
import { ProjectsService } from './projects.service';

@ApiTags('projects')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'a project token: only the admin token manages projects and tokens' })
@AdminOnly()
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @ApiCreatedResponse({ type: ProjectView })
  @ApiConflictResponse({ description: 'a project with that name exists (`default` always does)' })
  async create(@Body() dto: CreateProjectDto): Promise<ProjectView> {
    return this.projects.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: [ProjectView], description: '`default` first, then the created ones' })
  async list(): Promise<ProjectView[]> {
    return this.projects.list();
  }

  @Get(':project')
  @ApiOkResponse({ type: ProjectView })
  @ApiNotFoundResponse({ description: 'no such project' })
  async get(@Param('project') project: string): Promise<ProjectView> {
    return this.projects.get(project);
  }

  @Post(':project/tokens')
  @ApiCreatedResponse({ type: CreatedProjectTokenView, description: 'the token is in this answer only; the store keeps its hash' })
  @ApiNotFoundResponse({ description: 'no such project' })
  async createToken(@Param('project') project: string, @Body() dto: CreateProjectTokenDto): Promise<CreatedProjectTokenView> {
    return this.projects.createToken(project, dto);
  }

  @Get(':project/tokens')
  @ApiOkResponse({ type: [ProjectTokenView], description: 'the project’s live tokens, without their secrets' })
  @ApiNotFoundResponse({ description: 'no such project' })
  async listTokens(@Param('project') project: string): Promise<ProjectTokenView[]> {
    return this.projects.listTokens(project);
  }

  @Delete(':project/tokens/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'revoked: the token answers 401 from now on' })
  @ApiNotFoundResponse({ description: 'no such project, or no such token in it' })
  async revokeToken(@Param('project') project: string, @Param('id') id: string): Promise<void> {
    await this.projects.revokeToken(project, id);
  }
}
