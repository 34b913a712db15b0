import { AwsError } from './errors';
import type { QueryFilter } from './protocol';
import { tagsOf, type XmlNode } from './xml';

/**
 * EC2 filters evaluated by the simulator where moto ignores or cannot evaluate them (tag
 * filters on DescribeNatGateways; instance states that the simulator delays; a few filters
 * moto does not implement). Values may use the `*` and `?` wildcards, as on EC2; a resource
 * matches when every filter has a value matching one of the resource's values.
 */

export type Extractor = (node: XmlNode) => string[];

export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** Values for `tag:Key`, `tag-key` and `tag-value` filters from an EC2 `tagSet`. */
export function tagExtractor(name: string): Extractor | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (node) => {
      const tags = tagsOf(node);
      return key in tags ? [tags[key]] : [];
    };
  }
  if (name === 'tag-key') return (node) => Object.keys(tagsOf(node));
  if (name === 'tag-value') return (node) => Object.values(tagsOf(node));
  return undefined;
}

export function extractorFor(name: string, table: Record<string, Extractor>): Extractor | undefined {
  return table[name] ?? tagExtractor(name);
}

export function matchesAll(node: XmlNode, filters: QueryFilter[], table: Record<string, Extractor>): boolean {
  return filters.every((filter) => {
    const extract = extractorFor(filter.name, table);
    if (!extract) throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    const values = extract(node);
    return filter.values.some((pattern) => values.some((value) => globMatch(pattern, value)));
  });
}
