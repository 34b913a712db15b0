/**
 * Every workflow id and operation id of a cluster, in one place: the API finds workflows by these, the
 * entity starts its children under them, and a spot watcher signals its entity by one.
 */

/** The cluster's entity: one per cluster for its whole life. */
export function clusterWorkflowId(project: string, name: string): string {
  return `cluster/${project}/${name}`;
}

/** An operation's child workflow: the entity's id, then the operation's own. */
export function operationWorkflowId(project: string, name: string, operationId: string): string {
  return `${clusterWorkflowId(project, name)}/${operationId}`;
}

/** A spot pool's bidding watcher. */
export function spotWatcherId(project: string, cluster: string, pool: string): string {
  return `${clusterWorkflowId(project, cluster)}/spot/${pool}`;
}

/** An operation's id: its number in the cluster's life, then its type (`op-7-scale`). */
export function operationId(number: number, type: string): string {
  return `op-${number}-${type}`;
}

/** An operation's number (`op-7-scale` → 7); 0 for none. */
export function numberOf(record: { id: string } | undefined): number {
  return record ? Number(/^op-(\d+)-/.exec(record.id)?.[1] ?? 0) : 0;
}

/**
 * The cluster (`<project>/<name>`) and operation a workflow id names, for logs: an entity,
 * an operation's child (and its rollback) or a spot watcher. Empty for any other id.
 */
export function workflowIdParts(workflowId: string): { cluster?: string; operationId?: string } {
  const match = /^cluster\/([^/]+\/[^/]+)(?:\/(op-\d+-[a-z-]+))?/.exec(workflowId);
  if (!match) return {};
  return match[2] ? { cluster: match[1], operationId: match[2] } : { cluster: match[1] };
}

/** An operation's type from its id (`op-7-scale` → `scale`); undefined for anything else. */
export function typeOfOperation(operationId: string): string | undefined {
  return /^op-\d+-([a-z-]+)$/.exec(operationId)?.[1];
}
