import { accountsIn, matches, regionsOf, tagFiltersOf } from './inventory';
import { instanceNodes } from './quotas';
import type { Sim, Transition } from './sim';
import { child, tagsOf, text } from './xml';

/**
 * GET /_sim/transitions: every instance's history as clients saw it — each state it entered
 * and when, on the simulator's clock — terminated instances included, so a test can compute
 * what held at every instant of an operation (e.g. how many instances were live at most)
 * instead of sampling the inventory and hoping not to miss a moment.
 *
 * Query: `region` and `tag` as for the inventory. The answer is a snapshot at `now`: every
 * transition up to that instant, none after it.
 */

export interface InstanceHistory {
  region: string;
  account: string;
  id: string;
  instanceType: string;
  availabilityZone: string;
  tags: Record<string, string>;
  /** Oldest first; empty for an instance the simulator did not see launched. */
  transitions: Transition[];
}

export interface Transitions {
  now: number;
  instances: InstanceHistory[];
}

export async function transitions(sim: Sim, query: URLSearchParams): Promise<Transitions> {
  await sim.settle();
  // Read first: whatever the simulator records from here on happens after `now`, and is left out.
  const now = sim.now();
  const tagFilters = tagFiltersOf(query);
  const instances: InstanceHistory[] = [];
  for (const region of regionsOf(sim, query)) {
    for (const [account, caller] of await accountsIn(sim, region)) {
      for (const node of instanceNodes(await sim.moto.ec2All(caller, 'DescribeInstances', 'reservationSet'))) {
        const tags = tagsOf(node);
        if (!matches(tags, tagFilters)) continue;
        const id = text(node, 'instanceId') ?? '';
        const launched = sim.instances.get(id)?.events[0]?.at;
        if (launched !== undefined && launched > now) continue; // after the snapshot
        instances.push({
          region,
          account,
          id,
          instanceType: text(node, 'instanceType') ?? '',
          availabilityZone: text(child(node, 'placement'), 'availabilityZone') ?? '',
          tags,
          transitions: sim.instanceTransitions(id, now),
        });
      }
    }
  }
  return { now, instances };
}
