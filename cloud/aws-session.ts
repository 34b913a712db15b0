import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { PricingClient } from '@aws-sdk/client-pricing';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { ApplicationFailure } from '@temporalio/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { ClusterflowConfig } from '../common/config';
import { SecretBox } from '../common/secret-box';
import { Owner, projectOfCluster } from '../common/tags';
import { Store } from '../store/store';
import { AwsCallObserver, observeCalls } from './aws-call-metrics';
import { refusedKeysAreFinal } from './aws-retry';
import { CallBudget, callBudget, heartbeatWhile } from './call-budget';
import { limitCalls, LimitedCalls, SharedRateLimiter } from './rate-limiter';
import { pollReads, PollReads } from './poll-reads';

/** What activities and the API's dry run need to reach AWS; workflows only ever carry the account id. */
export interface AwsDeps {
  config: ClusterflowConfig;
  store: Store;
  secretBox: SecretBox;
  /** Told of every call the clients made here make (the worker's metrics); none in the API. */
  awsCalls?: AwsCallObserver;
  /** The EC2 request buckets every worker and API process of the deployment shares (cloud/rate-limiter.ts). */
  rateLimiter?: SharedRateLimiter;
  /**
   * How long a call made outside an activity (the API's, answering a request) may wait for its
   * tokens before it fails unsent; an activity's calls wait within their attempt instead.
   */
  rateWaitMs?: number;
}

/** An account id means something only within its project: the keys are looked up there and nowhere else. */
export interface AccountRef {
  project: string;
  accountId: string;
}

/**
 * Where a session works: the account and region, with the project said outright (the API's
 * reads: the request's project) or carried by the owner (an activity's scope: the cluster's).
 */
export type SessionWhere = { accountId: string; region: string } & ({ project: string } | { owner: Owner });

export function accountOf(where: SessionWhere): AccountRef {
  return { project: 'project' in where ? where.project : projectOfCluster(where.owner.cluster), accountId: where.accountId };
}

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Opens the account's sealed keys, here in the activity, so they never enter a Temporal payload. */
export async function credentialsFor(deps: AwsDeps, ref: AccountRef): Promise<AwsKeys> {
  const account = await storedAccount(deps, ref);
  const secret = JSON.parse(deps.secretBox.open(account.sealedSecret, account.id)) as { secretAccessKey: string; sessionToken?: string };
  return { accessKeyId: account.accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken: secret.sessionToken };
}

/** The account's record; a missing one fails for good (retrying cannot make a deleted account reappear). */
async function storedAccount(deps: AwsDeps, { project, accountId }: AccountRef) {
  const account = await deps.store.getCloudAccount(project, accountId);
  if (!account) throw ApplicationFailure.nonRetryable(`cloud account ${accountId} does not exist in project ${project} (was it deleted?)`, 'CloudAccountNotFound');
  return account;
}

/**
 * The account's keys as the SDK asks for them: read from the store at every call, so a
 * client made before a rotation (a long wait's) signs its next call with the new keys. The
 * SDK keeps keys without an expiry for the client's lifetime; these say they expire now,
 * which makes it ask again for every request. A deleted account fails where the session or
 * client is made (`withSession`, `ec2Client`); one deleted later fails the call that finds it gone.
 */
export function currentCredentials(deps: AwsDeps, account: AccountRef): () => Promise<AwsKeys & { expiration: Date }> {
  return async () => ({ ...(await credentialsFor(deps, account)), expiration: new Date() });
}

/**
 * Settings every SDK client shares. AWS throttles bursts (RequestLimitExceeded) and the
 * standard retry mode backs off on exactly those, so a throttled call costs time, not an
 * activity attempt; refused keys are never retried (aws-retry.ts). The timeouts keep a hung
 * connection from outliving the activity.
 */
export function clientConfig(deps: AwsDeps, account: AccountRef, region: string, budget: CallBudget = callBudget()) {
  return {
    region,
    endpoint: deps.config.awsEndpointUrl,
    credentials: currentCredentials(deps, account),
    maxAttempts: 8,
    retryMode: 'standard',
    extensions: [refusedKeysAreFinal],
    requestHandler: { connectionTimeout: 5_000, requestTimeout: budget.requestTimeoutMs },
  };
}

