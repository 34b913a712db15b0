import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../common/ports';
import { shellQuote } from '../../common/shell-quote';
import { waitTask } from '../support/clusters';
import { putSimConfig } from '../support/sim-client';
import { armHold, releaseHold, waitParked } from '../support/sim-holds';
import { useStack } from '../support/stack';
import { until } from '../support/until';

jest.setTimeout(300000);

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const KEYS = { accessKeyId: 'AKIACLIE2ETESTKEY001', secretAccessKey: 'cliE2eSecretKeyThatIsLongEnough00001' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The `clusterflow` binary (dist/cli/main.js, as `npm run build` leaves it) against the real
 * stack: every case runs the CLI as a user would, with a HOME of its own, and reads what it
 * printed and how it exited. One cluster lives through the suite.
 */
describe('the clusterflow CLI (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  let home: string;
  let work: string;
  let accountId: string;

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-cli-home-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-cli-work-'));
  });
  afterAll(() => {
    for (const dir of [home, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The environment a user's shell would give: nothing of the stack's, a HOME of the test's. */
  function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLUSTERFLOW_') && !k.startsWith('AWS_')));
    return { ...clean, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ...extra };
  }

  function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}, stdin = ''): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: env(extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  /** A cluster file in the suite's work dir. */
  function clusterFile(name: string, spec: Record<string, unknown>): string {
    const file = path.join(work, name);
    fs.writeFileSync(file, stringify({ apiVersion: 'clusterflow.io/v1', kind: 'Cluster', ...spec }));
    return file;
  }

  /** The suite's cluster, as short as a file can be: the VPC CIDR and root volumes are the API's defaults. */
  const spec = (workers: number, extraPools: unknown[] = []) => ({
    name: 'cli',
    profile: { id: 'aws-default' },
    cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic' } },
    pools: [
      { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
      { name: 'workers', role: 'worker', size: workers, instanceType: 'm5.large', azs: ['us-east-1a'] },
      ...extraPools,
    ],
  });

  it('exits 2 on usage errors and 3 when the server cannot be reached', async () => {
    const noServer = await cli(['get', 'clusters']);
    expect(noServer).toMatchObject({ code: 2, stderr: expect.stringContaining('clusterflow login') });
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['get', 'clusters', '-o', 'xml'])).code).toBe(2);
    expect((await cli(['create', 'cluster'])).code).toBe(2); // -f is required
    const deadPort = await freePort();
    const unreachable = await cli(['get', 'clusters'], { CLUSTERFLOW_URL: `http://127.0.0.1:${deadPort}`, CLUSTERFLOW_TOKEN: 'x'.repeat(32) });
    expect(unreachable).toMatchObject({ code: 3, stderr: expect.stringContaining(`cannot reach http://127.0.0.1:${deadPort}: ECONNREFUSED`) });
  });

  it('login checks the token and keeps server and token in a 0600 file; the environment overrides it', async () => {
    const refused = await cli(['login', '--url', stack.api, '--token', 'not-the-token-0123456789']);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('401') });
    const file = path.join(home, '.config', 'clusterflow', 'config.yaml');
    expect(fs.existsSync(file)).toBe(false);

    expect((await cli(['login', '--url', stack.api], { CLUSTERFLOW_TOKEN: stack.token })).code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(parse(fs.readFileSync(file, 'utf8'))).toEqual({ url: stack.api, token: stack.token });
    expect((await cli(['get', 'clusters'])).code).toBe(0);
    // CLUSTERFLOW_URL wins over the file: a dead server there is exit 3, the file's server notwithstanding.
    expect((await cli(['get', 'clusters'], { CLUSTERFLOW_URL: `http://127.0.0.1:${await freePort()}` })).code).toBe(3);
  });

  it('accounts add takes the keys from the AWS_* variables, and no output shows the secret', async () => {
    const added = await cli(['accounts', 'add', 'cli-e2e', '-o', 'json'], { AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey });
    expect(added.code).toBe(0);
    accountId = JSON.parse(added.stdout).id;
    const list = await cli(['accounts', 'list']);
    expect(list.stdout).toContain(accountId);
    expect(list.stdout).toContain('cli-e2e');
    for (const out of [added, list]) expect(out.stdout + out.stderr).not.toContain(KEYS.secretAccessKey);
  });

  it('profiles: list shows the built-in one; apply creates a profile once and then leaves it', async () => {
    expect((await cli(['profiles', 'list'])).stdout).toContain('aws-default');
    const file = path.join(work, 'profile.yaml');
    const packs = [
      { name: 'ubuntu', layer: 'os', version: '22.04', values: { amiOwner: '099720109477', amiNamePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' } },
      { name: 'kubernetes', layer: 'k8s', version: '1.31.4', values: {} },
    ];
    fs.writeFileSync(file, stringify({ apiVersion: 'clusterflow.io/v1', kind: 'ClusterProfile', name: 'minimal', packs }));
    const first = await cli(['profiles', 'apply', '-f', file]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^profile minimal created/) });
    expect(await cli(['profiles', 'apply', '-f', file])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^profile minimal unchanged/) });
    const got = await cli(['profiles', 'get', 'minimal', '-o', 'yaml']);
    expect(parse(got.stdout)).toMatchObject({ name: 'minimal', packs });
  });

  it('the examples are valid cluster files: each dry run is answered 200', async () => {
    // Side by side: three dry runs read only.
    const runs = ['dynamic-cluster.yaml', 'static-cluster.yaml', 'spot-cluster.yaml'].map(async (example) => {
      const doc = parse(fs.readFileSync(path.join(ROOT, 'examples', example), 'utf8'));
      doc.cloud.accountId = accountId;
      const file = path.join(work, example);
      fs.writeFileSync(file, stringify(doc));
      return { example, name: doc.name as string, dry: await cli(['create', 'cluster', '-f', file, '--dry-run', '-o', 'json']) };
    });
    for (const { example, name, dry } of await Promise.all(runs)) {
      expect({ example, code: dry.code, stderr: dry.stderr }).toEqual({ example, code: 0, stderr: '' });
      expect(JSON.parse(dry.stdout)).toMatchObject({ name, dryRun: true });
    }
  });

  it('create --dry-run shows the plan and the hourly cost table, creating nothing', async () => {
    const dry = await cli(['create', 'cluster', '-f', clusterFile('cli.yaml', spec(1)), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Plan for cluster cli (dynamic placement, us-east-1a): nothing was created.');
    expect(dry.stdout).toMatch(/node\/master\/0 .*control-plane .*us-east-1a .*m5\.large/);
    expect(dry.stdout).toContain('Hourly cost (USD):');
    expect(dry.stdout).toMatch(/│ total +│ - +│ - +│ \$\d+\.\d{4} +│/);
    expect((await cli(['get', 'clusters', '-o', 'json'])).stdout.trim()).toBe('[]');
  });

  it('create -f --wait follows the create to its end, a line per task, and a summary', async () => {
    const created = await cli(['create', 'cluster', '-f', clusterFile('cli.yaml', spec(1)), '--wait']);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    // Not a terminal: plain lines, no cursor movement.
    expect(created.stdout).not.toContain('\x1b[');
    expect(created.stdout).toMatch(/^\[\d+:\d\d\] op-1-create \(create\) Running$/m);
    for (const task of ['vpc', 'node/master/0', 'node/workers/0']) expect(created.stdout).toMatch(new RegExp(`^\\[\\d+:\\d\\d\\] ${task}: succeeded in \\d`, 'm'));
    expect(created.stdout.trim().split('\n').pop()).toMatch(/^op-1-create succeeded in [\d.:]+s? \((\d+)\/\1 tasks\)$/);

    // The list answers from visibility, which follows the cluster within a moment.
    const clusters = await until(async () => JSON.parse((await cli(['get', 'clusters', '-o', 'json'])).stdout), (l) => l[0]?.phase === 'Running', 'listed Running');
    expect(clusters).toEqual([expect.objectContaining({ name: 'cli', phase: 'Running', region: 'us-east-1' })]);
    expect((await cli(['get', 'clusters', '--phase', 'Failed', '-o', 'json'])).stdout.trim()).toBe('[]');
    expect((await cli(['get', 'nodes', 'cli'])).stdout).toMatch(/node\/workers\/0 .*i-[0-9a-f]+ .*us-east-1a/);
    const described = await cli(['describe', 'cluster', 'cli']);
    expect(described.stdout).toMatch(/^Phase: +Running$/m);
    expect(described.stdout).toContain('Recent operations:');
    expect(parse((await cli(['get', 'operations', 'cli', '-o', 'yaml'])).stdout)).toEqual([expect.objectContaining({ id: 'op-1-create', state: 'Succeeded' })]);
  });

  it('apply shows the diff of a changed file (a scale and a new pool) and runs it', async () => {
    const extra = { name: 'extra', role: 'worker', size: 1, instanceType: 'c5.large', azs: ['us-east-1a'] };
    const file = clusterFile('cli.yaml', spec(2, [extra]));
    // Nobody to ask on a pipe: without --yes, nothing runs.
    expect(await cli(['apply', '-f', file])).toMatchObject({ code: 2, stderr: expect.stringContaining('--yes') });
    const applied = await cli(['apply', '-f', file, '--yes']);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('cluster cli:\n  + pool extra: worker, 1 × c5.large in us-east-1a\n  ~ pool workers: size: 1 → 2\n');
    expect(applied.stdout).toMatch(/^op-2-add-pool succeeded/m);
    expect(applied.stdout).toMatch(/^op-3-scale succeeded/m);
    const pools = JSON.parse((await cli(['get', 'pools', 'cli', '-o', 'json'])).stdout);
    expect(pools.map((p: { name: string; desired: number; nodes: unknown[] }) => [p.name, p.desired, p.nodes.length])).toEqual([
      ['master', 1, 1],
      ['workers', 2, 2],
      ['extra', 1, 1],
    ]);
    expect((await cli(['apply', '-f', file])).stdout).toBe('cluster cli: no changes\n');
  });

  it('a request the API refuses exits 1 with its message, naming the rule', async () => {
    const refused = await cli(['scale', 'cli', 'master', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('error: PATCH /v1/clusters/cli/pools/master: 422 the control-plane pool scales 1→3 and 3→5 only (it has 1; asked 2)\n');
  });

  it('watch in a terminal redraws the task list in place and ends with the summary', async () => {
    const hold = await armHold(stack.sim, 'ec2:RunInstances');
    expect((await cli(['scale', 'cli', 'workers', '3'])).stdout).toMatch(/^op-4-scale started/);
    await waitParked(stack.sim, hold);
    // script(1) gives the CLI a real pseudo-terminal; -e passes its exit code on.
    const command = [process.execPath, CLI, 'watch', 'cli'].map(shellQuote).join(' ');
    const watching = new Promise<Run>((resolve, reject) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { env: env({ COLUMNS: '120', LINES: '40' }), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
    await new Promise((r) => setTimeout(r, 1500)); // a few frames with the task running
    await releaseHold(stack.sim, hold);
    const watched = await watching;
    expect(watched.code).toBe(0);
    const out = watched.stdout;
    // eslint-disable-next-line no-control-regex -- the escape sequence is what is checked
    expect(out).toMatch(/\x1b\[\d+A/); // cursor up: the frame is redrawn, not appended
    expect(out).toContain('\x1b[2K'); // each line cleared before it is rewritten
    expect(out).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] node\/workers\/2/); // the running task's spinner
    expect(out).toMatch(/✔ node\/workers\/2 +\d/);
    expect(out).toMatch(/op-4-scale succeeded in [\d.:]+s? \(2\/2 tasks\)/);
  });

  it('an operation that ends cancelled exits 1', async () => {
    // New instances stay pending until the cancel: the scale-up cannot finish before it.
    const { delays } = (await (await fetch(`${stack.sim}/_sim/config`)).json()) as { delays: Record<string, number> };
    await putSimConfig(stack.sim, { delays: { instancePending: 3_600_000 } });
    try {
      expect((await cli(['scale', 'cli', 'workers', '4'])).code).toBe(0);
      await waitTask(stack.api, stack.token, 'cli', 'op-5-scale', 'node/workers/3');
      const cancelled = await cli(['cancel', 'cli', '--wait']);
      expect(cancelled.code).toBe(1);
      expect(cancelled.stdout.trim().split('\n').pop()).toMatch(/^op-5-scale was cancelled after [\d.:]+s? \(\d\/\d tasks\): /);
    } finally {
      await putSimConfig(stack.sim, { delays: { instancePending: delays.instancePending } });
    }
  });

  it('delete --wait removes the cluster', async () => {
    // For scripts: -o json puts the progress on stderr and the operation's final view alone on stdout.
    const deleted = await cli(['delete', 'cluster', 'cli', '--wait', '-o', 'json']);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toMatch(/^op-6-delete succeeded/m);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ id: 'op-6-delete', type: 'delete', state: 'Succeeded' });
    await until(async () => (await cli(['get', 'clusters', '-o', 'json'])).stdout.trim(), (out) => out === '[]', 'no longer listed');
    expect(JSON.parse((await cli(['get', 'cluster', 'cli', '-o', 'json'])).stdout)).toMatchObject({ name: 'cli', phase: 'Deleted' });
  });
});
