import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../common/error-shape';
import { STORE } from '../common/tokens';
import { NameTakenError, ProfileRecord, Store } from '../../store/store';
import { ClusterProfileView, CreateClusterProfileDto } from './cluster-profile.dto';
import { profileRuleProblems } from './profile-rules';

function toView(record: ProfileRecord): ClusterProfileView {
  const { project: _project, ...view } = record;
  return view as ClusterProfileView;
}

@Injectable()
export class ClusterProfilesService {
  constructor(@Inject(STORE) private readonly store: Store) {}

  async create(project: string, dto: CreateClusterProfileDto): Promise<ClusterProfileView> {
    const problems = profileRuleProblems(dto.packs);
    if (problems.length > 0) throw new ApiError(422, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
    const record: ProfileRecord = {
      id: randomUUID(),
      project,
      name: dto.name,
      description: dto.description,
      packs: dto.packs.map((p) => ({ name: p.name, layer: p.layer, version: p.version, values: p.values })),
      builtIn: false,
      createdAt: new Date().toISOString(),
    };
    try {
      await this.store.insertProfile(record);
    } catch (error) {
      if (error instanceof NameTakenError) throw new ApiError(409, `name: a cluster profile named "${dto.name}" already exists`);
      throw error;
    }
    return toView(record);
  }

  async list(project: string): Promise<ClusterProfileView[]> {
    return (await this.store.listProfiles(project)).map(toView);
  }

  async get(project: string, id: string): Promise<ClusterProfileView> {
    const record = await this.store.getProfile(project, id);
    if (!record) throw new ApiError(404, `cluster profile ${id} not found`);
    return toView(record);
  }

  async delete(project: string, id: string): Promise<void> {
    const record = await this.get(project, id);
    if (record.builtIn) throw new ApiError(409, `cluster profile ${id} is built in and cannot be deleted`);
    await this.store.deleteProfile(project, id);
  }
}