interface Sending {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Every call of `client` is aborted when the budget's time is up, SDK retries included. */
function bounded<C>(client: C, budget: CallBudget): C {
  const { signal } = budget;
  if (!signal) return client;
  const sending = client as unknown as Sending;
  const send = sending.send.bind(sending);
  sending.send = (command, options) => send(command, { abortSignal: signal, ...options });
  return client;
}

/**
 * The AWS account whose buckets a stored account's calls drain: the one STS named when the
 * keys were registered (two stored accounts may hold keys of one AWS account), else the keys.
 */
async function bucketAccount(deps: AwsDeps, account: AccountRef): Promise<string> {
  const record = await deps.store.getCloudAccount(account.project, account.accountId);
  return record?.awsAccountId ?? `key:${record?.accessKeyId ?? `${account.project}/${account.accountId}`}`;
}

/** How one client's EC2 calls keep to the shared buckets, within `budget`; undefined without a limiter. */
export function ec2Limits(deps: AwsDeps, account: AccountRef, region: string, budget: CallBudget): LimitedCalls | undefined {
  const limiter = deps.rateLimiter;
  if (!limiter) return undefined;
  // Looked up once per client, not per call: with the store on PostgreSQL each look-up is a round trip.
  let bucket: Promise<string> | undefined;
  const once = () =>
    (bucket ??= bucketAccount(deps, account).catch((error: unknown) => {
      bucket = undefined;
      throw error;
    }));
  const endsAtMs = budget.endsAtMs ?? (deps.rateWaitMs === undefined ? undefined : Date.now() + deps.rateWaitMs);
  return { limiter, account: once, region, share: deps.config.awsRateShare, endsAtMs, signal: budget.signal };
}

export async function ec2Client(deps: AwsDeps, where: SessionWhere, budget: CallBudget = callBudget()): Promise<EC2Client> {
  await storedAccount(deps, accountOf(where));
  return limitedEc2Client(deps, where, budget);
}

/** An EC2 client that keeps to the shared buckets, for an account already found in the store. */
function limitedEc2Client(deps: AwsDeps, where: SessionWhere, budget: CallBudget): EC2Client {
  const account = accountOf(where);
  const client = new EC2Client(clientConfig(deps, account, where.region, budget));
  return limitCalls(observeCalls(client, deps.awsCalls), ec2Limits(deps, account, where.region, budget));
}

/** The Pricing API answers only in a few regions; us-east-1 serves every region's prices. */
export const PRICING_REGION = 'us-east-1';

interface Destroyable {
  destroy(): void;
  middlewareStack: unknown;
}

/**
 * The clients one activity call uses, made on first use and closed together when the call
 * ends (`withSession`). Each of their calls signs with the account's keys as stored then.
 */
export class AwsSession {
  private readonly made: Destroyable[] = [];
  private readonly cache = new Map<string, Destroyable>();
  /** Made when the session is: the activity attempt's time, shared by every client. */
  private readonly budget = callBudget();

  readonly accountId: string;
  private readonly account: AccountRef;

  constructor(
    private readonly deps: AwsDeps,
    account: AccountRef,
    readonly region: string,
  ) {
    this.account = account;
    this.accountId = account.accountId;
  }

  private client<C extends Destroyable>(name: string, make: () => C): C {
    let client = this.cache.get(name) as C | undefined;
    if (!client) {
      client = bounded(observeCalls(make(), this.deps.awsCalls), this.budget);
      this.cache.set(name, client);
      this.made.push(client);
    }
    return client;
  }

  get ec2(): EC2Client {
    return this.client('ec2', () =>
      limitCalls(new EC2Client(clientConfig(this.deps, this.account, this.region, this.budget)), ec2Limits(this.deps, this.account, this.region, this.budget)),
    );
  }

  /**
   * The reads waits poll, batched with every other wait of this process in the account and
   * region (poll-reads.ts); not bound to this session's attempt, each asker to its own.
   */
  get polls(): PollReads {
    const where = { ...this.account, region: this.region };
    return pollReads(this.deps, this.account, this.region, (budget) => limitedEc2Client(this.deps, where, budget));
  }

  /** Classic Elastic Load Balancing (the API server's load balancer). */
  get elb(): ElasticLoadBalancingClient {
    return this.client('elb', () => new ElasticLoadBalancingClient(clientConfig(this.deps, this.account, this.region, this.budget)));
  }

  /** Elastic Load Balancing v2 (network load balancers, their target groups and listeners). */
  get elbv2(): ElasticLoadBalancingV2Client {
    return this.client('elbv2', () => new ElasticLoadBalancingV2Client(clientConfig(this.deps, this.account, this.region, this.budget)));
  }

  get sts(): STSClient {
    return this.client('sts', () => new STSClient(clientConfig(this.deps, this.account, this.region, this.budget)));
  }

  get secrets(): SecretsManagerClient {
    return this.client('secrets', () => new SecretsManagerClient(clientConfig(this.deps, this.account, this.region, this.budget)));
  }

  /** IAM is global; its endpoint answers for every region. */
  get iam(): IAMClient {
    return this.client('iam', () => new IAMClient(clientConfig(this.deps, this.account, 'us-east-1', this.budget)));
  }

  get quotas(): ServiceQuotasClient {
    return this.client('quotas', () => new ServiceQuotasClient(clientConfig(this.deps, this.account, this.region, this.budget)));
  }

  get pricing(): PricingClient {
    return this.client('pricing', () => new PricingClient(clientConfig(this.deps, this.account, PRICING_REGION, this.budget)));
  }

  close(): void {
    for (const client of this.made.splice(0)) client.destroy();
    this.cache.clear();
  }
}

const inSession = new AsyncLocalStorage<AwsDeps>();

/**
 * The deps of the session the calling code runs in, for helpers deep inside a step that are
 * not handed them (the activities' waits read their poll interval and deadline here, from
 * the process's settings); undefined outside `withSession`.
 */
export function sessionDeps(): AwsDeps | undefined {
  return inSession.getStore();
}

/** Runs `body` with a session for the account and region, and closes its clients afterwards. */
export async function withSession<T>(
  deps: AwsDeps,
  where: SessionWhere,
  body: (session: AwsSession) => Promise<T>,
): Promise<T> {
  await storedAccount(deps, accountOf(where));
  const session = new AwsSession(deps, accountOf(where), where.region);
  try {
    return await inSession.run(deps, () => heartbeatWhile(() => body(session)));
  } finally {
    session.close();
  }
}
