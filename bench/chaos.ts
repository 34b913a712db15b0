/**
 * The chaos campaign: a seeded, random sequence of cluster operations (create, scale up and
 * down, add and remove pools, reconfigure, upgrade, cancel, retry, delete) against the real stack —
 * the Temporal dev server, moto + the simulator, the API and the worker, each its own process
 * — while the simulator loses responses, answers 5xx and throttles at a tenth of AWS's
 * buckets, and the worker, the API and the Temporal dev server are SIGKILLed at random moments
 * and started again. After every operation it checks, against the simulator's inventory read
 * straight from moto: exactly the spec's resources, at most one live resource per resource
 * key, nothing untagged or left by an earlier cluster, nothing left after delete, and every
 * operation settled with a truthful message.
 *
 *   npm run chaos -- --seed S --rounds N      (or: node dist/bench/chaos.js … after npm run build)
 *
 * The seed decides the operations, the fault configuration of each operation and when each
 * kill happens; the simulator's own coin flips and the machine's timing are not seeded, so a
 * seed replays the same campaign, not the same interleaving to the millisecond.
 */
import { BUILT_IN_PROFILES } from '../store/built-in-profiles';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../common/paths';
import { mulberry32 } from '../common/seeded-random';
import { numberOf, operationId } from '../common/workflow-ids';
import { launchStack, RunningStack, stackEnv, stackPorts, StackPorts } from '../scripts/stack-driver';

// ---------------------------------------------------------------------------------------
// Randomness: everything the campaign decides comes from one seed.


/** A seed for one purpose of one round: streams stay independent (an extra kill does not shift the next operation). */
function derive(seed: number, ...parts: Array<string | number>): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of parts.join('/')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** `count` distinct items. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0) out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0]);
    return out;
  }
  weighted<T>(entries: Array<[T, number]>): T {
    const total = entries.reduce((n, [, w]) => n + w, 0);
    let r = this.next() * total;
    for (const [value, weight] of entries) {
      r -= weight;
      if (r < 0) return value;
    }
    return entries[entries.length - 1][0];
  }
}

// ---------------------------------------------------------------------------------------
// What the campaign reports.

export interface Violation {
  round: number;
  op: string;
  kind: 'duplicate' | 'orphan' | 'stuck' | 'inexact' | 'message' | 'state' | 'api-view' | 'error';
  detail: string;
}

export interface CampaignSummary {
  seed: number;
  rounds: number;
  roundsCompleted: number;
  /** Operations that ran, by type and final state. */
  operations: { total: number; byType: Record<string, Record<string, number>> };
  requests: { refused: number; ambiguous: number; cancelsSent: number; cancelsTooLate: number; retries: number };
  kills: { worker: number; api: number; temporal: number; total: number };
  restarts: number;
  /** Processes that died without being killed (they are restarted and reported). */
  unexpectedExits: string[];
  faultsInjected: number;
  /** The actions most faulted, with their count. */
  faultedActions: Record<string, number>;
  throttled: number;
  awsCalls: number;
  duplicates: number;
  orphans: number;
  stuck: number;
  violations: Violation[];
  /** Things worth knowing that are not violations. */
  notes: string[];
  wallMs: number;
  ok: boolean;
  reproduce: string;
  /** Kept (with every component's log) when the campaign failed. */
  dataDir?: string;
}

export interface CampaignOptions {
  seed: number;
  rounds: number;
  log?: (line: string) => void;
  /** An operation not settled within this is stuck (default 10 minutes). */
  settleDeadlineMs?: number;
}

// ---------------------------------------------------------------------------------------
// Processes.

const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const INSTANCE_TYPES = ['m5.large', 'c5.large', 'm5.xlarge'];
const MAX_WORKER_NODES = 5;
const KEYS = { accessKeyId: 'AKIACHAOSCAMPAIGN001', secretAccessKey: 'chaosCampaignSecretKeyThatIsLongEnough1' };

/** Every mutating AWS action Clusterflow makes: where lost responses and 5xx are injected. */
const MUTATING = [
  'ec2:RunInstances', 'ec2:TerminateInstances', 'ec2:CreateVpc', 'ec2:ModifyVpcAttribute', 'ec2:CreateSubnet', 'ec2:ModifySubnetAttribute',
  'ec2:CreateInternetGateway', 'ec2:AttachInternetGateway', 'ec2:AllocateAddress', 'ec2:CreateNatGateway', 'ec2:CreateRouteTable',
  'ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:AssociateRouteTable', 'ec2:ReplaceRouteTableAssociation', 'ec2:CreateSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteNatGateway', 'ec2:ReleaseAddress', 'ec2:DeleteRouteTable',
  'ec2:DisassociateRouteTable', 'ec2:DeleteSubnet', 'ec2:DetachInternetGateway', 'ec2:DeleteInternetGateway', 'ec2:DeleteSecurityGroup',
  'ec2:DeleteVpc', 'elb:CreateLoadBalancer', 'elb:ConfigureHealthCheck', 'elb:ModifyLoadBalancerAttributes', 'elb:RegisterInstancesWithLoadBalancer',
  'elb:DeregisterInstancesFromLoadBalancer', 'elb:AttachLoadBalancerToSubnets', 'elb:ApplySecurityGroupsToLoadBalancer', 'elb:DeleteLoadBalancer',
  'elbv2:CreateLoadBalancer', 'elbv2:ModifyLoadBalancerAttributes', 'elbv2:CreateTargetGroup', 'elbv2:ModifyTargetGroupAttributes', 'elbv2:CreateListener',
  'elbv2:RegisterTargets', 'elbv2:DeregisterTargets', 'elbv2:DeleteListener', 'elbv2:DeleteLoadBalancer', 'elbv2:DeleteTargetGroup',
  'iam:CreateRole', 'iam:PutRolePolicy', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile',
  'iam:DeleteRolePolicy', 'iam:DeleteRole', 'iam:DeleteInstanceProfile', 'secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret',
];
/** The ones that create something AWS gives no idempotency token for, or launch: lost responses hurt most here. */
const CREATES = MUTATING.filter((a) => /:(RunInstances|Create|Allocate)/.test(a));

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A guard for Promise.race that does not keep the process alive once everything else is done. */
function guard(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** The pids whose parent is `pid` (/proc, or pgrep where there is none). */
function childrenOf(pid: number): number[] {
  if (fs.existsSync('/proc/self/stat')) {
    const out: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === pid) out.push(Number(entry));
      } catch {
        /* gone meanwhile */
      }
    }
    return out;
  }
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function sigkillGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  killedOnPurpose: boolean;
  tail(): string;
}

type Component = 'temporal' | 'aws' | 'api';

/**
 * The stack as four independently killable parts: a launcher each for Temporal, moto + the
 * simulator, and the API (dist/scripts/stack.js --only …), and the worker on its own.
 * Restarts are serialized: one kill and its restart at a time.
 */
class ChaosStack {
  readonly launchers: Partial<Record<Component, RunningStack>> = {};
  worker?: WorkerProcess;
  private expectedExit = new Set<RunningStack>();
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;
  private workerCount = 0;
  readonly logDir: string;
  readonly kills = { worker: 0, api: 0, temporal: 0 };
  restarts = 0;
  readonly unexpectedExits: string[] = [];
  /** Set when a restart failed: the campaign cannot go on. */
  broken?: Error;

  constructor(
    readonly ports: StackPorts,
    readonly env: NodeJS.ProcessEnv,
    readonly dataDir: string,
    private readonly log: (line: string) => void,
    private readonly waitReady: () => Promise<void>,
  ) {
    this.logDir = path.join(dataDir, 'logs');
    fs.mkdirSync(this.logDir, { recursive: true });
  }

  private only(component: Component): string[] {
    return ['--only', component === 'aws' ? 'moto,sim' : component];
  }

  private keepLog(component: Component, launcher: RunningStack): void {
    fs.appendFileSync(path.join(this.logDir, `${component}.log`), `${launcher.output()}\n----- (exited)\n`);
  }

