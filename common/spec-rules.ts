/**
 * The product's rules over a well-formed ClusterSpec (docs/api.md#spec-rules): breaking one is a 422
 * naming the rule. Pure: the API and the entity workflow's validators both use it.
 */
import { cidrProblem, overlaps, parseCidr } from './cidr';
import { ClusterSpec, CONTROL_PLANE_SIZES, MAX_AZS } from './cluster-spec';

export interface RuleProblem {
  field: string;
  rule: string;
  message: string;
}

/** AWS's limit on tags per resource (EC2, ELB, IAM, Secrets Manager alike). */
export const AWS_TAGS_PER_RESOURCE = 50;
/**
 * The most tags Clusterflow itself puts on one resource: resourceTags' four (Name,
 * kubernetes.io/cluster/<name>, clusterflow.io/cluster, clusterflow.io/resource) plus one
 * more on subnets (kubernetes.io/role/elb or internal-elb) and on instances and their
 * volumes (clusterflow.io/generation). test/unit/spec-rules.test.ts recounts them.
 */
export const OWN_TAGS_PER_RESOURCE_MAX = 5;
export const MAX_SPEC_TAGS = AWS_TAGS_PER_RESOURCE - OWN_TAGS_PER_RESOURCE_MAX;
/**
 * The strictest of the documented limits across the services we tag: IAM's and ELB's API
 * models say 128 and 256, but EC2's API reference caps keys at 127 and the ELB and Secrets
 * Manager guides say 127 and 255. Counted in Unicode characters, as AWS counts them.
 */
export const TAG_KEY_MAX = 127;
export const TAG_VALUE_MAX = 255;
/** IAM's and ELB's tag pattern: EC2 accepts more, but every tag goes to all three. */
const TAG_CHARACTER = /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u;
const TAG_CHARACTERS_IN_WORDS = 'letters, digits, spaces and _ . : / = + - @';
/** Keys Clusterflow sets itself, compared ignoring case because IAM's keys are case-insensitive. */
const RESERVED_TAG_KEYS = ['name'];
const RESERVED_TAG_PREFIXES = ['clusterflow.io/', 'kubernetes.io/'];

const characters = (text: string): string[] => [...text];
const startsWithAws = (text: string): boolean => text.toLowerCase().startsWith('aws:');

function refusedCharacters(text: string): string[] {
  return [...new Set(characters(text).filter((c) => !TAG_CHARACTER.test(c)))];
}

function describeCharacters(found: string[]): string {
  return found.map((c) => (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c) ? `"${c}"` : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)).join(', ');
}

/**
 * Which of the spec's tags AWS would refuse when a create is already under way, or which
 * would clash with Clusterflow's own. Each is a malformed `tags` field (400, like the DTO's
 * checks): the DTO cannot check a map key by key, so the checks live here, pure, where the
 * workflow can run them too.
 */
export function tagProblems(tags: Record<string, unknown> | undefined): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const entries = Object.entries(tags ?? {});
  if (entries.length > MAX_SPEC_TAGS) {
    problems.push({
      field: 'tags',
      rule: 'tag-count',
      message: `${entries.length} tags given; at most ${MAX_SPEC_TAGS}: AWS allows ${AWS_TAGS_PER_RESOURCE} per resource and Clusterflow puts up to ${OWN_TAGS_PER_RESOURCE_MAX} of its own on each`,
    });
  }
  const firstByLowerCase = new Map<string, string>();
  for (const [key, value] of entries) {
    const field = `tags.${key}`;
    const add = (rule: string, message: string) => problems.push({ field, rule, message });
    const lower = key.toLowerCase();

    if (characters(key).length === 0 || characters(key).length > TAG_KEY_MAX) add('tag-key-length', `tag keys must be 1–${TAG_KEY_MAX} characters (got ${characters(key).length})`);
    const badInKey = refusedCharacters(key);
    if (badInKey.length > 0) add('tag-characters', `the key has ${describeCharacters(badInKey)}, which IAM and ELB refuse in tags: use ${TAG_CHARACTERS_IN_WORDS}`);
    if (key.trim() !== key) add('tag-spaces', 'the key starts or ends with a space, which AWS asks tags not to');
    if (startsWithAws(key)) add('aws-prefix', `keys starting with aws: (in any case) are AWS's own`);
    if (RESERVED_TAG_KEYS.includes(lower) || RESERVED_TAG_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
      add('reserved-tag', `Clusterflow sets Name and the clusterflow.io/ and kubernetes.io/ tags itself (in any case: IAM's keys are case-insensitive)`);
    }
    const clash = firstByLowerCase.get(lower);
    if (clash !== undefined) add('unique-tag-keys', `the key differs from "${clash}" only in case; IAM's keys are case-insensitive, so it refuses both`);
    else firstByLowerCase.set(lower, key);

    if (typeof value !== 'string') {
      add('string', 'tag values must be strings');
      continue;
    }
    if (characters(value).length > TAG_VALUE_MAX) add('tag-value-length', `tag values must be at most ${TAG_VALUE_MAX} characters (got ${characters(value).length})`);
    const badInValue = refusedCharacters(value);
    if (badInValue.length > 0) add('tag-characters', `the value has ${describeCharacters(badInValue)}, which IAM and ELB refuse in tags: use ${TAG_CHARACTERS_IN_WORDS}`);
    if (value.trim() !== value) add('tag-spaces', 'the value starts or ends with a space, which AWS asks tags not to');
    if (startsWithAws(value)) add('aws-prefix', `values starting with aws: (in any case) are AWS's own`);
  }
  return problems;
}


