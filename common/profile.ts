/**
 * A profile's packs with the user's overrides applied, reduced to what provisioning needs.
 * Overrides are keyed by pack name and merged into that pack's values:
 * `{"kubernetes": {"podCIDR": "192.168.0.0/16"}}`.
 */
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

export class ProfileError extends Error {}

function stringValue(pack: PackLike, key: string, fallback?: string): string {
  const value = pack.values[key];
  if (typeof value === 'string' && value.length > 0) return value;
  if (fallback !== undefined) return fallback;
  throw new ProfileError(`pack "${pack.name}" needs a string value "${key}"`);
}

export function resolveProfile(profileId: string, packs: PackLike[], overrides: Record<string, unknown> = {}): ResolvedProfile {
  for (const name of Object.keys(overrides)) {
    if (!packs.some((p) => p.name === name)) {
      throw new ProfileError(`profile.overrides.${name}: the profile has no pack named "${name}" (packs: ${packs.map((p) => p.name).join(', ')})`);
    }
    const value = overrides[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ProfileError(`profile.overrides.${name}: must be an object of values for that pack`);
    }
  }
  const merged = packs.map((p) => ({ ...p, values: { ...p.values, ...((overrides[p.name] as Record<string, unknown>) ?? {}) } }));
  const byLayer = (layer: string) => merged.find((p) => p.layer === layer);
  const os = byLayer('os');
  const k8s = byLayer('k8s');
  if (!os || !k8s) throw new ProfileError('the profile needs an "os" and a "k8s" pack');
  const cni = byLayer('cni');
  return {
    profileId,
    kubernetesVersion: k8s.version,
    podCIDR: stringValue(k8s, 'podCIDR', '192.168.0.0/16'),
    serviceCIDR: stringValue(k8s, 'serviceCIDR', '10.96.0.0/12'),
    cni: cni ? { name: cni.name, version: cni.version } : { name: 'none', version: '' },
    image: { owner: stringValue(os, 'amiOwner'), namePattern: stringValue(os, 'amiNamePattern') },
    packs: merged,
  };
}
