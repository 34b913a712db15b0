import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/**
 * Just enough XML to rewrite moto's query-protocol answers: parse into plain objects where
 * list entries (`item` for EC2, `member` for the other query APIs) are always arrays,
 * change them, and build them back. Text values stay strings; attributes (xmlns) survive.
 */

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlNode[] | string[];

const LIST_ELEMENTS = new Set(['item', 'member']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  processEntities: true,
  isArray: (name) => LIST_ELEMENTS.has(name),
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

export function parseXml(xml: string): XmlNode {
  return parser.parse(xml) as XmlNode;
}

export function buildXml(doc: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc) as string}`;
}

/** The single top-level element's content (e.g. the inside of <DescribeInstancesResponse>). */
export function rootOf(doc: XmlNode): XmlNode {
  const key = Object.keys(doc).find((k) => !k.startsWith('?'));
  const value = key ? doc[key] : undefined;
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  const value = node?.[name];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

export function text(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.[name];
  if (typeof value === 'string') return value;
  return undefined;
}

/** The entries of a list element: `<set><item/>…</set>` → item nodes ([] when absent or empty). */
export function items(node: XmlNode | undefined, setName: string, entry = 'item'): XmlNode[] {
  const set = child(node, setName);
  const list = set?.[entry];
  if (!Array.isArray(list)) return [];
  return list.filter((v): v is XmlNode => typeof v === 'object');
}

/** Replaces a list element's entries (an empty list renders as an empty element). */
export function setItems(node: XmlNode, setName: string, list: XmlNode[], entry = 'item'): void {
  node[setName] = list.length ? { [entry]: list } : '';
}

/** EC2 `tagSet` (or ELB `Tags`) → plain record. */
export function tagsOf(node: XmlNode | undefined, setName = 'tagSet', entry = 'item', keyName = 'key', valueName = 'value'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of items(node, setName, entry)) {
    const key = text(tag, keyName);
    if (key !== undefined) out[key] = text(tag, valueName) ?? '';
  }
  return out;
}
