import { createHash } from 'node:crypto';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { clusterListing, LISTING_MEMO, type ClusterListing } from '../../common/cluster-listing';
import type { ClusterPhase } from '../../common/cluster-status';
import { clusterListQuery, type ClusterListFilters } from '../../common/search-attributes';
import { statusQuery } from '../../workflows/messages';
import { ApiError } from '../common/error-shape';
import { pageSize } from '../common/paging';
import { REGION, REGION_MESSAGE } from './cluster-spec.dto';

/** gRPC's status code for a request the server refuses as malformed. */
const GRPC_INVALID_ARGUMENT = 3;

export const DEFAULT_CLUSTERS_PAGE = 50;
export const MAX_CLUSTERS_PAGE = 200;

/** Phases a listed cluster can be in: a deleted cluster is never listed. */
export const LISTED_PHASES: readonly ClusterPhase[] = ['Provisioning', 'Running', 'Updating', 'Deleting', 'Failed'];

export interface ClusterListPage {
  limit: number;
  filters: ClusterListFilters;
  /** Temporal's own page token, unwrapped from ours. */
  temporalToken?: Uint8Array;
}

export interface ClusterListAnswer {
  items: ClusterListing[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

function badQuery(field: string, rule: string, message: string): ApiError {
  return new ApiError(400, `${field}: ${message}`, [{ field, rule, message }]);
}

/**
 * Our page token wraps Temporal's with a fingerprint of the query it continues, so a token is
 * refused (400) with other filters or in another project instead of paging something else.
 */
function fingerprint(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}

export function pageToken(query: string, temporalToken: Uint8Array): string {
  return Buffer.from(JSON.stringify({ q: fingerprint(query), t: Buffer.from(temporalToken).toString('base64url') })).toString('base64url');
}

function readPageToken(token: string, query: string): Uint8Array {
  const malformed = () => badQuery('pageToken', 'page-token', 'is not a page token this list gave (pass nextPageToken as it came)');
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw malformed();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  const { q, t } = (parsed ?? {}) as { q?: unknown; t?: unknown };
  if (typeof q !== 'string' || typeof t !== 'string' || !/^[A-Za-z0-9_-]+$/.test(t)) throw malformed();
  if (q !== fingerprint(query)) {
    throw badQuery('pageToken', 'page-token-query', 'was given for other filters or another project: ask again with the same phase and region, or without pageToken');
  }
  return Buffer.from(t, 'base64url');
}

/** `limit`, `pageToken`, `phase` and `region` of GET /v1/clusters, or a 400 naming the one that is wrong. */
export function clusterListPage(project: string, raw: { limit?: string; pageToken?: string; phase?: string; region?: string }): ClusterListPage & { query: string } {
  const limit = pageSize(raw.limit, DEFAULT_CLUSTERS_PAGE, MAX_CLUSTERS_PAGE);
  if (raw.phase !== undefined && !(LISTED_PHASES as readonly string[]).includes(raw.phase)) {
    throw badQuery('phase', 'listed-phase', `must be one of ${LISTED_PHASES.join(', ')} (deleted clusters are not listed)`);
  }
  if (raw.region !== undefined && !REGION.test(raw.region)) throw badQuery('region', 'matches', REGION_MESSAGE);
  const filters: ClusterListFilters = { phase: raw.phase, region: raw.region };
  const query = clusterListQuery(project, filters);
  return { limit, filters, query, temporalToken: raw.pageToken === undefined ? undefined : readPageToken(raw.pageToken, query) };
}

/**
 * One page of the project's live clusters, from Temporal's visibility alone: the entity keeps
 * each cluster's listing in its memo (workflows/cluster-entity.ts). An entity that has not run
 * since that patch has no memo yet: it alone is asked for its status.
 */
export async function listClusters(temporal: Client, page: ClusterListPage & { query: string }): Promise<ClusterListAnswer> {
  let response;
  try {
    response = await temporal.workflowService.listWorkflowExecutions({
      namespace: temporal.options.namespace,
      query: page.query,
      pageSize: page.limit,
      nextPageToken: page.temporalToken,
    });
  } catch (error) {
    // A token of ours whose inner part Temporal cannot read.
    if ((error as { code?: number }).code === GRPC_INVALID_ARGUMENT && page.temporalToken) {
      throw badQuery('pageToken', 'page-token', 'is not a page token this list gave (pass nextPageToken as it came)');
    }
    throw error;
  }
  const executions = await Promise.all(response.executions.map((raw) => executionInfoFromRaw(raw, temporal.options.loadedDataConverter, raw, temporal.options.namespace)));
  const items = await Promise.all(executions.map((execution) => listingOf(temporal, execution)));
  const next = response.nextPageToken;
  return {
    items: items.filter((item): item is ClusterListing => item !== undefined),
    nextPageToken: next && next.length > 0 ? pageToken(page.query, next) : undefined,
  };
}

async function listingOf(temporal: Client, execution: WorkflowExecutionInfo): Promise<ClusterListing | undefined> {
  const kept = execution.memo?.[LISTING_MEMO] as ClusterListing | undefined;
  if (kept) return kept;
  const status = await temporal.workflow
    .getHandle(execution.workflowId)
    .query(statusQuery)
    .catch(() => undefined);
  return status && status.phase !== 'Deleted' ? clusterListing(status) : undefined;
}
