import { createHash } from 'node:crypto';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { clusterListing, LISTING_MEMO, type ClusterListing } from '../../common/cluster-listing';
import type { ClusterPhase } from '../../common/cluster-status';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../common/payload-codec';
import { clusterListQuery, type ClusterListFilters } from '../../common/search-attributes';
import { statusQuery } from '../../workflows/messages';
import { ApiError } from '../common/error-shape';
import { pageSize } from '../common/paging';
import { REGION, REGION_MESSAGE } from './cluster-spec.dto';

export const DEFAULT_CLUSTERS_PAGE = 50;
export const MAX_CLUSTERS_PAGE = 200;

/** Phases a listed cluster can be in: a deleted cluster is never listed. */
export const LISTED_PHASES: readonly ClusterPhase[] = ['Provisioning', 'Running', 'Updating', 'Deleting', 'Failed'];

export interface ClusterListPage {
  limit: number;
  filters: ClusterListFilters;
  /** The visibility query: the project's live clusters, filtered. */
  query: string;
  /** The nextPageToken of the page before, sealed (`sealPageToken`). */
  pageToken?: string;
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
 * Our page token seals Temporal's, with a fingerprint of the query it continues, under the
 * payload key (AES-256-GCM, authenticated): Temporal only ever sees a token it gave (a forged
 * one would make it fail slowly, as an internal error it retries), and a token is refused
 * (400) with other filters or in another project instead of paging something else.
 */
function fingerprint(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}

const PLAIN = { encoding: Buffer.from('json/plain') };

async function sealPageToken(codec: PayloadCodec, query: string, temporalToken: Uint8Array): Promise<string> {
  const inner = JSON.stringify({ q: fingerprint(query), t: Buffer.from(temporalToken).toString('base64url') });
  const [sealed] = await codec.encode([{ metadata: PLAIN, data: Buffer.from(inner) }]);
  const keyId = Buffer.from(sealed.metadata?.[KEY_ID_METADATA] ?? new Uint8Array()).toString('utf8');
  return `${keyId}.${Buffer.from(sealed.data ?? new Uint8Array()).toString('base64url')}`;
}

async function openPageToken(codec: PayloadCodec, token: string, query: string): Promise<Uint8Array> {
  const malformed = () => badQuery('pageToken', 'page-token', 'is not a page token this list gave (pass nextPageToken as it came)');
  const [keyId, data] = token.split('.');
  if (!/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,4096}$/.test(token) || !keyId || !data) throw malformed();
  let inner: { q?: unknown; t?: unknown };
  try {
    const [opened] = await codec.decode([
      {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
        data: Buffer.from(data, 'base64url'),
      },
    ]);
    inner = JSON.parse(Buffer.from(opened.data ?? new Uint8Array()).toString('utf8')) ?? {};
  } catch {
    throw malformed();
  }
  if (typeof inner.q !== 'string' || typeof inner.t !== 'string') throw malformed();
  if (inner.q !== fingerprint(query)) {
    throw badQuery('pageToken', 'page-token-query', 'was given for other filters or another project: ask again with the same phase and region, or without pageToken');
  }
  return Buffer.from(inner.t, 'base64url');
}

/** `limit`, `phase` and `region` of GET /v1/clusters checked, or a 400 naming the one that is wrong; the page token is opened by `listClusters`. */
export function clusterListPage(project: string, raw: { limit?: string; pageToken?: string; phase?: string; region?: string }): ClusterListPage {
  const limit = pageSize(raw.limit, DEFAULT_CLUSTERS_PAGE, MAX_CLUSTERS_PAGE);
  if (raw.phase !== undefined && !(LISTED_PHASES as readonly string[]).includes(raw.phase)) {
    throw badQuery('phase', 'listed-phase', `must be one of ${LISTED_PHASES.join(', ')} (deleted clusters are not listed)`);
  }
  if (raw.region !== undefined && !REGION.test(raw.region)) throw badQuery('region', 'matches', REGION_MESSAGE);
  if (raw.pageToken !== undefined && typeof raw.pageToken !== 'string') throw badQuery('pageToken', 'page-token', 'give it once');
  const filters: ClusterListFilters = { phase: raw.phase, region: raw.region };
  return { limit, filters, query: clusterListQuery(project, filters), pageToken: raw.pageToken };
}

/**
 * One page of the project's live clusters, from Temporal's visibility alone: the entity keeps
 * each cluster's listing in its memo (workflows/cluster-entity.ts). An entity that has not run
 * since that patch has no memo yet: it alone is asked for its status.
 */
export async function listClusters(temporal: Client, codec: PayloadCodec, page: ClusterListPage): Promise<ClusterListAnswer> {
  const nextPageToken = page.pageToken === undefined ? undefined : await openPageToken(codec, page.pageToken, page.query);
  const response = await temporal.workflowService.listWorkflowExecutions({ namespace: temporal.options.namespace, query: page.query, pageSize: page.limit, nextPageToken });
  const executions = await Promise.all(response.executions.map((raw) => executionInfoFromRaw(raw, temporal.options.loadedDataConverter, raw, temporal.options.namespace)));
  const items = await Promise.all(executions.map((execution) => listingOf(temporal, execution)));
  const next = response.nextPageToken;
  return {
    items: items.filter((item): item is ClusterListing => item !== undefined),
    nextPageToken: next && next.length > 0 ? await sealPageToken(codec, page.query, next) : undefined,
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
