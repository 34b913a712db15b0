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

/**
 * The project's live clusters in visibility: each cluster's current entity run only (the runs
 * it closed by continuing as new keep their attributes, and would list it again).
 */
export function clusterListQuery(project: string): string {
  return `WorkflowType = "clusterEntity" AND ExecutionStatus = "Running" AND ClusterProject = "${project}" AND ClusterPhase != "Deleted"`;
}
