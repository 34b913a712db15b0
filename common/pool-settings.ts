/**
 * The settings a specialised pool needs (docs/api.md#pool-settings): Kubernetes labels and
 * taints its nodes register with, and their root volume. Each is checked here, pure, as
 * Kubernetes and EC2 would check it once a node boots: a label the kubelet may not set, or a
 * volume EC2 would not make, is a malformed field (400) before anything starts, not a node
 * that never joins.
 */
import { MAX_ROOT_VOLUME_GIB, MIN_ROOT_VOLUME_GIB, ROOT_VOLUME_TYPES, TAINT_EFFECTS, type PoolSpec, type Taint } from './cluster-spec';
import type { RuleProblem } from './spec-rules';

/** Enough for any scheduling scheme; bounds the node's user data (16 KB at most). */
export const MAX_POOL_LABELS = 64;
export const MAX_POOL_TAINTS = 32;

/** Kubernetes' qualified name: the part after the prefix, or the whole key. */
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** A DNS subdomain, the optional prefix of a key. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The NodeRestriction admission plugin lets a kubelet set labels under kubernetes.io and
 * k8s.io only in these two namespaces (the well-known ones it sets itself); any other there,
 * node-role.kubernetes.io/* included, fails the node's registration.
 */
const KUBELET_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function inNamespace(prefix: string, domain: string): boolean {
  return prefix === domain || prefix.endsWith(`.${domain}`);
}

/** What is wrong with a label or taint key, if anything (Kubernetes' qualified-name rules). */
function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) return `the prefix "${prefix}" must be a DNS subdomain (lower-case letters, digits, dashes and dots, at most 253)`;
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return 'the name (after any prefix/) must be 1–63 letters, digits, dashes, underscores or dots, starting and ending with a letter or digit';
  }
  return undefined;
}

function valueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) return 'must be empty or 1–63 letters, digits, dashes, underscores or dots, starting and ending with a letter or digit';
  return undefined;
}

function labelProblems(labels: unknown, field: string): RuleProblem[] {
  if (labels === undefined) return [];
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return [{ field, rule: 'labels-object', message: `${field} must be an object of label keys to values` }];
  const entries = Object.entries(labels);
  const problems: RuleProblem[] = [];
  if (entries.length > MAX_POOL_LABELS) problems.push({ field, rule: 'labels-count', message: `${field} has ${entries.length} labels; at most ${MAX_POOL_LABELS}` });
  for (const [key, value] of entries) {
    const at = `${field}.${key}`;
    const badKey = keyProblem(key);
    if (badKey) problems.push({ field: at, rule: 'label-key', message: `label key "${key}": ${badKey}` });
    const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
    if (!badKey && (inNamespace(prefix, 'kubernetes.io') || inNamespace(prefix, 'k8s.io')) && !KUBELET_NAMESPACES.some((ns) => inNamespace(prefix, ns))) {
      problems.push({
        field: at,
        rule: 'label-kubelet-namespace',
        message: `label key "${key}": a kubelet may not register labels under kubernetes.io or k8s.io except ${KUBELET_NAMESPACES.map((n) => `${n}/`).join(' and ')} (NodeRestriction); the node would fail to join`,
      });
    }
    const badValue = valueProblem(value);
    if (badValue) problems.push({ field: at, rule: 'label-value', message: `label "${key}" value ${badValue}` });
  }
  return problems;
}

function taintProblems(taints: unknown, field: string, reserved: Taint[]): RuleProblem[] {
  if (taints === undefined) return [];
  if (!Array.isArray(taints)) return [{ field, rule: 'taints-array', message: `${field} must be an array of {key, value?, effect}` }];
  const problems: RuleProblem[] = [];
  if (taints.length > MAX_POOL_TAINTS) problems.push({ field, rule: 'taints-count', message: `${field} has ${taints.length} taints; at most ${MAX_POOL_TAINTS}` });
  const seen = new Set(reserved.map((t) => `${t.key}:${t.effect}`));
  taints.forEach((taint: Partial<Taint> | null, i) => {
    const at = `${field}.${i}`;
    if (taint === null || typeof taint !== 'object') {
      problems.push({ field: at, rule: 'taint-object', message: `${at} must be {key, value?, effect}` });
      return;
    }
    const badKey = typeof taint.key === 'string' ? keyProblem(taint.key) : 'must be a string';
    if (badKey) problems.push({ field: `${at}.key`, rule: 'taint-key', message: `taint key "${String(taint.key)}": ${badKey}` });
    if (taint.value !== undefined) {
      const badValue = valueProblem(taint.value);
      if (badValue) problems.push({ field: `${at}.value`, rule: 'taint-value', message: `taint "${String(taint.key)}" value ${badValue}` });
    }
    if (!(TAINT_EFFECTS as readonly unknown[]).includes(taint.effect)) {
      problems.push({ field: `${at}.effect`, rule: 'taint-effect', message: `taint effect must be one of ${TAINT_EFFECTS.join(', ')} (got ${JSON.stringify(taint.effect)})` });
    }
    const id = `${String(taint.key)}:${String(taint.effect)}`;
    if (seen.has(id)) problems.push({ field: at, rule: 'unique-taints', message: `taint ${taint.key} with effect ${taint.effect} is given twice (or is the control plane's own)` });
    seen.add(id);
  });
  return problems;
}

function rootVolumeProblems(volume: unknown, field: string): RuleProblem[] {
  if (volume === undefined) return [];
  if (volume === null || typeof volume !== 'object') return [{ field, rule: 'root-volume-object', message: `${field} must be {sizeGiB, type}` }];
  const { sizeGiB, type } = volume as Record<string, unknown>;
  const problems: RuleProblem[] = [];
  if (typeof sizeGiB !== 'number' || !Number.isInteger(sizeGiB) || sizeGiB < MIN_ROOT_VOLUME_GIB || sizeGiB > MAX_ROOT_VOLUME_GIB) {
    problems.push({ field: `${field}.sizeGiB`, rule: 'root-volume-size', message: `${field}.sizeGiB must be a whole number of GiB from ${MIN_ROOT_VOLUME_GIB} to ${MAX_ROOT_VOLUME_GIB} (got ${JSON.stringify(sizeGiB)})` });
  }
  if (!(ROOT_VOLUME_TYPES as readonly unknown[]).includes(type)) {
    problems.push({ field: `${field}.type`, rule: 'root-volume-type', message: `${field}.type must be one of ${ROOT_VOLUME_TYPES.join(', ')} (got ${JSON.stringify(type)})` });
  }
  return problems;
}

/** The taints every node of a pool gets whatever its spec says: the control plane's own, unless it runs workloads. */
export function builtInTaints(pool: Pick<PoolSpec, 'role' | 'allowWorkerCapability'>): Taint[] {
  return pool.role === 'control-plane' && !pool.allowWorkerCapability ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [];
}

/** Every problem of a pool's labels, taints and root volume; `field` is where the pool sits in the request (`pools.2`, or '' for a PATCH body). */
export function poolSettingsProblems(pool: Pick<PoolSpec, 'role' | 'allowWorkerCapability' | 'labels' | 'taints' | 'rootVolume'>, field: string): RuleProblem[] {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  return [...labelProblems(pool.labels, at('labels')), ...taintProblems(pool.taints, at('taints'), builtInTaints(pool)), ...rootVolumeProblems(pool.rootVolume, at('rootVolume'))];
}
