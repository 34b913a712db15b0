import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { ClusterStatus, PoolStatus } from '../../common/cluster-status';
import { buildProgram } from '../../cli/main';
import { completionScript } from '../../cli/commands/completion';
import { configPath, resolveServer, writeConfigFile } from '../../cli/config';
import { diffCluster, renderDiff } from '../../cli/diff';
import type { OperationView } from '../../cli/render/operation';
import { summary } from '../../cli/render/operation';
import { frameLines } from '../../cli/render/progress';

/** The CLI's pure parts; the binary itself runs against the real stack in test/e2e/cli.test.ts. */
describe('clusterflow CLI pieces', () => {
  describe('config', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-cli-unit-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
      expect(configPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/clusterflow/config.yaml');
      expect(configPath({ HOME: '/h' })).toBe('/h/.config/clusterflow/config.yaml');
    });

    it('is written 0600 in a 0700 folder, and flags beat the environment, which beats the file', () => {
      const env = { XDG_CONFIG_HOME: dir };
      writeConfigFile({ url: 'http://file:1', token: 'file-token' }, configPath(env));
      expect(fs.statSync(configPath(env)).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(configPath(env))).mode & 0o777).toBe(0o700);
      expect(resolveServer({}, env)).toEqual({ url: 'http://file:1', token: 'file-token' });
      expect(resolveServer({}, { ...env, CLUSTERFLOW_URL: 'http://env:2/', CLUSTERFLOW_TOKEN: 't' })).toEqual({ url: 'http://env:2', token: 't' });
      expect(resolveServer({ url: 'http://flag:3', project: 'p' }, { ...env, CLUSTERFLOW_URL: 'http://env:2' })).toEqual({ url: 'http://flag:3', token: 'file-token', project: 'p' });
      expect(() => resolveServer({}, { XDG_CONFIG_HOME: path.join(dir, 'none') })).toThrow(/clusterflow login/);
    });
  });

  describe('apply diff', () => {
    const pool = (name: string, role: PoolStatus['role'], desired: number, extra: Partial<PoolStatus> = {}): PoolStatus => ({
      name,
      role,
      desired,
      instanceType: 'm5.large',
      capacity: { type: 'on-demand' },
      rootVolume: { sizeGiB: 80, type: 'gp3' },
      nodes: [],
      ...extra,
    });
    const status = { name: 'demo', project: 'default', region: 'us-east-1', phase: 'Running', network: { placement: 'dynamic', subnets: [], natGateways: [], securityGroups: {} }, pools: [pool('cp', 'control-plane', 1), pool('old', 'worker', 2), pool('w', 'worker', 1, { labels: { a: 'b' } })] } as ClusterStatus;
    const spec = (pools: ClusterSpec['pools']): ClusterSpec => ({ name: 'demo', profile: { id: 'aws-default' }, cloud: { accountId: 'a', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } }, pools });
    const cp = { name: 'cp', role: 'control-plane' as const, size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] };

    it('adds first, changes next, removes last; a file without settings of its own keeps the root volume', () => {
      const changes = diffCluster(
        spec([cp, { name: 'w', role: 'worker', size: 3, instanceType: 'c5.large', azs: ['us-east-1a'] }, { name: 'new', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] }]),
        status,
      );
      expect(changes.map((c) => [c.method, c.path, c.body])).toEqual([
        ['POST', '/v1/clusters/demo/pools', expect.objectContaining({ name: 'new' })],
        ['PATCH', '/v1/clusters/demo/pools/w', { size: 3, instanceType: 'c5.large', labels: {} }],
        ['DELETE', '/v1/clusters/demo/pools/old', undefined],
      ]);
      expect(renderDiff('demo', changes)).toBe(
        ['cluster demo:', '  + pool new: worker, 1 × m5.large in us-east-1a', '  ~ pool w', '      size: 1 → 3', '      instanceType: m5.large → c5.large', '      labels: {"a":"b"} → {}', '  - pool old: worker, 0 nodes terminated'].join('\n'),
      );
    });

    it('refuses what a running cluster cannot change instead of applying half', () => {
      expect(() => diffCluster(spec([{ ...cp, capacity: { type: 'spot', maxPricePercent: 50 } }]), status)).toThrow(/pool cp: capacity .* cannot change/);
      expect(() => diffCluster({ ...spec([cp]), cloud: { ...spec([cp]).cloud, region: 'eu-west-1' } }, status)).toThrow(/cloud.region/);
      const placed = { ...status, pools: [pool('cp', 'control-plane', 1, { nodes: [{ key: 'node/cp/0', instanceId: 'i-1', az: 'us-east-1b', instanceType: 'm5.large', lifecycle: 'on-demand', state: 'running' }] })] };
      expect(() => diffCluster(spec([cp]), placed)).toThrow(/pool cp: azs \(nodes run in us-east-1b, which the file leaves out\) cannot change/);
    });
  });

  describe('progress', () => {
    const op: OperationView = {
      id: 'op-3-scale',
      type: 'scale',
      state: 'Running',
      startedAt: '2026-01-01T00:00:00.000Z',
      progress: { completed: 1, total: 3 },
      tasks: [
        { name: 'image', state: 'Succeeded', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.500Z' },
        { name: 'node/w/1', state: 'Running', startedAt: '2026-01-01T00:00:02.000Z' },
        { name: 'node/w/2', state: 'Pending' },
      ],
      retrying: [{ task: 'node/w/1', activity: 'launchNode', attempt: 3, lastError: 'InsufficientInstanceCapacity: no m5.large in us-east-1a' }],
    };

    it('draws a line per task, the calls being retried under theirs, and the elapsed time', () => {
      expect(frameLines(op, 0, Date.parse('2026-01-01T00:01:05Z'))).toEqual([
        'op-3-scale  Running  1/3 tasks  1:05',
        '  ✔ image  1.5s',
        '  ⠋ node/w/1  1:03',
        '      ↻ retrying launchNode (attempt 3): InsufficientInstanceCapacity: no m5.large in us-east-1a',
        '  ○ node/w/2',
      ]);
    });

    it('ends with one line saying how it ended', () => {
      const done = { ...op, state: 'Failed' as const, finishedAt: '2026-01-01T00:00:09.000Z', error: 'node/w/1: no capacity' };
      expect(summary(done)).toBe('op-3-scale failed after 9.0s (1/3 tasks): node/w/1: no capacity');
      expect(summary({ ...done, state: 'Succeeded', progress: { completed: 3, total: 3 } })).toBe('op-3-scale succeeded in 9.0s (3/3 tasks)');
    });
  });

  it('completion offers each level of the command tree, made from the tree itself', () => {
    const script = completionScript(buildProgram(), 'bash');
    expect(script).toContain('complete -F _clusterflow clusterflow');
    expect(script).toMatch(/^ {4}\*\) words="login accounts profiles create get describe scale delete cancel retry watch apply completion" ;;$/m);
    expect(script).toMatch(/^ {4}"get"\|"get "\*\) words="clusters cluster pools nodes operations" ;;$/m);
    expect(script).toMatch(/^ {4}"create cluster"\|"create cluster "\*\) words="--file -f --dry-run --keep-on-failure --wait --output -o --url --token --project" ;;$/m);
    // Longer paths come first, so `get cluster` is not caught by the arm of `get`.
    expect(script.indexOf('"get cluster"|')).toBeLessThan(script.indexOf('"get"|'));
    expect(() => completionScript(buildProgram(), 'fish')).toThrow(/bash or zsh/);
  });

  it('the completion script completes in a real bash', () => {
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `${completionScript(buildProgram(), 'bash')}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _clusterflow; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).trim();
    expect(complete('clusterflow', 'get', 'cl')).toBe('clusters cluster');
    expect(complete('clusterflow', 'get', 'cluster', 'demo', '--o')).toBe('--output');
    expect(complete('clusterflow', 'sc')).toBe('scale');
  });
});
