import { SimClock } from './clock';
import { defaultConfig, delayOf, type Delays, type SimConfig } from './config';
import { Credentials } from './credentials';
import { Holds } from './holds';
import { Idempotency } from './idempotency';
import { Moto } from './moto';
import { SpotMarket } from './spot/market';
import { Stats } from './stats';
import { Throttler } from './throttling';
import { items, text } from './xml';

/**
 * The simulator's state beside moto's: when each resource was created or deleted (so its
 * apparent state can be computed at read time), spot prices and bids, ClientTokens, token
 * buckets, call statistics and the live config. Nothing here runs in the background.
 *
 * "When" is always the simulator's clock (`clock.ts`), which a test may freeze and advance.
 */

/** What a client did to an instance (or the spot market did to it), and when. */
export interface InstanceEvent {
  kind: 'launch' | 'stop' | 'terminate';
  at: number;
}

/** A state a client saw the instance enter, and when. */
export interface Transition {
  state: string;
  at: number;
}

export interface InstanceRecord {
  id: string;
  region: string;
  accessKeyId: string;
  /** When it was launched or last started; it is `pending` until `delays.instancePending` later. */
  launchedAt: number;
  terminatedAt?: number;
  stoppedAt?: number;
  availabilityZone?: string;
  instanceType?: string;
  spot?: { maxPrice: number };
  /** Set when the simulator interrupted it because the spot price rose above its MaxPrice. */
  interruptedAt?: number;
  /** Every launch/start, stop and termination, oldest first: its history, for GET /_sim/transitions. */
  events: InstanceEvent[];
}

export interface NatRecord {
  id: string;
  region: string;
  accessKeyId: string;
  createdAt: number;
  deletedAt?: number;
  /** moto's real state has caught up (Elastic IP released, interface deleted). */
  finalized: boolean;
}

export interface Registration {
  at: number;
  port?: string;
}

export type ApparentState = { name: string; code: number };

const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function stateOf(name: string): ApparentState {
  return { name, code: STATE_CODES[name] ?? 16 };
}

export class Sim {
  config: SimConfig;
  readonly clock = new SimClock();
  readonly moto: Moto;
  readonly stats = new Stats();
  readonly throttler = new Throttler();
  readonly idempotency = new Idempotency();
  readonly spot = new SpotMarket(this);
  /** Calls a test has asked to park (holds.ts). */
  readonly holds = new Holds();
  /** Keys' accounts and whether they still work (credentials.ts). */
  readonly credentials = new Credentials();
  readonly instances = new Map<string, InstanceRecord>();
  readonly nats = new Map<string, NatRecord>();
  /** Classic ELB: `${region}|${loadBalancerName}|${instanceId}` → registration. */
  readonly elbRegistrations = new Map<string, Registration>();
  /** ELBv2: `${targetGroupArn}|${targetId}` → registration / deregistration. */
  readonly targetRegistrations = new Map<string, Registration>();
  readonly targetDeregistrations = new Map<string, Registration>();
  /** Regions and access keys clients have used, for the inventory. */
  readonly seen = new Map<string, Set<string>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private settling: Promise<void> | undefined;

  constructor(
    motoUrl: string,
    private readonly initialConfig: SimConfig = defaultConfig(),
  ) {
    this.moto = new Moto(motoUrl, this.credentials);
    this.config = structuredClone(initialConfig);
  }

  delay(name: keyof Delays): number {
    return delayOf(this.config, name);
  }

  now(): number {
    return this.clock.now();
  }

  noteCaller(region: string, accessKeyId: string): void {
    let keys = this.seen.get(region);
    if (!keys) {
      keys = new Set();
      this.seen.set(region, keys);
    }
    keys.add(accessKeyId);
  }

  /** Runs `fn` alone among calls holding the same key (check-then-act for quotas). */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  // ---- apparent states ------------------------------------------------------------------

  /** The state a client sees for an instance whose moto state is `motoState`. */
  instanceState(id: string, motoState: string, now = this.now()): ApparentState {
    const record = this.instances.get(id);
    if (!record) return stateOf(motoState);
    if (record.terminatedAt !== undefined || motoState === 'terminated') {
      const at = record.terminatedAt ?? 0;
      return stateOf(now < at + this.delay('instanceShuttingDown') ? 'shutting-down' : 'terminated');
    }
    if (motoState === 'stopped') {
      const at = record.stoppedAt ?? 0;
      return stateOf(now < at + this.delay('instanceStopping') ? 'stopping' : 'stopped');
    }
    if (motoState === 'running' || motoState === 'pending') {
      return stateOf(now < record.launchedAt + this.delay('instancePending') ? 'pending' : 'running');
    }
    return stateOf(motoState);
  }

