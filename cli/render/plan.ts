import { table } from './output';

interface DryRun {
  name: string;
  plan: {
    placement: string;
    azs: string[];
    subnets: Array<{ az: string; publicCidr: string; privateCidr: string }>;
    nodes: Array<{ key: string; az: string; instanceType: string; role: string }>;
    spotPools: Array<{ pool: string; size: number; instanceType: string; maxPricePercent: number }>;
    resources: Array<{ key: string; kind: string; dependsOn: string[]; detail?: string }>;
  };
  preflight: { ok: boolean; checks: Array<{ name: string; ok: boolean; message: string }>; imageId?: string };
  cost: { currency: string; usdPerHour: number; lines: Array<{ item: string; count: number; unitUsdPerHour: number; usdPerHour: number }>; missing?: string[] };
}

const usd = (n: number | undefined) => (n === undefined ? '-' : `$${n.toFixed(4)}`);

/** `create cluster --dry-run` for people: what would be made, whether AWS would allow it, what it costs an hour. */
export function renderDryRun(d: DryRun): string {
  const p = d.plan;
  const out = [`Plan for cluster ${d.name} (${p.placement} placement, ${p.azs.join(', ')}): nothing was created.`, ''];
  if (p.subnets.length) out.push('Subnets:', table(['AZ', 'PUBLIC', 'PRIVATE'], p.subnets.map((s) => [s.az, s.publicCidr, s.privateCidr])), '');
  out.push('Nodes:', table(['NODE', 'ROLE', 'AZ', 'INSTANCE TYPE'], p.nodes.map((n) => [n.key, n.role, n.az, n.instanceType])), '');
  if (p.spotPools.length) out.push('Spot pools (launched by their watcher):', table(['POOL', 'SIZE', 'INSTANCE TYPE', 'MAX % OF ON-DEMAND'], p.spotPools.map((s) => [s.pool, s.size, s.instanceType, s.maxPricePercent])), '');
  out.push(`Resources (${p.resources.length}):`, table(['KEY', 'KIND', 'DEPENDS ON'], p.resources.map((r) => [r.key, r.kind, r.dependsOn.join(', ')])), '');
  out.push(`Preflight: ${d.preflight.ok ? 'ok' : 'FAILED'}${d.preflight.imageId ? ` (image ${d.preflight.imageId})` : ''}`);
  out.push(table(['CHECK', 'OK', 'MESSAGE'], d.preflight.checks.map((c) => [c.name, c.ok ? 'yes' : 'NO', c.message])), '');
  out.push(`Hourly cost (${d.cost.currency}):`);
  out.push(table(['ITEM', 'COUNT', 'UNIT / HOUR', 'TOTAL / HOUR'], [...d.cost.lines.map((l) => [l.item, l.count, usd(l.unitUsdPerHour), usd(l.usdPerHour)]), ['total', '', '', usd(d.cost.usdPerHour)]]));
  if (d.cost.missing?.length) out.push(`Not priced: ${d.cost.missing.join('; ')}`);
  return out.join('\n');
}
