import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DEFAULT_PROJECT } from '../../common/projects';
import { NameTakenError, ProjectRecord, ProjectTokenRecord, Store } from '../../store/store';
import { newProjectToken, tokenHash } from '../auth/project-tokens';
import { ApiError } from '../common/error-shape';
import { STORE } from '../common/tokens';
import { CreatedProjectTokenView, CreateProjectDto, CreateProjectTokenDto, ProjectTokenView, ProjectView } from './project.dto';

function tokenView(record: ProjectTokenRecord): ProjectTokenView {
  return { id: record.id, project: record.project, role: record.role, description: record.description, createdAt: record.createdAt };
}

/** Projects and their tokens; the admin token's business only (the controller is @AdminOnly). */
@Injectable()
export class ProjectsService {
  private readonly logger = new Logger('projects');

  constructor(@Inject(STORE) private readonly store: Store) {}

  async create(dto: CreateProjectDto): Promise<ProjectView> {
    const taken = new ApiError(409, `name: a project named "${dto.name}" already exists`);
    if (dto.name === DEFAULT_PROJECT) throw taken;
    const record: ProjectRecord = { name: dto.name, createdAt: new Date().toISOString() };
    try {
      await this.store.insertProject(record);
    } catch (error) {
      if (error instanceof NameTakenError) throw taken;
      throw error;
    }
    this.logger.log(`project ${record.name} created`);
    return { ...record };
  }

  async list(): Promise<ProjectView[]> {
    return [{ name: DEFAULT_PROJECT }, ...(await this.store.listProjects()).map((p) => ({ ...p }))];
  }

  async get(name: string): Promise<ProjectView> {
    if (name === DEFAULT_PROJECT) return { name };
    const record = await this.store.getProject(name);
    if (!record) throw new ApiError(404, `project "${name}" does not exist`);
    return { ...record };
  }

  async createToken(project: string, dto: CreateProjectTokenDto): Promise<CreatedProjectTokenView> {
    await this.get(project);
    const token = newProjectToken();
    const record: ProjectTokenRecord = {
      id: `tok-${randomUUID()}`,
      project,
      role: dto.role,
      description: dto.description,
      tokenHash: tokenHash(token),
      createdAt: new Date().toISOString(),
    };
    await this.store.insertProjectToken(record);
    // The id, never the token: it is in this response and nowhere else.
    this.logger.log(`token ${record.id} (role ${record.role}) issued for project ${project}`);
    return { ...tokenView(record), token };
  }

  async listTokens(project: string): Promise<ProjectTokenView[]> {
    await this.get(project);
    return (await this.store.listProjectTokens(project)).map(tokenView);
  }

  async revokeToken(project: string, id: string): Promise<void> {
    await this.get(project);
    if (!(await this.store.deleteProjectToken(project, id))) throw new ApiError(404, `project "${project}" has no token ${id}`);
    this.logger.log(`token ${id} of project ${project} revoked`);
  }
}
