import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
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
  project: string;
  limit: number;
  filters: ClusterListFilters;
  /** What the page token is bound to: the project's clusters, filtered, as a visibility query would say it. */
  query: string;
  /** The nextPageToken of the page before, sealed (`sealPageToken`). */
  pageToken?: string;
}

export interface ClusterListAnswer {
  items: ClusterListing[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

/**
 * A `ClusterListAnswer` as JSON text, built from its items' JSON (each serialised once, when its
 * memo is decoded): the same text `JSON.stringify(answer)` gives, without walking every
 * listing again for every list.
 */
export function answerJson(itemsJson: readonly string[], nextPageToken: string | undefined): string {
  const token = nextPageToken === undefined ? '' : `,"nextPageToken":${JSON.stringify(nextPageToken)}`;
  return `{"items":[${itemsJson.join(',')}]${token}}`;
}

function badQuery(field: string, rule: string, message: string): ApiError {
  return new ApiError(400, `${field}: ${message}`, [{ field, rule, message }]);
}

/**
 * A page token says after which name the next page starts, with a fingerprint of the list it
 * continues (project and filters), sealed under the payload key (AES-256-GCM, authenticated):
 * opaque to clients, never altered unnoticed, and refused (400) with other filters or in
 * another project instead of paging something else.
 */
function fingerprint(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}

const PLAIN = { encoding: Buffer.from('json/plain') };

async function sealPageToken(codec: PayloadCodec, query: string, after: string): Promise<string> {
  const inner = JSON.stringify({ q: fingerprint(query), after });
  const [sealed] = await codec.encode([{ metadata: PLAIN, data: Buffer.from(inner) }]);
  const keyId = Buffer.from(sealed.metadata?.[KEY_ID_METADATA] ?? new Uint8Array()).toString('utf8');
  return `${keyId}.${Buffer.from(sealed.data ?? new Uint8Array()).toString('base64url')}`;
}

async function openPageToken(codec: PayloadCodec, token: string): Promise<{ q: string; after: string }> {
  const malformed = () => badQuery('pageToken', 'page-token', 'is not a page token this list gave (pass nextPageToken as it came)');
  const [keyId, data] = token.split('.');
  if (!/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,4096}$/.test(token) || !keyId || !data) throw malformed();
  let inner: { q?: unknown; after?: unknown };
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
  if (typeof inner.q !== 'string' || typeof inner.after !== 'string') throw malformed();
  return { q: inner.q, after: inner.after };
}

/** Where an opened token's page starts, if it was given for this list (project and filters). */
function checkedAfter(inner: { q: string; after: string }, query: string): string {
  if (inner.q !== fingerprint(query)) {
    throw badQuery('pageToken', 'page-token-query', 'was given for other filters or another project: ask again with the same phase and region, or without pageToken');
  }
  return inner.after;
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
  return { project, limit, filters, query: clusterListQuery(project, filters), pageToken: raw.pageToken };
}

/** How old a project's snapshot may be when it answers a list: one visibility walk serves every list asked within it. */
export const LIST_MAX_AGE_MS = 1000;
/** While a new snapshot is read, the held one answers lists until it is this many times `maxAgeMs` old. */
const STALE_FACTOR = 5;
/** Visibility's largest page: a snapshot of up to this many clusters is one call. */
const VISIBILITY_PAGE = 1000;
/** Snapshots of projects nobody listed for this long are dropped. */
const SNAPSHOT_KEPT_MS = 60_000;
/** Answers kept per snapshot (distinct filters, limits and pages asked within its second). */
const ANSWERS_KEPT = 256;
/** Page tokens kept sealed and opened: past this many, each cache starts afresh. */
const TOKENS_KEPT = 10_000;

interface Listed {
  listing: ClusterListing;
  /** `JSON.stringify(listing)`, made once per decoded memo. */
  json: string;
}

interface Snapshot {
  at: number;
  items: Listed[];
  /** Answers given from this snapshot, by what they answer: the same question within its second gets the same text. */
  answers: Map<string, string>;
}

/**
 * The read model behind GET /v1/clusters: per project, a snapshot of every live cluster's
 * listing, read from Temporal's visibility alone (the entity keeps its listing in its memo,
 * workflows/cluster-entity.ts) and sorted by name. A snapshot older than `maxAgeMs` is read
 * again, once however many lists ask; meanwhile lists are answered from the held one while it is
 * under `STALE_FACTOR × maxAgeMs` old (so no list waits for a read), and wait only when it is
 * older or there is none. Filters and pages are then a filter and a slice: pages are by name
 * (the token says after which), so a walk over pages never repeats a cluster and misses none
 * that lived throughout it. The cost of a read grows with the project's clusters, not with how
 * often lists are asked.
 */
export class ClusterReadModel {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly reading = new Map<string, Promise<Snapshot>>();
  /** Each entity run's memo as last decoded, by its sealed bytes. */
  private decoded = new Map<string, { sealed: Buffer; listed: Listed }>();
  /**
   * Page tokens as sealed, by the list and name they continue after, and as opened, by their
   * text: sealing and opening (AES-GCM; a cipher set up per token) were most of a list's own
   * time. A sealed token stays valid, so giving the same one again is as safe as the first time;
   * an opened one is still checked against the list it is given with.
   */
  private sealed = new Map<string, string>();
  private opened = new Map<string, { q: string; after: string }>();

  constructor(
    private readonly temporal: Client,
    private readonly codec: PayloadCodec,
    private readonly maxAgeMs = LIST_MAX_AGE_MS,
  ) {}

