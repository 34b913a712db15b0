/** The custom search attributes of DESIGN.md §4; the dev server registers them at start. */
export const SEARCH_ATTRIBUTES = {
  ClusterName: 'Keyword',
  ClusterPhase: 'Keyword',
  CloudRegion: 'Keyword',
  ClusterProject: 'Keyword',
  OperationType: 'Keyword',
} as const;
