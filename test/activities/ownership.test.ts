import { clientToken, isOwned, ownedFilters, tagSpecifications } from '../../activities/ownership';
import { pollIntervalMs } from '../../activities/polling';

const owner = { cluster: 'default/demo', clusterName: 'demo', extraTags: { team: 'infra', 'clusterflow.io/cluster': 'spoofed' } };

describe('ownership helpers', () => {
  it('client tokens are deterministic, 64 characters, and differ for any differing part', () => {
    const token = clientToken('instance', 'default/demo', 'node/workers/0', 0);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(clientToken('instance', 'default/demo', 'node/workers/0', 0)).toBe(token);
    expect(clientToken('instance', 'default/demo', 'node/workers/0', 1)).not.toBe(token);
    expect(clientToken('instance', 'other/demo', 'node/workers/0', 0)).not.toBe(token);
    // Parts are separated, so moving a character between parts changes the token.
    expect(clientToken('ab', 'c')).not.toBe(clientToken('a', 'bc'));
  });

  it('tags at creation with the ownership tags winning over a spec tag of the same name', () => {
    const [spec] = tagSpecifications(['subnet'], owner, 'subnet/public/us-east-1a', 'public-subnet');
    const tags = Object.fromEntries((spec.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(spec.ResourceType).toBe('subnet');
    expect(tags).toEqual({
      team: 'infra',
      'clusterflow.io/cluster': 'default/demo',
      'clusterflow.io/resource': 'subnet/public/us-east-1a',
      Name: 'demo-subnet-public-us-east-1a',
      'kubernetes.io/cluster/demo': 'owned',
      'kubernetes.io/role/elb': '1',
    });
    expect(ownedFilters(owner, 'vpc')).toEqual([
      { Name: 'tag:clusterflow.io/cluster', Values: ['default/demo'] },
      { Name: 'tag:clusterflow.io/resource', Values: ['vpc'] },
    ]);
  });

  it('isOwned needs the cluster tag, and the resource tag when a key is given', () => {
    const tags = [
      { Key: 'clusterflow.io/cluster', Value: 'default/demo' },
      { Key: 'clusterflow.io/resource', Value: 'vpc' },
    ];
    expect(isOwned(tags, owner, 'vpc')).toBe(true);
    expect(isOwned(tags, owner)).toBe(true);
    expect(isOwned(tags, owner, 'igw')).toBe(false);
    expect(isOwned(tags, { ...owner, cluster: 'default/demo2' })).toBe(false);
    expect(isOwned(undefined, owner)).toBe(false);
  });

  it('reads the poll interval from CLUSTERFLOW_AWS_POLL_MS, defaulting to 1 s', () => {
    expect(pollIntervalMs({})).toBe(1000);
    expect(pollIntervalMs({ CLUSTERFLOW_AWS_POLL_MS: '150' })).toBe(150);
    expect(pollIntervalMs({ CLUSTERFLOW_AWS_POLL_MS: 'soon' })).toBe(1000);
  });
});
