/**
 * A profile's packs with the user's overrides applied, reduced to what provisioning needs.
 * Overrides are keyed by pack name and merged into that pack's values:
 * `{"kubernetes": {"podCIDR": "192.168.0.0/16"}}`. Packs and overrides are checked against
 * pack-schemas first, so everything resolved is in its pack's grammar.
 */
import { packProblems, PackProblem, packValueProblems } from './pack-schemas';

export interface PackLike {
  name: string;
  layer: string;
  version: string;
  values: Record<string, unknown>;
}

export interface ResolvedProfile {
  profileId: string;
  kubernetesVersion: string;
  podCIDR: string;
  serviceCIDR: string;
  cni: { name: string; version: string };
  image: { owner: string; namePattern: string };
  /** The packs after overrides, for the record. */
  packs: PackLike[];
}

/** The profile does not resolve; `problems` name the field and rule of each reason. */
export class ProfileError extends Error {
  constructor(readonly problems: PackProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

/** Reads `key` of a merged pack; a missing value with no fallback is added to `missing`. */
function requiredValue(pack: PackLike, key: string, missing: PackProblem[], fallback?: string): string {
  const value = pack.values[key];
  if (typeof value === 'string' && value.length > 0) return value;
  if (fallback !== undefined) return fallback;
  missing.push({ field: `profile.overrides.${pack.name}.${key}`, rule: 'required-pack-value', message: `pack "${pack.name}" needs a value "${key}": set it in the profile or in profile.overrides.${pack.name}.${key}` });
  return '';
}

function overrideProblems(packs: PackLike[], overrides: Record<string, unknown>): PackProblem[] {
  return Object.entries(overrides).flatMap(([name, value]): PackProblem[] => {
    const field = `profile.overrides.${name}`;
    if (!packs.some((p) => p.name === name)) {
      return [{ field, rule: 'pack-in-profile', message: `the profile has no pack named "${name}" (packs: ${packs.map((p) => p.name).join(', ')})` }];
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return [{ field, rule: 'object', message: 'must be an object of values for that pack' }];
    }
    return packValueProblems(name, value as Record<string, unknown>, field);
  });
}

export function resolveProfile(profileId: string, packs: PackLike[], overrides: Record<string, unknown> = {}): ResolvedProfile {
  // A stored profile may predate a grammar: its packs are checked again, not trusted.
  const stored = packs.flatMap((pack, i) => packProblems(pack, `packs.${i}`)).map((p) => ({ field: 'profile.id', rule: p.rule, message: `cluster profile ${profileId}: ${p.field}: ${p.message}` }));
  const problems = [...stored, ...(stored.length > 0 ? [] : overrideProblems(packs, overrides))];
  if (problems.length > 0) throw new ProfileError(problems);
  const merged = packs.map((p) => ({ ...p, values: { ...p.values, ...((overrides[p.name] as Record<string, unknown>) ?? {}) } }));
  const byLayer = (layer: string) => merged.find((p) => p.layer === layer);
  const os = byLayer('os');
  const k8s = byLayer('k8s');
  if (!os || !k8s) throw new ProfileError([{ field: 'profile.id', rule: 'os-and-k8s-packs', message: `cluster profile ${profileId} needs an "os" and a "k8s" pack` }]);
  const cni = byLayer('cni');
  const missing: PackProblem[] = [];
  const resolved: ResolvedProfile = {
    profileId,
    kubernetesVersion: k8s.version,
    podCIDR: requiredValue(k8s, 'podCIDR', missing, '192.168.0.0/16'),
    serviceCIDR: requiredValue(k8s, 'serviceCIDR', missing, '10.96.0.0/12'),
    cni: cni ? { name: cni.name, version: cni.version } : { name: 'none', version: '' },
    image: { owner: requiredValue(os, 'amiOwner', missing), namePattern: requiredValue(os, 'amiNamePattern', missing) },
    packs: merged,
  };
  if (missing.length > 0) throw new ProfileError(missing);
  return resolved;
}

/** The profile with another Kubernetes version, its k8s pack kept in step so the record stays true. */
export function withKubernetesVersion(profile: ResolvedProfile, version: string): ResolvedProfile {
  return { ...profile, kubernetesVersion: version, packs: profile.packs.map((p) => (p.layer === 'k8s' ? { ...p, version } : p)) };
}
