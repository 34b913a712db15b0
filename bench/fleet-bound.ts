/**
 * The fleet benchmark's lower bound (bench/fleet.ts): the longest chain of waits along the
 * create's dependency graph (workflows/plan.ts) when N clusters share EC2's buckets at our
 * share of each. It counts only what any schedule must do — the calls the plan needs
 * (one CreateNatGateway per NAT gateway, one launch per instance), never our own extra or
 * retried calls — and only AWS's delays, never our calls' latency, so no schedule under
 * those buckets finishes sooner:
 *
 * - A bucket of capacity C refilling r per second, at share s, never holds more than s·C
 *   tokens; so m calls issued at or after a moment t end no sooner than t + (m − s·C)/(s·r).
 * - A node is launched after its AZ's NAT gateway is available (NAT → private route → node),
 *   so no sooner than natGatewayPending after that gateway's CreateNatGateway; and is ready
 *   no sooner than its readyDelay after its launch.
 * - The k-th CreateNatGateway of the fleet (in time order) is issued no sooner than
 *   t_k = (k − s·C_nat)/(s·r_nat). The gateways issued from then on are at least n − k + 1;
 *   whichever they are, they gate at least L_k = the sum of the n − k + 1 smallest
 *   nodes-per-gateway counts of the fleet. Those L_k launches come no sooner than
 *   t_k + natGatewayPending, through the RunInstances buckets (action and per-instance),
 *   and the last of them is ready readyDelay later:
 *       finish ≥ t_k + natGatewayPending + max over RunInstances buckets (L_k − s·C)/(s·r) + readyDelay.
 *   The bound is the largest of these over k, of the same without NAT gateways (every node
 *   launch, from 0), of every launch the plan needs (bastions too, which are not waited for),
 *   and of one cluster's critical path.
 */
import { ec2Draws } from '../common/ec2-throttling';
import type { ClusterPlan } from '../workflows/plan';

export interface FleetBoundInput {
  n: number;
  /** One cluster's plan (every cluster of the fleet has the same shape). */
  plan: ClusterPlan;
  natGatewayPendingMs: number;
  /** The shortest time from a node's launch to its being ready (the bound's node weight). */
  nodeReadyMs: number;
  /** One cluster's critical path by AWS's delays (bench/create-bound.ts). */
  soloCriticalPathMs: number;
  /** The simulator's bucket scale (capacity and refill) and our share of each. */
  scale: number;
  share: number;
}

export interface FleetBound {
  ms: number;
  /** The derivation, a line per term. */
  lines: string[];
}

/** The buckets `action` draws from, at our share: capacity and refill per ms. */
function bucketsOf(action: string, scale: number, share: number): Array<{ bucket: string; capacity: number; perMs: number }> {
  return ec2Draws({ action, filtered: false, paginated: false, instances: 1 }).map((d) => ({
    bucket: d.bucket,
    capacity: d.size.capacity * scale * share,
    perMs: (d.size.refillPerSecond * scale * share) / 1000,
  }));
}

/** The least time `calls` calls of `action` take through its buckets starting full, and which bucket says so. */
function drain(action: string, calls: number, scale: number, share: number): { ms: number; bucket: string } {
  let worst = { ms: 0, bucket: action };
  for (const b of bucketsOf(action, scale, share)) {
    const ms = b.perMs > 0 ? Math.max(0, calls - b.capacity) / b.perMs : 0;
    if (ms > worst.ms) worst = { ms, bucket: b.bucket };
  }
  return worst;
}

export function fleetBound(input: FleetBoundInput): FleetBound {
  const { n, plan, scale, share } = input;
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const nodesPerNat = plan.azs.map((az) => plan.nodes.filter((node) => node.az === az).length);
  const launchesPerCluster = plan.resources.filter((r) => r.kind === 'instance').length;
  const nodeLaunches = n * plan.nodes.length;
  const terms: Array<{ ms: number; line: string }> = [];

  terms.push({ ms: input.soloCriticalPathMs, line: `one cluster's critical path by AWS's delays: ${sec(input.soloCriticalPathMs)}` });
  const all = drain('RunInstances', n * launchesPerCluster, scale, share);
  terms.push({ ms: all.ms, line: `every launch the plan needs (${n} × ${launchesPerCluster}, bastions included) through ${all.bucket}: ${sec(all.ms)}` });
  const nodes = drain('RunInstances', nodeLaunches, scale, share);
  terms.push({ ms: nodes.ms + input.nodeReadyMs, line: `every node launch (${nodeLaunches}) through ${nodes.bucket}, the last then ready: ${sec(nodes.ms)} + ${sec(input.nodeReadyMs)} = ${sec(nodes.ms + input.nodeReadyMs)}` });

  if (nodesPerNat.length > 0 && plan.placement === 'dynamic') {
    const gates = Array.from({ length: n }, () => nodesPerNat).flat().sort((a, b) => a - b);
    const nats = gates.length;
    const natBuckets = bucketsOf('CreateNatGateway', scale, share);
    let best = { ms: 0, k: 0, tk: 0, launches: 0, drain: { ms: 0, bucket: 'RunInstances' } };
    for (let k = 1; k <= nats; k++) {
      // The k-th call of a bucket that starts full comes no sooner than (k − capacity)/refill.
      const tk = Math.max(0, ...natBuckets.map((b) => (b.perMs > 0 ? Math.max(0, k - b.capacity) / b.perMs : 0)));
      const launches = gates.slice(0, nats - k + 1).reduce((a, b) => a + b, 0);
      const d = drain('RunInstances', launches, scale, share);
      const ms = tk + input.natGatewayPendingMs + d.ms + input.nodeReadyMs;
      if (ms > best.ms) best = { ms, k, tk, launches, drain: d };
    }
    terms.push({
      ms: best.ms,
      line:
        `NAT gateways, then node launches: the ${best.k}${best.k === 1 ? 'st' : 'th'} of ${nats} CreateNatGateway calls at ≥ ${sec(best.tk)}; the gateways from it on gate ≥ ${best.launches} node launches, ` +
        `which start ≥ ${sec(input.natGatewayPendingMs)} later and take ≥ ${sec(best.drain.ms)} through ${best.drain.bucket}; the last node is ready ${sec(input.nodeReadyMs)} after: ` +
        `${sec(best.tk)} + ${sec(input.natGatewayPendingMs)} + ${sec(best.drain.ms)} + ${sec(input.nodeReadyMs)} = ${sec(best.ms)}`,
    });
  }
  const ms = Math.max(...terms.map((t) => t.ms));
  return { ms, lines: terms.map((t) => `${t.ms === ms ? '→' : ' '} ${t.line}`) };
}
