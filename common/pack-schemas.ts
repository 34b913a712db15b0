/**
 * The packs Clusterflow knows, in one place: each pack's layer, its version grammar, and the
 * type of every value it takes. Pack versions and values end up in a node's boot documents
 * (the kubeadm configuration, a shell environment file) and in AWS filters, so each must be a
 * token of a known grammar, never free text. A pack that is not described here has no grammar
 * to check it against and is refused: nothing reaches a node unchecked, and an operator does
 * not get a pack that silently does nothing. Pure: workflow code imports it through profile.ts.
 */
import { parseCidr } from './cidr';

export const PACK_LAYERS = ['os', 'k8s', 'cni', 'csi', 'addon'] as const;
export type PackLayer = (typeof PACK_LAYERS)[number];

/** One problem with a pack, in the API's shape: which field, which rule, in words. */
export interface PackProblem {
  field: string;
  rule: string;
  message: string;
}

export interface Grammar {
  /** The rule a value breaking this grammar is refused under. */
  rule: string;
  /** What the grammar accepts, for the message and the API docs. */
  describe: string;
  accepts(value: string): boolean;
}

export interface PackSchema {
  layer: PackLayer;
  version: Grammar;
  values: Readonly<Record<string, Grammar>>;
}

/** The refused value as the message quotes it: JSON-escaped, so a newline shows as `\n`, and cut short. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function pattern(rule: string, describe: string, regex: RegExp): Grammar {
  return { rule, describe, accepts: (value) => regex.test(value) };
}

// Numbers without leading zeros: `1.031.4` is a typo, not a release.
const N = '(0|[1-9]\\d{0,3})';
const RELEASE = new RegExp(`^v?${N}\\.${N}\\.${N}$`);

function release(project: string, example: string): Grammar {
  return pattern('pack-version', `a ${project} release, X.Y.Z or vX.Y.Z (e.g. ${example})`, RELEASE);
}

const CIDR: Grammar = {
  rule: 'cidr',
  describe: 'an IPv4 network in CIDR notation (e.g. 10.96.0.0/12)',
  accepts: (value) => parseCidr(value) !== undefined,
};

const DNS_LABEL = pattern('dns-label', 'a DNS label: lower-case letters, digits and dashes, 1–63, starting and ending with a letter or digit', /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);

const AMI_OWNER = pattern('ami-owner', 'a 12-digit AWS account id, "amazon" or "aws-marketplace"', /^(\d{12}|amazon|aws-marketplace)$/);

// AMI names allow a few more characters (spaces, quotes); patterns here never need them.
const AMI_NAME_PATTERN = pattern('ami-name-pattern', 'an AMI name pattern: 3–128 letters, digits and . _ - / ( ) [ ] @, with * and ? as wildcards', /^[A-Za-z0-9._\-/()[\]@*?]{3,128}$/);

const KNOWN_PACKS: ReadonlyMap<string, PackSchema> = new Map<string, PackSchema>([
  [
    'ubuntu',
    {
      layer: 'os',
      version: pattern('pack-version', 'an Ubuntu release, YY.04 or YY.10, optionally with its point release (e.g. 22.04, 22.04.5)', /^\d{2}\.(04|10)(\.[1-9]\d?)?$/),
      values: { amiOwner: AMI_OWNER, amiNamePattern: AMI_NAME_PATTERN },
    },
  ],
  [
    'kubernetes',
    {
      layer: 'k8s',
      // kubeadm is given `v` + this, so the version itself carries no `v`.
      version: pattern('pack-version', 'a Kubernetes release, 1.MINOR.PATCH without a leading v (e.g. 1.31.4)', /^1\.(0|[1-9]\d?)\.(0|[1-9]\d{0,2})$/),
      values: { podCIDR: CIDR, serviceCIDR: CIDR },
    },
  ],
  ['calico', { layer: 'cni', version: release('Calico', '3.29.1'), values: {} }],
  ['cilium', { layer: 'cni', version: release('Cilium', '1.16.5'), values: {} }],
  // The default StorageClass is a Kubernetes object, named by a DNS label (e.g. gp3).
  ['aws-ebs-csi', { layer: 'csi', version: release('AWS EBS CSI driver', '1.38.1'), values: { defaultStorageClass: DNS_LABEL } }],
]);

export function packSchema(name: string): PackSchema | undefined {
  return KNOWN_PACKS.get(name);
}

/** `ubuntu (os), kubernetes (k8s), …`: what to name when refusing an unknown pack. */
export function knownPacksText(): string {
  return [...KNOWN_PACKS].map(([name, schema]) => `${name} (${schema.layer})`).join(', ');
}

/** Each known pack with its version grammar and value keys, for the API docs. */
export function packGrammarsText(): string {
  return [...KNOWN_PACKS]
    .map(([name, s]) => {
      const values = Object.entries(s.values).map(([key, grammar]) => `${key}: ${grammar.describe}`);
      return `${name} (${s.layer}): version ${s.version.describe}; values ${values.length > 0 ? values.join('; ') : 'none'}`;
    })
    .join('. ');
}

/**
 * The problems with one pack's values: unknown keys, values that are not strings, and strings
 * outside their key's grammar. `field` is where the values sit in the request
 * (`packs.1.values`, `profile.overrides.kubernetes`). The pack must be known.
 */
export function packValueProblems(packName: string, values: Record<string, unknown>, field: string): PackProblem[] {
  const schema = KNOWN_PACKS.get(packName);
  if (!schema) throw new Error(`packValueProblems: "${packName}" is not a known pack`);
  return Object.entries(values).flatMap(([key, value]): PackProblem[] => {
    const at = `${field}.${key}`;
    const grammar = Object.prototype.hasOwnProperty.call(schema.values, key) ? schema.values[key] : undefined;
    if (!grammar) {
      const known = Object.keys(schema.values);
      const takes = known.length > 0 ? `takes only ${known.join(', ')}` : 'takes no values';
      return [{ field: at, rule: 'known-pack-value', message: `pack "${packName}" has no value "${key}" (it ${takes})` }];
    }
    if (typeof value !== 'string') {
      return [{ field: at, rule: 'string', message: `pack "${packName}" value "${key}" must be a string: ${grammar.describe}` }];
    }
    if (!grammar.accepts(value)) {
      return [{ field: at, rule: grammar.rule, message: `pack "${packName}" value "${key}" must be ${grammar.describe}; got ${shown(value)}` }];
    }
    return [];
  });
}

/** The problems with one pack of a profile (`field` is its place, e.g. `packs.1`): known, in its layer, its version and values in grammar. */
export function packProblems(pack: { name: string; layer: string; version: string; values: Record<string, unknown> }, field: string): PackProblem[] {
  const schema = KNOWN_PACKS.get(pack.name);
  if (!schema) {
    return [{ field: `${field}.name`, rule: 'known-pack', message: `no pack named "${pack.name}" is known; the known packs are ${knownPacksText()}` }];
  }
  const problems: PackProblem[] = [];
  if (pack.layer !== schema.layer) {
    problems.push({ field: `${field}.layer`, rule: 'pack-layer', message: `pack "${pack.name}" belongs to layer "${schema.layer}", not "${pack.layer}"` });
  }
  if (!schema.version.accepts(pack.version)) {
    problems.push({ field: `${field}.version`, rule: schema.version.rule, message: `pack "${pack.name}" version must be ${schema.version.describe}; got ${shown(pack.version)}` });
  }
  return [...problems, ...packValueProblems(pack.name, pack.values, `${field}.values`)];
}