  /** The page's answer as JSON text (`ClusterListAnswer`). */
  async page(page: ClusterListPage): Promise<string> {
    const after = page.pageToken === undefined ? undefined : await this.open(page.pageToken, page.query);
    const snapshot = await this.snapshot(page.project);
    // The query names the project and the filters; with the limit and the start, it is the whole question.
    const key = `${page.query}\n${page.limit}\n${after ?? ''}`;
    const given = snapshot.answers.get(key);
    if (given !== undefined) return given;
    const { phase, region } = page.filters;
    const shown: Listed[] = [];
    let more = false;
    for (const item of snapshot.items) {
      const c = item.listing;
      if ((phase !== undefined && c.phase !== phase) || (region !== undefined && c.region !== region) || (after !== undefined && c.name <= after)) continue;
      if (shown.length === page.limit) {
        more = true;
        break;
      }
      shown.push(item);
    }
    const json = answerJson(
      shown.map((item) => item.json),
      more ? await this.seal(page.query, shown[shown.length - 1].listing.name) : undefined,
    );
    if (snapshot.answers.size < ANSWERS_KEPT) snapshot.answers.set(key, json);
    return json;
  }

  private async seal(query: string, after: string): Promise<string> {
    const key = `${query}\n${after}`;
    let token = this.sealed.get(key);
    if (token === undefined) {
      token = await sealPageToken(this.codec, query, after);
      if (this.sealed.size >= TOKENS_KEPT) this.sealed = new Map();
      this.sealed.set(key, token);
    }
    return token;
  }

  private async open(token: string, query: string): Promise<string> {
    const known = this.opened.get(token);
    if (known !== undefined) return checkedAfter(known, query);
    const inner = await openPageToken(this.codec, token);
    if (this.opened.size >= TOKENS_KEPT) this.opened = new Map();
    this.opened.set(token, inner);
    return checkedAfter(inner, query);
  }

  private async snapshot(project: string): Promise<Snapshot> {
    const held = this.snapshots.get(project);
    const age = held ? Date.now() - held.at : Number.POSITIVE_INFINITY;
    if (held && age < this.maxAgeMs) return held;
    let reading = this.reading.get(project);
    if (!reading) {
      reading = this.read(project).finally(() => this.reading.delete(project));
      this.reading.set(project, reading);
      // Answered from the held snapshot, a list does not wait for the read; a failed read is tried again by the next list.
      reading.catch(() => undefined);
    }
    // A list does not wait for the read while the held snapshot is still young enough: the read is for the lists after it.
    return held && age < this.maxAgeMs * STALE_FACTOR ? held : reading;
  }

  private async read(project: string): Promise<Snapshot> {
    const at = Date.now();
    const byName = new Map<string, { listed: Listed; started: number }>();
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await this.temporal.workflowService.listWorkflowExecutions({
        namespace: this.temporal.options.namespace,
        query: clusterListQuery(project),
        pageSize: VISIBILITY_PAGE,
        nextPageToken,
      });
      for (const [i, listed] of (await Promise.all(response.executions.map((raw) => this.listingOf(raw)))).entries()) {
        const started = Number(response.executions[i].startTime?.seconds ?? 0);
        const seen = listed && byName.get(listed.listing.name);
        // A cluster that continued as new between two visibility pages shows both runs: the newer one is the cluster.
        if (listed && (!seen || seen.started < started)) byName.set(listed.listing.name, { listed, started });
      }
      nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
    } while (nextPageToken);
    const items = [...byName.values()].map((v) => v.listed).sort((a, b) => (a.listing.name < b.listing.name ? -1 : a.listing.name > b.listing.name ? 1 : 0));
    const snapshot: Snapshot = { at, items, answers: new Map() };
    this.snapshots.set(project, snapshot);
    for (const [other, kept] of this.snapshots) if (at - kept.at > SNAPSHOT_KEPT_MS) this.snapshots.delete(other);
    // Runs no longer listed (deleted, continued as new) stay decoded until the cache is twice what is listed: then it starts afresh.
    const listed = [...this.snapshots.values()].reduce((n, kept) => n + kept.items.length, 0);
    if (this.decoded.size > 2 * listed + 100) this.decoded = new Map();
    return snapshot;
  }

  /**
   * The listing in the run's memo, decoded as the client would (codecs, then the payload
   * converter) but without the rest of the execution's fields. An entity that has not run since
   * listings were kept has none yet: it alone is asked for its status.
   */
  private async listingOf(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo): Promise<Listed | undefined> {
    const field = raw.memo?.fields?.[LISTING_MEMO];
    const converter = this.temporal.options.loadedDataConverter;
    if (field) {
      // Most memos are as they were a second ago: decrypting and parsing them again would be the read's main cost.
      const key = `${raw.execution?.workflowId}/${raw.execution?.runId}`;
      const sealed = Buffer.from(field.data ?? new Uint8Array());
      const known = this.decoded.get(key);
      if (known && known.sealed.equals(sealed)) return known.listed;
      let payload = field as Payload;
      for (const codec of [...converter.payloadCodecs].reverse()) [payload] = await codec.decode([payload]);
      const listing = converter.payloadConverter.fromPayload<ClusterListing>(payload);
      const listed = { listing, json: JSON.stringify(listing) };
      this.decoded.set(key, { sealed, listed });
      return listed;
    }
    const status = await this.temporal.workflow
      .getHandle(raw.execution?.workflowId ?? '')
      .query(statusQuery)
      .catch(() => undefined);
    if (!status || status.phase === 'Deleted') return undefined;
    const listing = clusterListing(status);
    return { listing, json: JSON.stringify(listing) };
  }
}