export function specRuleProblems(spec: ClusterSpec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (field: string, rule: string, message: string) => problems.push({ field, rule, message });

  const controlPlanes = spec.pools.filter((p) => p.role === 'control-plane');
  if (controlPlanes.length !== 1) {
    add('pools', 'one-control-plane-pool', `exactly one pool must have role "control-plane" (found ${controlPlanes.length})`);
  }
  spec.pools.forEach((pool, i) => {
    if (pool.role === 'control-plane' && !(CONTROL_PLANE_SIZES as readonly number[]).includes(pool.size)) {
      add(`pools.${i}.size`, 'control-plane-size', `the control-plane pool must have 1, 3 or 5 nodes (got ${pool.size})`);
    }
    if (pool.role === 'control-plane' && pool.capacity?.type === 'spot') {
      add(`pools.${i}.capacity`, 'control-plane-on-demand', 'the control-plane pool runs on on-demand capacity only');
    }
    if (new Set(pool.azs).size !== pool.azs.length) add(`pools.${i}.azs`, 'unique-azs', `pool "${pool.name}" lists an AZ twice`);
    pool.azs.forEach((az, j) => {
      if (!az.startsWith(spec.cloud.region)) add(`pools.${i}.azs.${j}`, 'az-in-region', `AZ ${az} is not in region ${spec.cloud.region}`);
    });
    if (spec.pools.findIndex((p) => p.name === pool.name) !== i) add(`pools.${i}.name`, 'unique-pool-names', `pool name "${pool.name}" is used twice`);
  });

  const azs = [...new Set(spec.pools.flatMap((p) => p.azs))];
  if (azs.length > MAX_AZS) add('pools', 'at-most-8-azs', `the pools use ${azs.length} AZs; at most ${MAX_AZS}`);

  const placement = spec.cloud.placement;
  if (placement.type === 'dynamic') {
    const vpc = parseCidr(placement.vpcCidr);
    const problem = cidrProblem(placement.vpcCidr);
    if (problem) add('cloud.placement.vpcCidr', 'cidr', problem);
    else if (vpc && (vpc.prefix < 16 || vpc.prefix > 24)) {
      add('cloud.placement.vpcCidr', 'vpc-cidr-size', `the VPC CIDR must be between /16 and /24 (got /${vpc.prefix})`);
    }
  } else {
    for (const az of azs) {
      if (!placement.subnets.some((s) => s.az === az)) {
        add('cloud.placement.subnets', 'static-subnets-per-az', `AZ ${az} is used by a pool but has no subnets in cloud.placement.subnets`);
      }
    }
    placement.subnets.forEach((s, i) => {
      if (!s.az.startsWith(spec.cloud.region)) add(`cloud.placement.subnets.${i}.az`, 'az-in-region', `AZ ${s.az} is not in region ${spec.cloud.region}`);
    });
  }

  (spec.cloud.bastionSshCidrs ?? []).forEach((cidr, i) => {
    // Host bits are refused, not rounded away: `203.0.113.5/24` is either one address with the
    // wrong prefix or a network with a typo, and guessing the network opens SSH wider.
    const problem = cidrProblem(cidr);
    if (problem) add(`cloud.bastionSshCidrs.${i}`, 'cidr', problem);
  });

  const overridesK8s = spec.profile.overrides?.kubernetes as { podCIDR?: unknown; serviceCIDR?: unknown } | undefined;
  const pod = typeof overridesK8s?.podCIDR === 'string' ? overridesK8s.podCIDR : undefined;
  const service = typeof overridesK8s?.serviceCIDR === 'string' ? overridesK8s.serviceCIDR : undefined;
  for (const [name, value] of [['podCIDR', pod], ['serviceCIDR', service]] as const) {
    const problem = value === undefined ? undefined : cidrProblem(value);
    if (problem) add(`profile.overrides.kubernetes.${name}`, 'cidr', problem);
  }
  if (placement.type === 'dynamic' && pod) {
    const [vpc, podNet] = [parseCidr(placement.vpcCidr), parseCidr(pod)];
    if (vpc && podNet && overlaps(vpc, podNet)) {
      add('profile.overrides.kubernetes.podCIDR', 'pod-cidr-outside-vpc', `the pod CIDR ${pod} overlaps the VPC CIDR ${placement.vpcCidr}`);
    }
  }
  return problems;
}
