import { loadBalancerName } from '../../activities/load-balancer';
import { nodeRoleName } from '../../activities/node-role';
import { controlPlaneSecretName, joinSecretName } from '../../activities/secrets';
import { securityGroupName } from '../../activities/security-groups';
import { clusterRef, resourceTags, type Owner } from '../../common/tags';
import { mulberry32 } from '../../common/seeded-random';
import { nodeHostname } from '../../workflows/bootstrap';

/**
 * Every AWS name derived from a cluster's name fits its service's rules for every legal
 * cluster name (a DNS label of 1–63 characters). Random names from a printed seed, plus the
 * edges: the longest name, names that differ only at the end, a name starting with `sg-`.
 */
const SEED = Number(process.env.NAMES_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = 2000;


const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const INNER = `${LETTERS}0123456789-`;

function legalName(next: () => number): string {
  // Long names are where limits break: half of them 50–63 characters.
  const length = next() < 0.5 ? 50 + Math.floor(next() * 14) : 1 + Math.floor(next() * 63);
  const pick = (alphabet: string) => alphabet[Math.floor(next() * alphabet.length)];
  if (length === 1) return pick(LETTERS);
  let name = pick(LETTERS);
  for (let i = 1; i < length - 1; i++) name += pick(INNER);
  return name + pick(`${LETTERS}0123456789`);
}

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

function ownerOf(name: string, project = 'default'): Owner {
  return { cluster: clusterRef(project, name), clusterName: name, extraTags: {} };
}

function problemsOf(name: string): string[] {
  const owner = ownerOf(name);
  const problems: string[] = [];
  const check = (what: string, value: string, max: number, pattern: RegExp, extra?: (v: string) => string | undefined) => {
    if (value.length > max) problems.push(`${what} "${value}" has ${value.length} characters (at most ${max})`);
    if (!pattern.test(value)) problems.push(`${what} "${value}" does not match ${pattern}`);
    const more = extra?.(value);
    if (more) problems.push(`${what} "${value}": ${more}`);
  };
  for (const audience of ['worker', 'control-plane'] as const) check(`IAM role/instance profile (${audience})`, nodeRoleName(owner, audience), 64, /^[\w+=,.@-]+$/);
  check('classic load balancer', loadBalancerName(owner, 'lb/api'), 32, /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/);
  for (const key of ['sg/bastion', 'sg/nodes', 'sg/control-plane', 'sg/lb']) {
    check(`security group ${key}`, securityGroupName(owner, key), 255, /^[\x20-\x7e]+$/, (v) => (/^sg-/i.test(v) ? 'starts with sg-' : undefined));
  }
  for (const secret of [joinSecretName(owner), controlPlaneSecretName(owner)]) check('secret', secret, 512, /^[A-Za-z0-9/_+=.@-]+$/);
  for (const [key, value] of Object.entries(resourceTags(owner, 'node/a-pool-with-a-name-of-sixty-three-characters-xxxxxxxxxxxxxxxxx/99', 'private-subnet'))) {
    if (key.length > 128) problems.push(`tag key "${key}" has ${key.length} characters (at most 128)`);
    if (value.length > 256) problems.push(`tag value of ${key} has ${value.length} characters (at most 256)`);
  }
  return problems;
}

describe(`AWS names derived from cluster names (seed ${SEED}; rerun with NAMES_SEED=${SEED})`, () => {
  it('the generator makes only legal cluster names, long ones among them', () => {
    const next = mulberry32(SEED);
    const names = Array.from({ length: 200 }, () => legalName(next));
    for (const name of names) expect(name).toMatch(DNS_LABEL);
    expect(names.some((n) => n.length === 63 || n.length >= 60)).toBe(true);
  });

  it('fit every service limit for the edges and for random legal names', () => {
    const next = mulberry32(SEED);
    const edges = ['a', 'a'.repeat(63), `sg-${'x'.repeat(60)}`, 'sg-1', `${'b'.repeat(62)}1`, 'a-b'];
    const failures = [...edges, ...Array.from({ length: ROUNDS }, () => legalName(next))].flatMap(problemsOf);
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('give every node a hostname that is a DNS label, distinct per pool and index, for pool names up to 63 characters', () => {
    const next = mulberry32(SEED + 2);
    const seen = new Map<string, string>();
    for (let i = 0; i < ROUNDS; i++) {
      const key = `node/${legalName(next)}/${Math.floor(next() * 100)}`;
      const hostname = nodeHostname(key);
      expect(hostname).toMatch(DNS_LABEL);
      if (seen.has(hostname)) expect(seen.get(hostname)).toBe(key);
      seen.set(hostname, key);
    }
    const long = 'p'.repeat(62);
    expect(nodeHostname(`node/${long}a/7`)).not.toBe(nodeHostname(`node/${long}b/7`));
    expect(nodeHostname('node/workers/3')).toBe('node-workers-3');
  });

  it('keep two clusters apart, even when their names share the first 62 characters or their projects differ', () => {
    const next = mulberry32(SEED + 1);
    for (let i = 0; i < 200; i++) {
      const a = legalName(next).padEnd(63, 'a').slice(0, 62);
      const [one, two] = [ownerOf(`${a}1`), ownerOf(`${a}2`)];
      expect(nodeRoleName(one, 'worker')).not.toBe(nodeRoleName(two, 'worker'));
      expect(nodeRoleName(one, 'worker')).not.toBe(nodeRoleName(one, 'control-plane'));
      expect(loadBalancerName(one, 'lb/api')).not.toBe(loadBalancerName(two, 'lb/api'));
      expect(nodeRoleName(ownerOf(a, 'p1'), 'worker')).not.toBe(nodeRoleName(ownerOf(a, 'p2'), 'worker'));
    }
  });
});