  /** When the instance became (or becomes) `running` as a client sees it; 0 if unknown to the simulator. */
  runningSince(id: string): number {
    const record = this.instances.get(id);
    return record ? record.launchedAt + this.delay('instancePending') : 0;
  }

  /**
   * The states a client saw the instance go through up to `now`, oldest first, by the same
   * rules as `instanceState`: each event begins a state (`pending`, `stopping`,
   * `shutting-down`) that turns into the next (`running`, `stopped`, `terminated`) once its
   * delay has passed, unless another event came first.
   */
  instanceTransitions(id: string, now = this.now()): Transition[] {
    const record = this.instances.get(id);
    if (!record) return [];
    const FOLLOW = {
      launch: ['pending', 'running', this.delay('instancePending')],
      stop: ['stopping', 'stopped', this.delay('instanceStopping')],
      terminate: ['shutting-down', 'terminated', this.delay('instanceShuttingDown')],
    } as const;
    const out: Transition[] = [];
    record.events.forEach((event, i) => {
      if (event.at > now) return;
      const [begins, becomes, delay] = FOLLOW[event.kind];
      out.push({ state: begins, at: event.at });
      const until = Math.min(now, record.events[i + 1]?.at ?? Infinity);
      if (event.at + delay <= until) out.push({ state: becomes, at: event.at + delay });
    });
    return out;
  }

  natState(id: string, motoState: string, now = this.now()): string {
    const record = this.nats.get(id);
    if (!record) return motoState;
    if (record.deletedAt !== undefined) return now < record.deletedAt + this.delay('natGatewayDeleting') ? 'deleting' : 'deleted';
    if (motoState === 'available') return now < record.createdAt + this.delay('natGatewayPending') ? 'pending' : 'available';
    return motoState;
  }

  // ---- catching moto up -----------------------------------------------------------------

  /**
   * Makes moto's real state catch up with transitions whose delay has passed: a deleted NAT
   * gateway lets go of its Elastic IP and network interface only once it is `deleted`.
   * Called before every request is served, so every observer sees a consistent cloud.
   */
  settle(): Promise<void> {
    if (!this.settling) {
      this.settling = this.settleNow().finally(() => {
        this.settling = undefined;
      });
    }
    return this.settling;
  }

  private async settleNow(): Promise<void> {
    const now = this.now();
    for (const nat of this.nats.values()) {
      if (nat.finalized || nat.deletedAt === undefined) continue;
      if (now < nat.deletedAt + this.delay('natGatewayDeleting')) continue;
      nat.finalized = true;
      // If moto fails us, the next request tries again: an Elastic IP left associated would
      // refuse its release forever.
      await this.releaseNatResources(nat).catch(() => {
        nat.finalized = false;
      });
    }
  }

  private async releaseNatResources(nat: NatRecord): Promise<void> {
    const caller = { region: nat.region, accessKeyId: nat.accessKeyId };
    const root = await this.moto.query('ec2', caller, 'DescribeNatGateways', { 'NatGatewayId.1': nat.id });
    const gateway = items(root, 'natGatewaySet')[0];
    const interfaces = items(gateway, 'natGatewayAddressSet')
      .map((address) => text(address, 'networkInterfaceId'))
      .filter((v): v is string => Boolean(v));
    for (const eni of interfaces) {
      const addresses = await this.moto.ec2All(caller, 'DescribeAddresses', 'addressesSet', {
        'Filter.1.Name': 'network-interface-id',
        'Filter.1.Value.1': eni,
      });
      for (const address of addresses) {
        const association = text(address, 'associationId');
        if (association) await this.moto.query('ec2', caller, 'DisassociateAddress', { AssociationId: association });
      }
      await this.moto.query('ec2', caller, 'DeleteNetworkInterface', { NetworkInterfaceId: eni }).catch(() => undefined);
    }
  }

  // ---- reset ----------------------------------------------------------------------------

  /** moto's reset, and every piece of simulator state; the config returns to the one the simulator started with, the clock to real time. */
  async reset(): Promise<void> {
    await this.moto.reset();
    this.config = structuredClone(this.initialConfig);
    this.stats.reset();
    this.throttler.reset();
    this.idempotency.reset();
    this.spot.reset();
    this.holds.releaseAll();
    this.credentials.reset();
    this.instances.clear();
    this.nats.clear();
    this.elbRegistrations.clear();
    this.targetRegistrations.clear();
    this.targetDeregistrations.clear();
    this.seen.clear();
    this.clock.reset();
  }
}
