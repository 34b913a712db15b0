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
  create(@Body() dto: CreateProjectDto): ProjectView {
    return this.projects.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: [ProjectView], description: '`default` first, then the created ones' })
  list(): ProjectView[] {
    return this.projects.list();
  }

  @Get(':project')
  @ApiOkResponse({ type: ProjectView })
  @ApiNotFoundResponse({ description: 'no such project' })
  get(@Param('project') project: string): ProjectView {
    return this.projects.get(project);
  }

  @Post(':project/tokens')
  @ApiCreatedResponse({ type: CreatedProjectTokenView, description: 'the token is in this answer only; the store keeps its hash' })
  @ApiNotFoundResponse({ description: 'no such project' })
  createToken(@Param('project') project: string, @Body() dto: CreateProjectTokenDto): CreatedProjectTokenView {
    return this.projects.createToken(project, dto);
  }

  @Get(':project/tokens')
  @ApiOkResponse({ type: [ProjectTokenView], description: 'the project’s live tokens, without their secrets' })
  @ApiNotFoundResponse({ description: 'no such project' })
  listTokens(@Param('project') project: string): ProjectTokenView[] {
    return this.projects.listTokens(project);
  }

  @Delete(':project/tokens/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'revoked: the token answers 401 from now on' })
  @ApiNotFoundResponse({ description: 'no such project, or no such token in it' })
  revokeToken(@Param('project') project: string, @Param('id') id: string): void {
    this.projects.revokeToken(project, id);
  }
}
