import type { ClusterSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { clusterRef, Owner } from '../common/tags';
import type { Scope } from '../activities/types';

/** What every operation workflow gets from the cluster entity. */
export interface OperationInput {
  project: string;
  spec: ClusterSpec;
  profile: ResolvedProfile;
  operationId: string;
}

export function ownerOf(project: string, spec: ClusterSpec): Owner {
  return { cluster: clusterRef(project, spec.name), clusterName: spec.name, extraTags: spec.tags ?? {} };
}

export function scopeOf(input: Pick<OperationInput, 'project' | 'spec'>): Scope {
  return { accountId: input.spec.cloud.accountId, region: input.spec.cloud.region, owner: ownerOf(input.project, input.spec) };
}
