import * as fs from 'node:fs';
import { parse } from 'yaml';
import type { ClusterSpec } from '../common/cluster-spec';
import { usageError } from './exit-codes';

export const API_VERSION = 'clusterflow.io/v1';

/**
 * Reads a resource file (`-` for stdin): the API's body with `apiVersion: clusterflow.io/v1`
 * and `kind`, which are checked and dropped; the API judges the rest.
 */
export function readResourceFile<T>(file: string, kind: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw usageError(`${file} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw usageError(`${file}: expected a mapping with apiVersion, kind and the ${kind}'s fields`);
  const { apiVersion, kind: found, ...body } = doc as Record<string, unknown>;
  if (apiVersion !== API_VERSION) throw usageError(`${file}: apiVersion must be ${API_VERSION} (got ${JSON.stringify(apiVersion)})`);
  if (found !== kind) throw usageError(`${file}: kind must be ${kind} (got ${JSON.stringify(found)})`);
  return body as T;
}

export const readClusterFile = (file: string): ClusterSpec => readResourceFile<ClusterSpec>(file, 'Cluster');
