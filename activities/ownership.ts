import { createHash } from 'node:crypto';
import type { Filter, ResourceType, TagSpecification } from '@aws-sdk/client-ec2';
import { CLUSTER_TAG, Owner, RESOURCE_TAG, resourceTags } from '../common/tags';

/**
 * How every activity finds what it made: by the two ownership tags, which are set in the
 * same call that creates the resource, so a resource can never exist without them.
 */

export type SubnetKind = 'public-subnet' | 'private-subnet';

export function toAwsTags(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagsOf(tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

/** The TagSpecifications that tag a resource as it is created. */
export function tagSpecifications(
  resourceTypes: ResourceType[],
  owner: Owner,
  key: string,
  kind?: SubnetKind,
): TagSpecification[] {
  const Tags = toAwsTags(resourceTags(owner, key, kind));
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags }));
}

/** EC2 filters selecting the one resource `key` of the cluster. */
export function ownedFilters(owner: Owner, key: string): Filter[] {
  return [...clusterFilters(owner), { Name: `tag:${RESOURCE_TAG}`, Values: [key] }];
}

/** EC2 filters selecting everything of the cluster. */
export function clusterFilters(owner: Owner): Filter[] {
  return [{ Name: `tag:${CLUSTER_TAG}`, Values: [owner.cluster] }];
}

/**
 * The same test on the client side, applied to every lookup's answer: an API whose tag
 * filters are missing (moto ignores them on DescribeNatGateways) must never make a delete
 * reach someone else's resource.
 */
export function isOwned(tags: Array<{ Key?: string; Value?: string }> | undefined, owner: Owner, key?: string): boolean {
  const map = tagsOf(tags);
  return map[CLUSTER_TAG] === owner.cluster && (key === undefined || map[RESOURCE_TAG] === key);
}

/**
 * A deterministic idempotency token (64 hex chars, AWS's maximum). The parts name the
 * request completely, so a retry of the same request reuses it, while a different request
 * for the same key (a replacement, or the cluster re-created after a delete with new
 * subnets) gets a new one instead of AWS handing back the old, deleted resource.
 */
export function clientToken(...parts: Array<string | number | undefined>): string {
  return createHash('sha256')
    .update(parts.map((part) => String(part ?? '')).join('\u0000'))
    .digest('hex');
}

/** Short stable hash for names AWS limits in length. */
export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Sorted by id, so every caller picks the same one among duplicates. */
export function byId<T>(items: T[], id: (item: T) => string | undefined): T[] {
  return [...items].sort((a, b) => (id(a) ?? '').localeCompare(id(b) ?? ''));
}
