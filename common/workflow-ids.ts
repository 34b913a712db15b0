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
