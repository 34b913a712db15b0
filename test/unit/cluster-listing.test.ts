import { answerJson } from '../../api/clusters/cluster-list';
import { acceptedListing, clusterListing } from '../../common/cluster-listing';
import type { ClusterStatus } from '../../common/cluster-status';
import { clusterListQuery, visibilityLiteral } from '../../common/search-attributes';
import { exampleSpec } from './fixtures';

describe('the cluster list query', () => {
  it('is the project’s live entities, narrowed by phase and region', () => {
    expect(clusterListQuery('team-a')).toBe('WorkflowType = "clusterEntity" AND ExecutionStatus = "Running" AND ClusterProject = "team-a" AND ClusterPhase != "Deleted"');
    expect(clusterListQuery('team-a', { phase: 'Failed', region: 'eu-west-1' })).toBe(
      'WorkflowType = "clusterEntity" AND ExecutionStatus = "Running" AND ClusterProject = "team-a" AND ClusterPhase != "Deleted" AND ClusterPhase = "Failed" AND CloudRegion = "eu-west-1"',
    );
  });

  it('never lets a quote, a space or a backslash into the query, whatever the caller checked before', () => {
    for (const value of ['Running" OR ClusterProject != "x', 'a\\"', "it's", 'two words', '']) {
      expect(() => visibilityLiteral(value)).toThrow(/refusing/);
      expect(() => clusterListQuery('default', { region: value })).toThrow(/refusing/);
    }
    expect(() => clusterListQuery('x" OR "1" = "1')).toThrow(/refusing/);
  });
});

describe('a cluster’s listing', () => {
  it('summarises the status: pools with their sizes, on-demand node counts, the running operation and the last error', () => {
    const spec = exampleSpec();
    const status: ClusterStatus = {
      name: 'demo',
      project: 'default',
      region: 'us-east-1',
      phase: 'Updating',
      network: { placement: 'dynamic', subnets: [], natGateways: [], securityGroups: {} },
      pools: spec.pools.map((p) => ({
        name: p.name,
        role: p.role,
        desired: p.size,
        instanceType: p.instanceType,
        capacity: p.capacity ?? { type: 'on-demand' },
        nodes: p.name === 'workers' ? [{ key: 'node/workers/0', instanceId: 'i-1', az: 'us-east-1a', instanceType: 'm5.large', lifecycle: 'on-demand', state: 'running', generation: 0 }] : [],
      })),
      currentOperation: { id: 'op-3-scale', type: 'scale' },
      lastError: 'scale failed: no capacity',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    expect(clusterListing(status)).toEqual({
      name: 'demo',
      project: 'default',
      region: 'us-east-1',
      phase: 'Updating',
      createdAt: '2026-01-01T00:00:00.000Z',
      pools: [
        { name: 'master', role: 'control-plane', instanceType: 'm5.large', capacity: { type: 'on-demand' }, desired: 3, nodes: 0 },
        { name: 'workers', role: 'worker', instanceType: 'm5.large', capacity: { type: 'on-demand' }, desired: 3, nodes: 1 },
        { name: 'spot', role: 'worker', instanceType: 'm5.xlarge', capacity: { type: 'spot', maxPricePercent: 60 }, desired: 2 },
      ],
      currentOperation: { id: 'op-3-scale', type: 'scale' },
      lastError: 'scale failed: no capacity',
    });
    // Nothing of the network or the nodes themselves: the list stays small.
    expect(JSON.stringify(clusterListing(status))).not.toMatch(/instanceId|subnet|i-1/);
  });

  it('lists a cluster just asked for as its spec says, creating', () => {
    expect(acceptedListing('team-a', exampleSpec({ name: 'new' }), '2026-01-01T00:00:00.000Z')).toMatchObject({
      name: 'new',
      project: 'team-a',
      phase: 'Provisioning',
      pools: [expect.objectContaining({ name: 'master', desired: 3, nodes: 0 }), expect.objectContaining({ name: 'workers', nodes: 0 }), expect.not.objectContaining({ nodes: expect.anything() })],
      currentOperation: { id: 'op-1-create', type: 'create' },
    });
  });
});

describe('a list answer as JSON text', () => {
  it('is what JSON.stringify gives the answer, built from its items’ own JSON', () => {
    const listings = [
      acceptedListing('team-a', exampleSpec({ name: 'one' }), '2026-01-01T00:00:00.000Z'),
      { ...acceptedListing('team-a', exampleSpec({ name: 'two "quoted" \\ \u2028' }), '2026-01-02T00:00:00.000Z'), lastError: 'create failed: "x"\n' },
    ];
    const json = listings.map((l) => JSON.stringify(l));
    for (const [items, texts, token] of [
      [listings, json, 'k1.abc_-'],
      [listings, json, undefined],
      [[], [], undefined],
      [listings.slice(0, 1), json.slice(0, 1), 'k"\\'],
    ] as const) {
      const text = answerJson(texts, token);
      expect(text).toBe(JSON.stringify({ items, nextPageToken: token }));
      expect(JSON.parse(text)).toEqual(token === undefined ? { items } : { items, nextPageToken: token });
    }
  });
});
