import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes of docs/api.md#search-attributes, as typed keys that workflows upsert and the
 * dev server registers at start. Safe to import from workflow code.
 */
export const SEARCH_ATTRIBUTE_KEYS = {
  ClusterName: defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD),
  ClusterPhase: defineSearchAttributeKey('ClusterPhase', SearchAttributeType.KEYWORD),
  CloudRegion: defineSearchAttributeKey('CloudRegion', SearchAttributeType.KEYWORD),
  ClusterProject: defineSearchAttributeKey('ClusterProject', SearchAttributeType.KEYWORD),
  OperationType: defineSearchAttributeKey('OperationType', SearchAttributeType.KEYWORD),
};

/** `NAME=Keyword` arguments for `temporal server start-dev --search-attribute`. */
export function devServerSearchAttributeArgs(): string[] {
  return Object.keys(SEARCH_ATTRIBUTE_KEYS).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
}

/** Every operation workflow ever run under a cluster's name (the entity sets these attributes on each). */
export function operationHistoryQuery(project: string, name: string): string {
  return `ClusterProject = "${project}" AND ClusterName = "${name}" AND WorkflowType != "clusterEntity" AND OperationType IS NOT NULL`;
}

/** What `GET /v1/clusters` may narrow the list to (each value checked by the API first). */
export interface ClusterListFilters {
  phase?: string;
  region?: string;
}

/**
 * A visibility string literal. The values that reach a query are checked before (DNS labels,
 * phases, region names), so this refuses rather than escapes: a quote or backslash that got
 * this far is a bug, and must never become part of the query.
 */
export function visibilityLiteral(value: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(value)) throw new Error(`refusing ${JSON.stringify(value)} in a visibility query: only letters, digits and . _ / - are allowed`);
  return `"${value}"`;
}

/**
 * The project's live clusters in visibility: each cluster's current entity run only (the runs
 * it closed by continuing as new keep their attributes, and would list it again), narrowed by
 * phase and region when asked.
 */
export function clusterListQuery(project: string, filters: ClusterListFilters = {}): string {
  const clauses = [
    'WorkflowType = "clusterEntity"',
    'ExecutionStatus = "Running"',
    `ClusterProject = ${visibilityLiteral(project)}`,
    'ClusterPhase != "Deleted"',
  ];
  if (filters.phase !== undefined) clauses.push(`ClusterPhase = ${visibilityLiteral(filters.phase)}`);
  if (filters.region !== undefined) clauses.push(`CloudRegion = ${visibilityLiteral(filters.region)}`);
  return clauses.join(' AND ');
}
