import { isDeepStrictEqual } from 'node:util';
import type { ClusterSpec, PoolSpec } from '../common/cluster-spec';
import type { ClusterStatus, PoolStatus } from '../common/cluster-status';
import { CliError, EXIT } from './exit-codes';

/** One API call that moves the cluster toward the file, with the words the diff shows. */
export interface Change {
  kind: 'add-pool' | 'change-pool' | 'remove-pool';
  pool: string;
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  lines: string[];
}

const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

/** What a pool's launch settings read as when the spec or the status leaves them out. */
const settingsOf = (p: { labels?: Record<string, string>; taints?: unknown[]; rootVolume?: unknown }) => ({ labels: p.labels ?? {}, taints: p.taints ?? [], rootVolume: p.rootVolume });

function poolChange(clusterPath: string, want: PoolSpec, have: PoolStatus): Change | undefined {
  const where = `pool ${want.name}`;
  const refuse = (what: string) => {
    throw new CliError(`${where}: ${what} cannot change on a running cluster; add a pool with the new setting and remove this one`, EXIT.failed);
  };
  if (want.role !== have.role) refuse(`role (${have.role} → ${want.role})`);
  const wantCapacity = want.capacity ?? { type: 'on-demand' };
  if (!isDeepStrictEqual(wantCapacity, have.capacity)) refuse(`capacity (${show(have.capacity)} → ${show(wantCapacity)})`);
  // The status keeps no pool's AZ list, but its nodes' AZs must all still be in the file's.
  const dropped = [...new Set((have.spot?.nodes ?? have.nodes).map((n) => n.az))].filter((az) => !want.azs.includes(az));
  if (dropped.length > 0) refuse(`azs (nodes run in ${dropped.join(', ')}, which the file leaves out)`);
  const body: Record<string, unknown> = {};
  const lines: string[] = [];
  const haveSize = have.spot?.desired ?? have.desired;
  if (want.size !== haveSize) {
    body.size = want.size;
    lines.push(`size: ${haveSize} → ${want.size}`);
  }
  const haveType = have.spot?.instanceType ?? have.instanceType;
  if (want.instanceType !== haveType) {
    body.instanceType = want.instanceType;
    lines.push(`instanceType: ${haveType} → ${want.instanceType}`);
  }
  const w = settingsOf(want);
  const h = settingsOf(have);
  for (const key of ['labels', 'taints'] as const) {
    if (!isDeepStrictEqual(w[key], h[key])) {
      body[key] = w[key];
      lines.push(`${key}: ${show(h[key])} → ${show(w[key])}`);
    }
  }
  // A file without a root volume keeps the pool's (the API defaults it at create; it is never removed).
  if (w.rootVolume !== undefined && !isDeepStrictEqual(w.rootVolume, h.rootVolume)) {
    body.rootVolume = w.rootVolume;
    lines.push(`rootVolume: ${show(h.rootVolume)} → ${show(w.rootVolume)}`);
  }
  if (lines.length === 0) return undefined;
  return { kind: 'change-pool', pool: want.name, method: 'PATCH', path: `${clusterPath}/pools/${encodeURIComponent(want.name)}`, body, lines };
}

/**
 * The pool operations that turn `status` into `spec`, in an order the day-2 rules accept:
 * new pools first (so a cluster never drops below one workload pool), then changes, then
 * removals. What day-2 operations cannot change (region, a pool's role or capacity) is
 * refused here rather than half applied.
 */
export function diffCluster(spec: ClusterSpec, status: ClusterStatus): Change[] {
  if (spec.cloud?.region && spec.cloud.region !== status.region) throw new CliError(`cloud.region: ${status.region} → ${spec.cloud.region} cannot change; it is another cluster`, EXIT.failed);
  const clusterPath = `/v1/clusters/${encodeURIComponent(status.name)}`;
  const have = new Map(status.pools.map((p) => [p.name, p]));
  const wanted = new Set(spec.pools.map((p) => p.name));
  const adds: Change[] = spec.pools
    .filter((p) => !have.has(p.name))
    .map((p) => ({ kind: 'add-pool', pool: p.name, method: 'POST', path: `${clusterPath}/pools`, body: p, lines: [`${p.role}, ${p.size} × ${p.instanceType} in ${p.azs.join(', ')}`] }));
  const changes = spec.pools.flatMap((p) => {
    const current = have.get(p.name);
    const change = current && poolChange(clusterPath, p, current);
    return change ? [change] : [];
  });
  const removals: Change[] = status.pools
    .filter((p) => !wanted.has(p.name))
    .map((p) => ({ kind: 'remove-pool', pool: p.name, method: 'DELETE', path: `${clusterPath}/pools/${encodeURIComponent(p.name)}`, lines: [`${p.role}, ${p.nodes.length} nodes terminated`] }));
  return [...adds, ...changes, ...removals];
}

/** The diff as a person reads it: + added, ~ changed, - removed. */
export function renderDiff(cluster: string, changes: Change[]): string {
  if (changes.length === 0) return `cluster ${cluster}: no changes`;
  const mark = { 'add-pool': '+', 'change-pool': '~', 'remove-pool': '-' } as const;
  const out = [`cluster ${cluster}:`];
  for (const c of changes) {
    out.push(`  ${mark[c.kind]} pool ${c.pool}${c.lines.length === 1 ? `: ${c.lines[0]}` : ''}`);
    if (c.lines.length > 1) for (const line of c.lines) out.push(`      ${line}`);
  }
  return out.join('\n');
}