  async launch(component: Component): Promise<void> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const launcher = await launchStack(this.env, this.ports, this.only(component));
        this.launchers[component] = launcher;
        void launcher.exited.then(() => this.onLauncherExit(component, launcher));
        return;
      } catch (error) {
        lastError = error as Error;
        this.log(`  ! ${component} did not start (attempt ${attempt}): ${lastError.message.split('\n')[0]}`);
        fs.appendFileSync(path.join(this.logDir, `${component}.log`), `${lastError.message}\n----- (failed start)\n`);
        await sleep(2000 * attempt);
      }
    }
    throw lastError;
  }

  private onLauncherExit(component: Component, launcher: RunningStack): void {
    if (this.stopping || this.expectedExit.has(launcher)) return;
    this.unexpectedExits.push(`${component} launcher exited on its own`);
    this.keepLog(component, launcher);
    this.log(`  ! ${component} exited on its own; starting it again`);
    void this.serialized(async () => {
      await this.launch(component);
      this.restarts++;
      await this.waitReady();
    });
  }

  async startWorker(): Promise<void> {
    const logFile = path.join(this.logDir, 'worker.log');
    const number = ++this.workerCount;
    fs.appendFileSync(logFile, `----- worker ${number}\n`);
    const child = spawn(process.execPath, [path.join(repoRoot(), 'dist/worker/main.js')], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let ready = false;
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      fs.appendFileSync(logFile, text);
      tail = (tail + text).slice(-20000);
      if (/worker state RUNNING/.test(tail)) ready = true;
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const worker: WorkerProcess = { child, exited: new Promise((r) => child.once('exit', () => r())), killedOnPurpose: false, tail: () => tail };
    const deadline = Date.now() + 90000;
    while (!ready) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        if (child.exitCode === null) child.kill('SIGKILL');
        throw new Error(`worker did not start:\n${tail}`);
      }
      await sleep(100);
    }
    this.worker = worker;
    void worker.exited.then(() => {
      if (this.stopping || worker.killedOnPurpose) return;
      this.unexpectedExits.push(`worker exited on its own (${child.signalCode ?? `code ${child.exitCode}`}): ${tail.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
      this.log(`  ! the worker exited on its own; starting it again`);
      void this.serialized(async () => {
        await this.startWorker();
        this.restarts++;
      });
    });
  }

  async start(): Promise<void> {
    await this.launch('temporal');
    await this.launch('aws');
    await this.launch('api');
    await this.startWorker();
  }

  /** Runs one kill-and-restart (or restart) after the previous one is over. */
  serialized(action: () => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopping || this.broken) return;
      try {
        await action();
      } catch (error) {
        this.broken = error as Error;
        this.log(`  ! a restart failed: ${(error as Error).message.split('\n').slice(0, 3).join(' | ')}`);
      }
    });
    this.chain = run;
    return run;
  }

  /** Resolves once no kill or restart is under way. */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      if (chain === this.chain) return;
    }
  }

  async killWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    worker.killedOnPurpose = true;
    worker.child.kill('SIGKILL');
    await worker.exited;
    this.kills.worker++;
    await this.startWorker();
    this.restarts++;
  }

  /**
   * SIGKILLs the launcher's child (the API's node process, or the Temporal CLI and its process
   * group): the launcher sees it die and exits; a new launcher starts it again on the same
   * data dir and ports.
   */
  async killChild(component: 'api' | 'temporal'): Promise<void> {
    const launcher = this.launchers[component];
    if (!launcher?.child.pid) return;
    this.expectedExit.add(launcher);
    const pids = childrenOf(launcher.child.pid);
    if (pids.length === 0) throw new Error(`${component}: its launcher (pid ${launcher.child.pid}) has no child to kill`);
    for (const pid of pids) sigkillGroup(pid);
    const gone = await Promise.race([launcher.exited.then(() => true), guard(20000).then(() => false)]);
    if (!gone) {
      launcher.child.kill('SIGKILL');
      await launcher.exited;
    }
    this.kills[component]++;
    this.keepLog(component, launcher);
    await this.launch(component);
    this.restarts++;
    await this.waitReady();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.chain.catch(() => undefined);
    if (this.worker) {
      this.worker.killedOnPurpose = true;
      if (this.worker.child.exitCode === null && this.worker.child.signalCode === null) this.worker.child.kill('SIGTERM');
      await Promise.race([this.worker.exited, guard(15000)]);
      if (this.worker.child.exitCode === null) this.worker.child.kill('SIGKILL');
    }
    for (const component of ['api', 'aws', 'temporal'] as Component[]) {
      const launcher = this.launchers[component];
      if (!launcher) continue;
      this.expectedExit.add(launcher);
      await Promise.race([launcher.interrupt(), guard(30000)]);
      if (launcher.child.exitCode === null) launcher.child.kill('SIGKILL');
      this.keepLog(component, launcher);
    }
  }
}

// ---------------------------------------------------------------------------------------
// HTTP.

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function http(url: string, method = 'GET', body?: unknown, token?: string, timeoutMs = 20000): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

// ---------------------------------------------------------------------------------------
// The simulator's inventory.

interface Item {
  id?: string;
  allocationId?: string;
  name?: string;
  arn?: string;
  state?: string;
  instanceType?: string;
  tags?: Record<string, string>;
}
type Inventory = Record<string, Item[]>;

const TYPES = [
  'vpcs', 'subnets', 'internetGateways', 'natGateways', 'addresses', 'routeTables', 'securityGroups', 'instances', 'loadBalancers', 'targetGroups', 'listeners', 'secrets', 'roles', 'instanceProfiles',
] as const;

function itemId(item: Item): string {
  return item.id ?? item.allocationId ?? item.arn ?? item.name ?? JSON.stringify(item).slice(0, 80);
}

/** Still there for whoever owns it: instances not shutting down, NAT gateways not on their way out. */
function live(type: string, item: Item): boolean {
  if (type === 'instances') return !['terminated', 'shutting-down'].includes(item.state ?? '');
  if (type === 'natGateways') return !['deleted', 'deleting', 'failed'].includes(item.state ?? '');
  return true;
}

function describe(type: string, item: Item): string {
  const key = item.tags?.['clusterflow.io/resource'];
  const owner = item.tags?.['clusterflow.io/cluster'];
  return `${type} ${itemId(item)}${key ? ` ${key}` : ''}${owner ? ` of ${owner}` : ' (untagged)'}${item.state ? ` ${item.state}` : ''}${item.instanceType ? ` ${item.instanceType}` : ''}${item.tags?.['clusterflow.io/generation'] ? ` gen ${item.tags['clusterflow.io/generation']}` : ''}`;
}

// ---------------------------------------------------------------------------------------
// The model: what the cluster should own now.

interface PoolModel {
  name: string;
  role: 'control-plane' | 'worker';
  size: number;
  instanceType: string;
  azs: string[];
  /** A spot pool: its watcher launches its nodes, and rolls them on a reconfigure. */
  capacity?: { type: 'spot'; maxPricePercent: number };
}

interface ClusterModel {
  name: string;
  azs: string[];
  pools: PoolModel[];
  /** present: the network and the pools' nodes; absent: nothing (rolled back, deleted); unknown: a rollback or delete failed. */
  resources: 'present' | 'absent' | 'unknown';
  phase: 'Running' | 'Failed' | 'Deleted';
  /** Pools whose node count is only known within bounds (a scale-down or remove-pool that failed or was cancelled midway). */
  bounds: Map<string, { min: number; max: number }>;
  /** Pools with nodes of two instance types (a reconfigure that failed or was cancelled midway). */
  mixedTypes: Set<string>;
  /** The cluster's Kubernetes version, and the versions its nodes may run (two after an upgrade stopped midway). */
  kubernetesVersion: string;
  kubernetesVersions: Set<string>;
}

function expectedCounts(model: ClusterModel): Record<string, number> {
  const a = model.azs.length;
  const nodes = model.pools.reduce((n, p) => n + p.size, 0);
  // Derived from THREE_AZ_INVENTORY (test/support/clusters.ts): 3 AZs → 6 subnets, 3 NAT gateways and Elastic IPs, 4 route tables;
  // the default API endpoint, a network load balancer with its target group and listener.
  return {
    vpcs: 1, subnets: 2 * a, internetGateways: 1, natGateways: a, addresses: a, routeTables: a + 1, securityGroups: 4, instances: 1 + nodes, loadBalancers: 1, targetGroups: 1, listeners: 1, secrets: 2, roles: 2, instanceProfiles: 2,
  };
}

function poolKeys(pool: PoolModel, size = pool.size): string[] {
  return Array.from({ length: size }, (_, i) => `node/${pool.name}/${i}`);
}

// ---------------------------------------------------------------------------------------
// The campaign.

type OpType = 'create' | 'delete' | 'scale' | 'add-pool' | 'remove-pool' | 'reconfigure' | 'upgrade' | 'change-profile';

interface Request {
  type: OpType;
  label: string;
  method: string;
  path: string;
  body?: unknown;
  /** Apply the operation's result to the model. */
  pool?: string;
  newPool?: PoolModel;
  size?: number;
  from?: number;
  instanceType?: string;
  kubernetesVersion?: string;
  /** A profile change: the profile made for it just before (aws-default's packs at this Kubernetes version, another add-on value). */
  profile?: { name: string; kubernetesVersion: string; storageClass: string };
}

interface OpView {
  id: string;
  type: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  retryOf?: string;
  tasks?: Array<{ name: string; state: string; message?: string; startedAt?: string; finishedAt?: string }>;
}

/** The operation's tasks on a timeline, in seconds since it started, with a moment of interest marked. */
function timeline(view: OpView, mark?: { label: string; at: number }): string {
  const t0 = Date.parse(view.startedAt ?? '');
  const at = (iso?: string) => (iso ? ((Date.parse(iso) - t0) / 1000).toFixed(1) : '-');
  const parts = (view.tasks ?? []).map((t) => `${t.name} ${t.state} ${at(t.startedAt)}→${at(t.finishedAt)}`);
  if (mark) parts.push(`${mark.label} at ${((mark.at - t0) / 1000).toFixed(1)}`);
  return `[${parts.join('; ')}; ended ${at(view.finishedAt)}]`;
}

interface KillPlan {
  target: 'worker' | 'api' | 'temporal';
  atMs: number;
}

class Campaign {
  private readonly log: (line: string) => void;
  private stack!: ChaosStack;
  private api = '';
  private sim = '';
  private token = '';
  private accountId = '';
  private model?: ClusterModel;
  private readonly violations: Violation[] = [];
  private readonly notes: string[] = [];
  private readonly seenDuplicates = new Set<string>();
  private readonly seenOrphans = new Set<string>();
  private stuck = 0;
  private readonly byType: Record<string, Record<string, number>> = {};
  private opsTotal = 0;
  private readonly requests = { refused: 0, ambiguous: 0, cancelsSent: 0, cancelsTooLate: 0, retries: 0 };
  private faultKeys = new Set<string>();
  private round = 0;
  private aborted = false;
  private readonly settleDeadlineMs: number;
  private ourOps = new Set<string>();
  private cancelAcceptedAt = 0;

  constructor(private readonly options: CampaignOptions) {
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.settleDeadlineMs = options.settleDeadlineMs ?? 600000;
  }

  private violation(kind: Violation['kind'], op: string, detail: string): void {
    this.violations.push({ round: this.round, op, kind, detail });
    this.log(`  ✗ ${kind}: ${detail}`);
  }

  // ----- API plumbing

  private async waitApi(timeoutMs = 180000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await http(`${this.api}/readyz`).catch(() => undefined);
      if (ready?.status === 200) {
        if (!this.model || this.model.phase === 'Deleted') return;
        // A definite answer (a 404 too: a create whose request died with the API) says Temporal answers the API again.
        const cluster = await http(`${this.api}/v1/clusters/${this.model.name}`, 'GET', undefined, this.token).catch(() => undefined);
        if (cluster && cluster.status < 500) return;
      }
      if (Date.now() > deadline) throw new Error(`the API did not answer again within ${timeoutMs / 1000} s`);
      await sleep(300);
    }
  }

  /** A read that rides out restarts: network errors and 5xx are retried until the deadline. */
  private async read(pathname: string, timeoutMs = 180000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const answer = await http(`${this.api}${pathname}`, 'GET', undefined, this.token).catch((e: Error) => {
        last = e.message;
        return undefined;
      });
      if (answer && answer.status < 500) return answer;
      if (answer) last = `${answer.status} ${answer.text.slice(0, 200)}`;
      if (Date.now() > deadline) throw new Error(`GET ${pathname} kept failing: ${last}`);
      await sleep(300);
    }
  }

  private async operations(): Promise<OpView[]> {
    if (!this.model) return [];
    const answer = await this.read(`/v1/clusters/${this.model.name}/operations?limit=100`);
    return answer.status === 200 ? (answer.body as OpView[]) : [];
  }

  private static numberOf(id: string): number {
    return numberOf({ id });
  }

  /** An operation of `type` numbered above `after`, if one was started (a request whose answer was lost). */
  private async newerOperation(type: OpType, after: number, initialCreate: boolean): Promise<string | undefined> {
    if (initialCreate) {
      const cluster = await this.read(`/v1/clusters/${this.model!.name}`);
      return cluster.status === 200 ? operationId(1, 'create') : undefined;
    }
    const found = (await this.operations()).filter((o) => Campaign.numberOf(o.id) > after && !this.ourOps.has(o.id));
    return found.find((o) => o.type === type)?.id;
  }

  /**
   * Sends a request that starts an operation. An answer lost to a kill (network error, 5xx) is
   * ambiguous: the operation list says whether it was taken; if not, it is sent again.
   * Answers the operation id, or the refusal.
   */
  private async start(request: Request): Promise<{ operationId?: string; refusal?: string }> {
    const initialCreate = request.path === '/v1/clusters';
    const before = initialCreate ? 0 : Math.max(0, ...(await this.operations()).map((o) => Campaign.numberOf(o.id)));
    for (let attempt = 1; attempt <= 10; attempt++) {
      const answer = await http(`${this.api}${request.path}`, request.method, request.body, this.token).catch(() => undefined);
      if (answer?.status === 202) return { operationId: (answer.body as { operationId: string }).operationId };
      if (answer && answer.status < 500 && answer.status !== 409) return { refusal: `${answer.status} ${answer.text.slice(0, 300)}` };
      if (answer?.status === 409 && attempt === 1) {
        // Busy with an operation we did not start (a self-repair): let it finish first.
        const running = (await this.operations()).find((o) => o.state === 'Running' && !this.ourOps.has(o.id));
        if (running) {
          this.notes.push(`round ${this.round}: ${running.id} (${running.type}) ran on its own before ${request.label}`);
          await this.settle(running.id, `${running.id} (unrequested)`);
          continue;
        }
        return { refusal: `${answer.status} ${answer.text.slice(0, 300)}` };
      }
      this.requests.ambiguous++;
      await this.waitApi();
      const adopted = await this.newerOperation(request.type, before, initialCreate);
      if (adopted) return { operationId: adopted };
      if (answer?.status === 409) return { refusal: `${answer.status} ${answer.text.slice(0, 300)}` };
      await sleep(500 * attempt);
    }
    throw new Error(`${request.label}: the request was never answered`);
  }

  /** Polls the operation until it settles; undefined when it is stuck. */
  private async settle(operationId: string, label: string): Promise<OpView | undefined> {
    const deadline = Date.now() + this.settleDeadlineMs;
    let last: OpView | undefined;
    for (;;) {
      const answer = await http(`${this.api}/v1/clusters/${this.model!.name}/operations/${operationId}`, 'GET', undefined, this.token).catch(() => undefined);
      if (answer?.status === 200) {
        last = answer.body as OpView;
        if (['Succeeded', 'Failed', 'Cancelled'].includes(last.state)) return last;
      }
      if (Date.now() > deadline) {
        this.stuck++;
        const running = (last?.tasks ?? []).filter((t) => t.state === 'Running').map((t) => t.name);
        this.violation('stuck', label, `${operationId} not settled after ${this.settleDeadlineMs / 1000} s: ${last?.state ?? 'unreadable'}, running tasks: ${running.join(', ') || 'none'}; worker (end): ${this.stack.worker?.tail().slice(-1500)}`);
        return undefined;
      }
      await sleep(300);
    }
  }

  // ----- chaos per operation

  private async putSim(config: unknown): Promise<void> {
    const answer = await http(`${this.sim}/_sim/config`, 'PUT', config);
    if (answer.status !== 200) throw new Error(`sim config: ${answer.status} ${answer.text}`);
  }

  private async clearFaults(): Promise<void> {
    if (this.faultKeys.size === 0) return;
    await this.putSim({ faults: Object.fromEntries([...this.faultKeys].map((k) => [k, null])) });
    this.faultKeys.clear();
  }

  private drawFaults(rng: Rng): Record<string, unknown> {
    const faults: Record<string, unknown> = {};
    // Rates stay well below 1: every step must converge through retries, none may be failed for good.
    for (const action of rng.sample([...CREATES, ...rng.sample(MUTATING, 4)], rng.int(3, 8))) {
      faults[action] = { code: 'InternalError', httpStatus: 500, rate: Number(rng.float(0.05, 0.3).toFixed(3)), phase: 'after' };
    }
    const server = (): { code: string; httpStatus: number } => rng.pick([{ code: 'InternalError', httpStatus: 500 }, { code: 'ServiceUnavailable', httpStatus: 503 }]);
    if (rng.chance(0.7)) {
      faults['*'] = { ...server(), rate: Number(rng.float(0.08, 0.3).toFixed(3)) };
    } else {
      for (const action of rng.sample(MUTATING.filter((a) => !(a in faults)), rng.int(3, 6))) faults[action] = { ...server(), rate: Number(rng.float(0.05, 0.3).toFixed(3)) };
    }
    return faults;
  }

  private drawKills(rng: Rng, atLeastOne: boolean): KillPlan[] {
    const count = Math.max(atLeastOne ? 1 : 0, rng.weighted<number>([[0, 0.2], [1, 0.45], [2, 0.35]]));
    // 0.3–15 s after the request, skewed early (most day-2 operations take a few seconds here).
    return Array.from({ length: count }, () => ({
      target: rng.weighted<KillPlan['target']>([['worker', 0.5], ['api', 0.25], ['temporal', 0.25]]),
      atMs: Math.round(300 + 14700 * rng.float(0, 1) ** 2),
    })).sort((a, b) => a.atMs - b.atMs);
  }

  /**
   * Runs one operation under chaos: faults switched on at a random moment, kills at random
   * moments while it runs, maybe a cancel; then waits for it to settle and checks everything.
   */
  private async operate(request: Request, rng: Rng, options: { cancelAtMs?: number; atLeastOneKill?: boolean; retryOf?: string } = {}): Promise<OpView | undefined> {
    const faults = rng.chance(0.9) ? this.drawFaults(rng) : {};
    const faultsAtMs = Math.round(rng.float(0, 2000));
    const kills = this.drawKills(rng, options.atLeastOneKill ?? false);
    const started = Date.now();
    let running = true;
    const timers: NodeJS.Timeout[] = [];
    const fired: string[] = [];
    let faultsSet: Promise<void> = Promise.resolve();
    let cancelled: Promise<boolean> = Promise.resolve(false);
    if (Object.keys(faults).length > 0) {
      timers.push(
        setTimeout(() => {
          if (!running) return;
          for (const key of Object.keys(faults)) this.faultKeys.add(key);
          faultsSet = this.putSim({ faults }).catch((e: Error) => this.log(`  ! faults not set: ${e.message}`));
        }, faultsAtMs),
      );
    }
    for (const kill of kills) {
      timers.push(
        setTimeout(() => {
          if (!running) return;
          fired.push(`${kill.target}@${(kill.atMs / 1000).toFixed(1)}s`);
          void this.stack.serialized(() => (kill.target === 'worker' ? this.stack.killWorker() : this.stack.killChild(kill.target)));
        }, kill.atMs),
      );
    }
    const stop = async () => {
      running = false;
      for (const t of timers) clearTimeout(t);
      await cancelled;
      await faultsSet;
      await this.stack.idle();
      if (this.stack.broken) throw this.stack.broken;
      await this.clearFaults();
    };

    let operationId: string | undefined;
    let refusal: string | undefined;
    try {
      ({ operationId, refusal } = await this.start(request));
    } catch (error) {
      await stop();
      throw error;
    }
    if (!operationId) {
      await stop();
      this.requests.refused++;
      this.log(`  ${request.label}: refused ${refusal}`);
      return undefined;
    }
    this.ourOps.add(operationId);
    if (options.cancelAtMs !== undefined) {
      const id = operationId;
      timers.push(
        setTimeout(() => {
          if (running) cancelled = this.cancel(id, () => running);
        }, options.cancelAtMs),
      );
    }
    const view = await this.settle(operationId, request.label);
    const cancelAccepted = await cancelled;
    await stop();
    if (!view) {
      this.aborted = true;
      return undefined;
    }
    this.opsTotal++;
    const byState = (this.byType[view.type] ??= {});
    byState[view.state] = (byState[view.state] ?? 0) + 1;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.log(
      `  ${view.id} ${request.label}: ${view.state} in ${seconds} s; kills ${fired.join(' ') || 'none'}; faults ${Object.keys(faults).length ? `${Object.keys(faults).length} rules from ${(faultsAtMs / 1000).toFixed(1)} s` : 'none'}${view.error ? `; "${view.error.slice(0, 160)}"` : ''}`,
    );
    const cancelMark = { label: 'cancel accepted', at: this.cancelAcceptedAt };
    if (cancelAccepted && view.state === 'Failed') {
      // Cancelled on request is what happened; a failure's message would blame something else.
      this.violation('state', request.label, `the cancel of ${view.id} was accepted (202), yet it ended Failed: "${view.error}" (kills in it: ${fired.join(' ') || 'none'}) ${timeline(view, cancelMark)}`);
    }
    if (cancelAccepted && view.state === 'Succeeded') {
      this.notes.push(`round ${this.round} ${view.id} ${request.label}: cancel accepted (202) but it Succeeded (kills: ${fired.join(' ') || 'none'}) ${timeline(view, cancelMark)}`);
    }
    await this.waitApi();
    await this.afterOperation(request, view);
    return view;
  }

  /** Asks to cancel the operation; true when the API accepted (202). */
  private async cancel(operationId: string, stillRunning: () => boolean): Promise<boolean> {
    for (let attempt = 1; attempt <= 10 && stillRunning(); attempt++) {
      const answer = await http(`${this.api}/v1/clusters/${this.model!.name}/operations/${operationId}/cancel`, 'POST', undefined, this.token).catch(() => undefined);
      if (answer?.status === 202) {
        this.cancelAcceptedAt = Date.now();
        this.requests.cancelsSent++;
        this.log(`  cancel ${operationId}: accepted`);
        return true;
      }
      if (answer && answer.status < 500) {
        this.requests.cancelsTooLate++;
        this.log(`  cancel ${operationId}: ${answer.status} ${answer.text.slice(0, 160)}`);
        return false;
      }
      await this.waitApi().catch(() => undefined);
    }
    return false;
  }

  // ----- checks

  private checkMessage(view: OpView, label: string): void {
    if (view.state === 'Succeeded') {
      if (view.error) this.violation('message', label, `${view.id} Succeeded but carries an error: ${view.error}`);
      return;
    }
    const message = view.error ?? '';
    if (!message.trim()) this.violation('message', label, `${view.id} is ${view.state} without a message`);
    else if (/\n\s+at \S/.test(message) || /\bat .+\(.+:\d+:\d+\)/.test(message)) this.violation('message', label, `${view.id}'s message holds a stack trace: ${message.slice(0, 400)}`);
    else if (/\[object Object\]|undefined/.test(message)) this.violation('message', label, `${view.id}'s message is garbled: ${message}`);
  }

  /** Updates the model with how the operation ended, and checks that its message tells the truth about AWS. */
  private async afterOperation(request: Request, view: OpView): Promise<void> {
    const model = this.model!;
    const label = request.label;
    this.checkMessage(view, label);
    const ok = view.state === 'Succeeded';
    const inv = await this.inventory();
    const generation = String(Campaign.numberOf(view.id));
    const launchedLive = (inv.instances ?? []).filter((i) => live('instances', i) && i.tags?.['clusterflow.io/generation'] === generation && i.tags?.['clusterflow.io/cluster'] === `default/${model.name}`);
    const pool = request.pool ? model.pools.find((p) => p.name === request.pool) : undefined;

    switch (request.type) {
      case 'create':
        if (ok) {
          model.resources = 'present';
          model.phase = 'Running';
        } else {
          model.phase = 'Failed';
          model.resources = /rolled back/.test(view.error ?? '') && !/rollback failed/.test(view.error ?? '') ? 'absent' : 'unknown';
        }
        break;
      case 'delete':
        if (ok) {
          model.phase = 'Deleted';
          model.resources = 'absent';
        } else {
          model.resources = 'unknown';
          model.phase = 'Failed';
        }
        break;
      case 'scale':
        if (ok) {
          pool!.size = request.size!;
          model.bounds.delete(pool!.name);
        } else if (request.size! < request.from!) {
          const was = model.bounds.get(pool!.name);
          model.bounds.set(pool!.name, { min: Math.min(request.size!, was?.min ?? request.size!), max: was?.max ?? request.from! });
        }
        break;
      case 'add-pool':
        if (ok) model.pools.push({ ...request.newPool! });
        break;
      case 'remove-pool':
        if (ok) {
          model.pools = model.pools.filter((p) => p.name !== request.pool);
          model.bounds.delete(request.pool!);
          model.mixedTypes.delete(request.pool!);
        } else {
          model.bounds.set(pool!.name, { min: 0, max: model.bounds.get(pool!.name)?.max ?? pool!.size });
        }
        break;
      case 'reconfigure':
        if (ok) {
          pool!.instanceType = request.instanceType ?? pool!.instanceType;
          model.mixedTypes.delete(pool!.name);
          model.bounds.delete(pool!.name);
        } else {
          model.mixedTypes.add(pool!.name);
        }
        break;
      case 'upgrade':
      case 'change-profile':
        if (ok) {
          model.kubernetesVersion = request.kubernetesVersion!;
          model.kubernetesVersions = new Set([request.kubernetesVersion!]);
        } else {
          model.kubernetesVersions.add(request.kubernetesVersion!);
        }
        break;
    }

    // What a failed or cancelled operation says it undid, it must have undone.
    if (!ok && (request.type === 'scale' || request.type === 'add-pool') && launchedLive.length > 0) {
      this.violation('message', label, `${view.id} ${view.state} ("${view.error}") but what it launched still runs: ${launchedLive.map((i) => describe('instances', i)).join('; ')}`);
    }
    if (!ok && request.type === 'upgrade') {
      // Kept: the nodes whose upgrade finished; any other node of this generation should be gone.
      const upgraded = new Set((view.tasks ?? []).filter((t) => t.state === 'Succeeded' && t.name.startsWith('upgrade ')).map((t) => t.name.slice('upgrade '.length)));
      const unexplained = launchedLive.filter((i) => !upgraded.has(i.tags?.['clusterflow.io/resource'] ?? ''));
      if (unexplained.length > 0) this.violation('message', label, `${view.id} ${view.state} but replacements of unfinished steps still run: ${unexplained.map((i) => describe('instances', i)).join('; ')}`);
      const named = [...upgraded].filter((key) => !(view.error ?? '').includes(key));
      if (named.length > 0) this.violation('message', label, `${view.id} ${view.state} ("${view.error}") does not name the upgraded nodes it keeps: ${named.join(', ')}`);
    }
    if (!ok && (request.type === 'reconfigure' || request.type === 'change-profile')) {
      const swapped = new Set((view.tasks ?? []).filter((t) => t.state === 'Succeeded' && t.name.startsWith('replace ')).map((t) => t.name.slice('replace '.length)));
      const unexplained = launchedLive.filter((i) => !swapped.has(i.tags?.['clusterflow.io/resource'] ?? ''));
      if (unexplained.length > 0) this.violation('message', label, `${view.id} ${view.state} but replacements of unfinished steps still run: ${unexplained.map((i) => describe('instances', i)).join('; ')}`);
      if (swapped.size > 0 && /what it had launched was removed/.test(view.error ?? '')) {
        this.notes.push(`round ${this.round} ${view.id}: says "${view.error}", yet ${swapped.size} replacement(s) it finished (${[...swapped].join(', ')}) stay: the pool now mixes instance types`);
      }
    }
    if (!ok && request.type === 'create' && model.resources === 'absent') {
      const left = TYPES.flatMap((t) => (inv[t] ?? []).filter((i) => live(t, i) && i.tags?.['clusterflow.io/cluster'] === `default/${model.name}`).map((i) => describe(t, i)));
      if (left.length > 0) this.violation('message', label, `${view.id} says "${view.error}" but AWS still holds: ${left.join('; ')}`);
    }
    // A spot pool's nodes follow its watcher, after the operation: checked once it has caught up.
    await this.checkInvariants(label, (await this.spotPoolsSettled(label)) ? await this.inventory() : inv);
  }

  /**
   * Waits until every spot pool's watcher runs the pool's size with no roll under way (its
   * launches, a roll's last step or a stopped roll's undo come after the operation settles).
   * False when there is no spot pool to wait for; a watcher that never catches up is a violation.
   */
  private async spotPoolsSettled(label: string): Promise<boolean> {
    const model = this.model!;
    const spot = model.pools.filter((p) => p.capacity?.type === 'spot');
    if (spot.length === 0 || model.phase !== 'Running' || model.resources !== 'present') return false;
    type SpotView = { name: string; spot?: { desired: number; running: number; roll?: unknown; reason?: string } };
    const deadline = Date.now() + 120000;
    let pending: string[] = [];
    while (Date.now() < deadline) {
      const answer = await this.read(`/v1/clusters/${model.name}`);
      const pools = (answer.body as { pools?: SpotView[] })?.pools ?? [];
      pending = spot
        .map((p) => ({ p, view: pools.find((v) => v.name === p.name)?.spot }))
        .filter(({ p, view }) => !view || view.desired !== p.size || view.running !== p.size || view.roll !== undefined)
        .map(({ p, view }) => `${p.name}: ${view ? `${view.running}/${view.desired}${view.roll ? ', rolling' : ''}${view.reason ? ` (${view.reason})` : ''}` : 'no watcher view'}`);
      if (pending.length === 0) return true;
      await new Promise((r) => setTimeout(r, 500));
    }
    this.violation('stuck', label, `spot pools never caught up with their spec: ${pending.join('; ')}`);
    return true;
  }

  private async inventory(): Promise<Inventory> {
    const answer = await http(`${this.sim}/_sim/inventory`, 'GET', undefined, undefined, 60000);
    if (answer.status !== 200) throw new Error(`inventory: ${answer.status} ${answer.text}`);
    return Object.fromEntries(Object.entries(answer.body as Record<string, unknown>).filter(([, v]) => Array.isArray(v))) as Inventory;
  }

  /** Every invariant, against the whole account's inventory as moto holds it. */
  private async checkInvariants(label: string, inv: Inventory): Promise<void> {
    const model = this.model!;
    const owner = `default/${model.name}`;
    const ownerLive = model.phase !== 'Deleted';
    const mine: Record<string, Item[]> = {};

    // Orphans: anything live that no cluster of the campaign should own now.
    for (const type of TYPES) {
      mine[type] = [];
      for (const item of inv[type] ?? []) {
        if (!live(type, item)) continue;
        const tagged = item.tags?.['clusterflow.io/cluster'];
        if (tagged === owner && ownerLive && model.resources !== 'absent') {
          mine[type].push(item);
          continue;
        }
        const id = `${type}/${itemId(item)}`;
        if (this.seenOrphans.has(id)) continue;
        this.seenOrphans.add(id);
        this.violation('orphan', label, `${describe(type, item)}${tagged === owner ? ` left after ${model.phase === 'Deleted' ? 'delete' : 'rollback'}` : ''}`);
      }
    }
    if (!ownerLive || model.resources === 'absent') return this.checkApiView(label, inv);

    // Duplicates: two live resources for one key.
    for (const type of TYPES) {
      const byKey = new Map<string, Item[]>();
      for (const item of mine[type]) {
        const key = item.tags?.['clusterflow.io/resource'] ?? '(no resource tag)';
        byKey.set(key, [...(byKey.get(key) ?? []), item]);
      }
      for (const [key, items] of byKey) {
        if (items.length < 2) continue;
        const id = `${type}/${key}/${items.map(itemId).sort().join(',')}`;
        if (this.seenDuplicates.has(id)) continue;
        this.seenDuplicates.add(id);
        this.violation('duplicate', label, `${items.length} live ${type} for ${key}: ${items.map((i) => describe(type, i)).join('; ')}`);
      }
    }
    if (model.resources === 'unknown') return this.checkApiView(label, inv);

    // Exactly the spec's resources.
    const expected = expectedCounts(model);
    const differs: string[] = [];
    for (const type of TYPES) {
      if (type === 'instances') continue;
      if (mine[type].length !== expected[type]) differs.push(`${type} ${mine[type].length} (expected ${expected[type]}): ${mine[type].map((i) => describe(type, i)).join('; ')}`);
    }
    const instances = mine.instances;
    const keysOf = (prefix: string) => instances.filter((i) => (i.tags?.['clusterflow.io/resource'] ?? '').startsWith(prefix));
    if (keysOf('bastion').length !== 1) differs.push(`bastion: ${keysOf('bastion').length} live`);
    const known = new Set(['bastion', ...model.pools.flatMap((p) => poolKeys(p, Math.max(p.size, model.bounds.get(p.name)?.max ?? 0)))]);
    for (const i of instances) if (!known.has(i.tags?.['clusterflow.io/resource'] ?? '')) differs.push(`an instance outside the spec: ${describe('instances', i)}`);
    for (const pool of model.pools) {
      const nodes = keysOf(`node/${pool.name}/`);
      const bounds = model.bounds.get(pool.name);
      if (bounds) {
        if (nodes.length < bounds.min || nodes.length > bounds.max) differs.push(`pool ${pool.name}: ${nodes.length} live nodes, expected ${bounds.min}–${bounds.max} after a partial change`);
      } else {
        const want = poolKeys(pool).sort().join(',');
        const got = nodes.map((i) => i.tags?.['clusterflow.io/resource']).sort().join(',');
        if (want !== got) differs.push(`pool ${pool.name}: nodes [${got}], expected [${want}]`);
      }
      if (!model.mixedTypes.has(pool.name)) {
        const wrong = nodes.filter((i) => i.instanceType !== pool.instanceType);
        if (wrong.length > 0) differs.push(`pool ${pool.name} runs ${pool.instanceType}, but: ${wrong.map((i) => describe('instances', i)).join('; ')}`);
      }
    }
    if (differs.length > 0) this.violation('inexact', label, differs.join(' | '));
    await this.checkApiView(label, inv);
  }

  /** The API tells the truth: the phase the operations lead to, the pools of the spec, the nodes AWS runs, nothing still running. */
  private async checkApiView(label: string, inv: Inventory): Promise<void> {
    const model = this.model!;
    const answer = await this.read(`/v1/clusters/${model.name}`);
    if (answer.status !== 200) return this.violation('api-view', label, `GET cluster: ${answer.status} ${answer.text.slice(0, 200)}`);
    const status = answer.body as {
      phase: string;
      pools: Array<{ name: string; desired: number; instanceType: string; nodes: Array<{ key: string; instanceId: string; kubernetesVersion?: string }> }>;
      currentOperation?: { id: string };
    };
    const problems: string[] = [];
    if (status.phase !== model.phase) problems.push(`phase ${status.phase}, expected ${model.phase}`);
    if (status.currentOperation) problems.push(`still reports ${status.currentOperation.id} as current`);
    if (model.phase === 'Running') {
      const want = model.pools.map((p) => `${p.name}:${p.size}:${p.instanceType}`).sort().join(' ');
      const got = status.pools.map((p) => `${p.name}:${p.desired}:${p.instanceType}`).sort().join(' ');
      if (want !== got) problems.push(`pools [${got}], expected [${want}]`);
      const owner = `default/${model.name}`;
      for (const pool of status.pools) {
        const reported = pool.nodes.map((n) => n.instanceId).sort().join(',');
        const actual = (inv.instances ?? [])
          .filter((i) => live('instances', i) && i.tags?.['clusterflow.io/cluster'] === owner && (i.tags?.['clusterflow.io/resource'] ?? '').startsWith(`node/${pool.name}/`))
          .map((i) => itemId(i))
          .sort()
          .join(',');
        if (reported !== actual) problems.push(`pool ${pool.name} reports nodes [${reported}], AWS runs [${actual}]`);
        // Spot pools roll through their watchers within the operation (docs/api.md#upgrade): their nodes are held to the same versions.
        const allowed = model.kubernetesVersions;
        const versions = [...allowed];
        for (const node of pool.nodes) {
          if (node.kubernetesVersion === undefined) this.notes.push(`round ${this.round} ${label}: ${node.key} (${node.instanceId}) reports no Kubernetes version`);
          else if (!allowed.has(node.kubernetesVersion)) problems.push(`${node.key} runs Kubernetes ${node.kubernetesVersion}, expected ${versions.join(' or ')}`);
        }
      }
    }
    const ops = await this.operations();
    for (const op of ops) {
      if (!['Succeeded', 'Failed', 'Cancelled'].includes(op.state)) problems.push(`${op.id} is ${op.state} after the operation settled`);
      if (op.state !== 'Succeeded' && !op.error) problems.push(`${op.id} is ${op.state} without a message`);
    }
    if (problems.length > 0) this.violation('api-view', label, problems.join(' | '));
  }

  // ----- the rounds

  private createSpec(rng: Rng, name: string): { body: unknown; model: ClusterModel } {
    const azs = rng.sample(AZS, rng.int(1, 2)).sort();
    const workers: PoolModel = { name: 'w0', role: 'worker', size: rng.int(1, 2), instanceType: 'm5.large', azs };
    const master: PoolModel = { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: [azs[0]] };
    const body = {
      name,
      tags: { team: 'chaos' },
      profile: { id: 'aws-default' },
      cloud: { accountId: this.accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.60.0.0/16' } },
      pools: [master, workers].map((p) => ({ name: p.name, role: p.role, size: p.size, instanceType: p.instanceType, azs: p.azs })),
    };
    // aws-default's kubernetes pack (store/built-in-profiles.ts).
    const kubernetesVersion = '1.31.4';
    return {
      body,
      model: { name, azs, pools: [master, workers], resources: 'absent', phase: 'Running', bounds: new Map(), mixedTypes: new Set(), kubernetesVersion, kubernetesVersions: new Set([kubernetesVersion]) },
    };
  }

  /** A random day-2 request the cluster can take now. */
  private drawDay2(rng: Rng, round: number, index: number): Request {
    const model = this.model!;
    const base = `/v1/clusters/${model.name}`;
    const workers = model.pools.filter((p) => p.role === 'worker');
    const total = workers.reduce((n, p) => n + Math.max(p.size, model.bounds.get(p.name)?.max ?? 0), 0);
    const choices: Array<[() => Request, number]> = [];
    choices.push([
      () => {
        const pool = rng.pick(workers);
        const sizes = [1, 2, 3].filter((s) => s !== pool.size && total - pool.size + s <= MAX_WORKER_NODES);
        const size = sizes.length ? rng.pick(sizes) : pool.size === 1 ? 2 : 1;
        return { type: 'scale', label: `scale ${pool.name} ${pool.size}→${size}`, method: 'PATCH', path: `${base}/pools/${pool.name}`, body: { size }, pool: pool.name, size, from: pool.size };
      },
      3,
    ]);
    if (workers.length < 3 && total < MAX_WORKER_NODES) {
      choices.push([
        () => {
          const size = rng.int(1, Math.min(2, MAX_WORKER_NODES - total));
          const pool: PoolModel = { name: `p${round}x${index}`, role: 'worker', size, instanceType: rng.pick(INSTANCE_TYPES), azs: rng.sample(model.azs, rng.int(1, model.azs.length)).sort() };
          // Some pools are spot (the sim's spot prices sit at a third of on-demand: in range of either bid).
          if (rng.chance(0.4)) pool.capacity = { type: 'spot', maxPricePercent: rng.pick([50, 100]) };
          const what = `${size} × ${pool.instanceType}${pool.capacity ? `, spot at ${pool.capacity.maxPricePercent}%` : ''}`;
          return { type: 'add-pool', label: `add pool ${pool.name} (${what})`, method: 'POST', path: `${base}/pools`, body: { ...pool }, pool: pool.name, newPool: pool };
        },
        1.5,
      ]);
    }
    if (workers.length >= 2) {
      choices.push([
        () => {
          const pool = rng.pick(workers);
          return { type: 'remove-pool', label: `remove pool ${pool.name}`, method: 'DELETE', path: `${base}/pools/${pool.name}`, pool: pool.name };
        },
        1.5,
      ]);
    }
    const onDemandWorkers = workers.filter((p) => !p.capacity);
    if (onDemandWorkers.length > 0) {
      choices.push([
        () => {
          // New labels and a taint: every node of the pool launches otherwise, so each is replaced.
          const pool = rng.pick(onDemandWorkers);
          const body = { labels: { 'chaos.clusterflow.io/step': `r${round}x${index}` }, taints: [{ key: 'chaos.clusterflow.io/step', value: `r${round}x${index}`, effect: 'PreferNoSchedule' }] };
          return { type: 'reconfigure', label: `relabel ${pool.name} (r${round}x${index})`, method: 'PATCH', path: `${base}/pools/${pool.name}`, body, pool: pool.name };
        },
        1,
      ]);
    }
    choices.push([
      () => {
        // A profile made for the change: the same packs at a patch release up (every on-demand node rolls), or at the same version with another add-on value (none does).
        const [major, minor, patch] = model.kubernetesVersion.split('.').map(Number);
        const kubernetesVersion = rng.chance(0.5) ? `${major}.${minor}.${patch + 1}` : model.kubernetesVersion;
        const storageClass = rng.pick(['gp2', 'gp3']);
        const name = `chaos-r${round}x${index}`;
        const what = kubernetesVersion === model.kubernetesVersion ? `storage class ${storageClass}, nothing rolls` : `Kubernetes ${kubernetesVersion}`;
        return { type: 'change-profile', label: `change profile to ${name} (${what})`, method: 'PUT', path: `${base}/profile`, profile: { name, kubernetesVersion, storageClass }, kubernetesVersion };
      },
      1,
    ]);
    choices.push([
      () => {
        const pool = rng.chance(0.15) ? model.pools.find((p) => p.role === 'control-plane')! : rng.pick(workers);
        const instanceType = rng.pick(INSTANCE_TYPES.filter((t) => t !== pool.instanceType));
        return { type: 'reconfigure', label: `reconfigure ${pool.capacity ? 'spot pool ' : ''}${pool.name} ${pool.instanceType}→${instanceType}`, method: 'PATCH', path: `${base}/pools/${pool.name}`, body: { instanceType }, pool: pool.name, instanceType };
      },
      2,
    ]);
    choices.push([
      () => {
        const [major, minor, patch] = model.kubernetesVersion.split('.').map(Number);
        const kubernetesVersion = rng.chance(0.5) ? `${major}.${minor + 1}.${rng.int(0, 3)}` : `${major}.${minor}.${patch + 1}`;
        return { type: 'upgrade', label: `upgrade ${model.kubernetesVersion}→${kubernetesVersion}`, method: 'POST', path: `${base}/upgrade`, body: { kubernetesVersion }, kubernetesVersion };
      },
      1,
    ]);
    return rng.weighted(choices)();
  }

  /** The cluster profile a profile change moves to: aws-default's packs at `kubernetesVersion`, with another storage class. */
  private async makeProfile(profile: NonNullable<Request['profile']>): Promise<string> {
    const packs = BUILT_IN_PROFILES[0].packs.map((p) =>
      p.layer === 'k8s' ? { ...p, version: profile.kubernetesVersion } : p.layer === 'csi' ? { ...p, values: { ...p.values, defaultStorageClass: profile.storageClass } } : p,
    );
    const answer = await fetch(`${this.api}/v1/cluster-profiles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: profile.name, packs }),
    });
    const body = (await answer.json()) as { id?: string; message?: string };
    if (answer.status !== 201 || !body.id) throw new Error(`the profile ${profile.name} was refused: ${answer.status} ${body.message}`);
    return body.id;
  }

  /** Retries a failed or cancelled operation through the retry route; its request is the original's. */
  private async retry(view: OpView, request: Request, rng: Rng): Promise<OpView | undefined> {
    this.requests.retries++;
    const retryRequest: Request = { ...request, label: `retry of ${view.id} (${request.label})`, method: 'POST', path: `/v1/clusters/${this.model!.name}/operations/${view.id}/retry`, body: undefined };
    const result = await this.operate(retryRequest, rng, { retryOf: view.id });
    if (result && result.retryOf !== view.id) this.violation('state', retryRequest.label, `${result.id} does not name ${view.id} in retryOf (${result.retryOf})`);
    return result;
  }

  /** Runs an operation; a failure is retried once, a cancellation sometimes (always when it left the pool half-changed). */
  private async operateAndRecover(request: Request, rng: Rng, options: { cancelAtMs?: number; atLeastOneKill?: boolean } = {}): Promise<OpView | undefined> {
    const view = await this.operate(request, rng, options);
    if (!view || this.aborted) return view;
    const halfDone = request.pool !== undefined && (this.model!.bounds.has(request.pool) || this.model!.mixedTypes.has(request.pool));
    if (view.state === 'Failed' || (view.state === 'Cancelled' && (halfDone || rng.chance(0.5)))) return (await this.retry(view, request, rng)) ?? view;
    return view;
  }

  private async runRound(round: number): Promise<void> {
    this.round = round;
    const seed = this.options.seed;
    const ops = new Rng(derive(seed, round, 'ops'));
    const chaos = new Rng(derive(seed, round, 'chaos'));
    const name = `chaos-${(seed >>> 0).toString(36)}-r${round}`;
    const rateScale = Number(chaos.float(0.1, 0.5).toFixed(2));
    await this.putSim({ throttling: { enabled: true, capacityScale: 0.1, rateScale } });
    const { body, model } = this.createSpec(ops, name);
    this.model = model;
    this.ourOps = new Set();
    this.log(`round ${round}: cluster ${name}, ${model.azs.length} AZ(s) ${model.azs.join(',')}, workers ${model.pools[1].size}; throttling rateScale ${rateScale}, capacityScale 0.1`);

    const cancelCreate = ops.chance(0.15) ? Math.round(ops.float(1000, 15000)) : undefined;
    const create: Request = { type: 'create', label: `create ${name}${cancelCreate !== undefined ? ` (cancel at ${(cancelCreate / 1000).toFixed(1)} s)` : ''}`, method: 'POST', path: '/v1/clusters', body };
    // The create is the round's longest operation: at least one kill lands in it, so no round is calm.
    await this.operateAndRecover(create, chaos, { cancelAtMs: cancelCreate, atLeastOneKill: true });
    if (this.aborted) return;

    const day2 = ops.int(2, 5);
    for (let i = 0; i < day2 && model.phase === 'Running' && model.resources === 'present' && !this.aborted; i++) {
      const request = this.drawDay2(ops, round, i);
      const launches = request.type === 'scale' ? request.size! > request.from! : ['add-pool', 'reconfigure', 'upgrade', 'change-profile'].includes(request.type);
      const cancelAt = launches && ops.chance(0.25) ? Math.round(ops.float(300, 8000)) : undefined;
      if (cancelAt !== undefined) request.label += ` (cancel at ${(cancelAt / 1000).toFixed(1)} s)`;
      if (request.profile) request.body = { id: await this.makeProfile(request.profile) };
      await this.operateAndRecover(request, chaos, { cancelAtMs: cancelAt });
    }
    if (this.aborted) return;

    const del: Request = { type: 'delete', label: `delete ${name}`, method: 'DELETE', path: `/v1/clusters/${name}` };
    await this.operateAndRecover(del, chaos);
    if (!this.aborted && model.phase !== 'Deleted') this.violation('state', `delete ${name}`, `the cluster is ${model.phase} after its delete (and a retry)`);
  }

  async run(): Promise<CampaignSummary> {
    const startedAt = Date.now();
    const { seed, rounds } = this.options;
    const reproduce = `npm run chaos -- --seed ${seed} --rounds ${rounds}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-chaos-'));
    const ports = await stackPorts();
    const sim = { delayScale: Number(new Rng(derive(seed, 'stack')).float(0.1, 0.2).toFixed(2)), throttling: { enabled: true, capacityScale: 0.1, rateScale: 0.3 } };
    // Spot watchers look every 2 s, so spot pools catch up within an operation's checks.
    const env = stackEnv(ports, dataDir, { CLUSTERFLOW_AWS_POLL_MS: '200', CLUSTERFLOW_SPOT_INTERVAL_S: '2', CLUSTERFLOW_SIM_CONFIG: JSON.stringify(sim) });
    this.api = `http://127.0.0.1:${ports.api}`;
    this.sim = `http://127.0.0.1:${ports.sim}`;
    this.stack = new ChaosStack(ports, env, dataDir, this.log, () => this.waitApi());
    active.add(this.stack);
    let roundsCompleted = 0;
    let stats = { faulted: 0, throttled: 0, calls: 0 };
    let faultedActions: Record<string, number> = {};
    this.log(`chaos campaign: seed ${seed}, ${rounds} round(s); simulator delayScale ${sim.delayScale}; data dir ${dataDir}`);
    try {
      await this.stack.start();
      this.token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
      const account = await http(`${this.api}/v1/cloud-accounts`, 'POST', { name: 'chaos', ...KEYS }, this.token);
      if (account.status !== 201) throw new Error(`cloud account: ${account.status} ${account.text}`);
      this.accountId = (account.body as { id: string }).id;
      await http(`${this.sim}/_sim/stats`, 'DELETE');
      for (let round = 1; round <= rounds && !this.aborted; round++) {
        await this.runRound(round);
        if (!this.aborted) roundsCompleted++;
      }
    } catch (error) {
      this.violation('error', `round ${this.round}`, `the campaign could not go on: ${(error as Error).stack ?? error}`);
    } finally {
      const answer = await http(`${this.sim}/_sim/stats`).catch(() => undefined);
      if (answer?.status === 200) {
        const body = answer.body as { totals: { faulted: number; throttled: number; calls: number }; actions: Record<string, { faulted: number }> };
        stats = { faulted: body.totals.faulted, throttled: body.totals.throttled, calls: body.totals.calls };
        faultedActions = Object.fromEntries(
          Object.entries(body.actions)
            .filter(([, a]) => a.faulted > 0)
            .sort(([, a], [, b]) => b.faulted - a.faulted)
            .slice(0, 8)
            .map(([action, a]) => [action, a.faulted]),
        );
      }
      await this.stack.stop().catch(() => undefined);
      active.delete(this.stack);
    }
    const duplicates = this.violations.filter((v) => v.kind === 'duplicate').length;
    const orphans = this.violations.filter((v) => v.kind === 'orphan').length;
    const ok = this.violations.length === 0 && roundsCompleted === rounds;
    const kills = { ...this.stack.kills, total: this.stack.kills.worker + this.stack.kills.api + this.stack.kills.temporal };
    if (ok) fs.rmSync(dataDir, { recursive: true, force: true });
    return {
      seed,
      rounds,
      roundsCompleted,
      operations: { total: this.opsTotal, byType: this.byType },
      requests: this.requests,
      kills,
      restarts: this.stack.restarts,
      unexpectedExits: this.stack.unexpectedExits,
      faultsInjected: stats.faulted,
      faultedActions,
      throttled: stats.throttled,
      awsCalls: stats.calls,
      duplicates,
      orphans,
      stuck: this.stuck,
      violations: this.violations,
      notes: this.notes,
      wallMs: Date.now() - startedAt,
      ok,
      reproduce,
      dataDir: ok ? undefined : dataDir,
    };
  }
}

/** Stacks still running, stopped if the campaign is interrupted. */
const active = new Set<ChaosStack>();

export function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
  return new Campaign(options).run();
}

export function formatSummary(s: CampaignSummary): string {
  const ops = Object.entries(s.operations.byType)
    .map(([type, states]) => `${type} ${Object.entries(states).map(([state, n]) => `${n} ${state}`).join(', ')}`)
    .join('; ');
  const lines = [
    '',
    `chaos summary (seed ${s.seed})`,
    `  rounds            ${s.roundsCompleted}/${s.rounds}`,
    `  operations        ${s.operations.total}: ${ops || 'none'}`,
    `  requests          ${s.requests.refused} refused, ${s.requests.ambiguous} answers lost to a kill, ${s.requests.cancelsSent} cancels (${s.requests.cancelsTooLate} too late), ${s.requests.retries} retries`,
    `  kills             ${s.kills.total} (worker ${s.kills.worker}, api ${s.kills.api}, temporal ${s.kills.temporal}), all SIGKILL`,
    `  restarts          ${s.restarts}${s.unexpectedExits.length ? `; unexpected exits ${s.unexpectedExits.length}: ${s.unexpectedExits.join(' / ')}` : ''}`,
    `  faults injected   ${s.faultsInjected} (5xx and lost responses), throttled ${s.throttled}, of ${s.awsCalls} AWS calls`,
    `    most faulted    ${Object.entries(s.faultedActions).map(([a, n]) => `${a} ${n}`).join(', ') || 'none'}`,
    `  duplicates        ${s.duplicates}`,
    `  orphans           ${s.orphans}`,
    `  stuck operations  ${s.stuck}`,
    `  violations        ${s.violations.length}`,
    ...s.violations.map((v) => `    round ${v.round} ${v.op}: ${v.kind}: ${v.detail.slice(0, 2000)}`),
    ...(s.notes.length ? ['  notes', ...s.notes.map((n) => `    ${n}`)] : []),
    `  wall time         ${(s.wallMs / 1000).toFixed(0)} s`,
  ];
  if (!s.ok) lines.push(`FAILED — reproduce: ${s.reproduce}`, ...(s.dataDir ? [`  logs kept in ${s.dataDir}/logs`] : []));
  else lines.push('OK');
  return lines.join('\n');
}

function parseArgs(argv: string[]): { seed: number; rounds: number } {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  const seedText = value('--seed');
  const roundsText = value('--rounds');
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
  const rounds = roundsText === undefined ? 3 : Number(roundsText);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`--seed takes a whole number from 0 to 2^32-1; got ${seedText}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a whole number of at least 1; got ${roundsText}`);
  return { seed, rounds };
}

async function main(): Promise<void> {
  const { seed, rounds } = parseArgs(process.argv.slice(2));
  process.stdout.write(`seed ${seed} (reproduce: npm run chaos -- --seed ${seed} --rounds ${rounds})\n`);
  const stopAll = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping the stack (reproduce: npm run chaos -- --seed ${seed} --rounds ${rounds})\n`);
    void Promise.all([...active].map((s) => s.stop())).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => stopAll('SIGINT'));
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  const summary = await runCampaign({ seed, rounds });
  process.stdout.write(`${formatSummary(summary)}\n`);
  process.exit(summary.ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`chaos failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
