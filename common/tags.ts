/** The tags (docs/api.md#tags-on-aws-resources) that every AWS resource Clusterflow creates carries. */
export const CLUSTER_TAG = 'clusterflow.io/cluster';
export const RESOURCE_TAG = 'clusterflow.io/resource';

/** Who owns a resource and which logical resource it is: what every activity looks up by. */
export interface Owner {
  /** `<project>/<name>`. */
  cluster: string;
  /** The cluster's name alone (for the Kubernetes tag). */
  clusterName: string;
  /** The spec's tags, added to every resource. */
  extraTags: Record<string, string>;
}

export function clusterRef(project: string, name: string): string {
  return `${project}/${name}`;
}

/** The project part of `<project>/<name>`: project names never hold a `/`. */
export function projectOfCluster(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash <= 0) throw new Error(`"${ref}" is not a cluster reference <project>/<name>`);
  return ref.slice(0, slash);
}

/**
 * The full tag set for one resource. Ours win over the spec's: an operator's tag can never
 * take ownership away.
 */
export function resourceTags(owner: Owner, key: string, kind?: 'public-subnet' | 'private-subnet'): Record<string, string> {
  const tags: Record<string, string> = {
    ...owner.extraTags,
    Name: `${owner.clusterName}-${key.replace(/\//g, '-')}`,
    [`kubernetes.io/cluster/${owner.clusterName}`]: 'owned',
    [CLUSTER_TAG]: owner.cluster,
    [RESOURCE_TAG]: key,
  };
  if (kind === 'public-subnet') tags['kubernetes.io/role/elb'] = '1';
  if (kind === 'private-subnet') tags['kubernetes.io/role/internal-elb'] = '1';
  return tags;
}
