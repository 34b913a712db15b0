import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_AWS_RATE_SHARE, loadConfig } from '../../common/config';
import { repoRoot } from '../../common/paths';
import { BucketDraw, drawsOf, limitCalls, reserveTokens, shapeOf, SharedRateLimiter } from '../../cloud/rate-limiter';
import { SqliteRateLimiter } from '../../cloud/sqlite-rate-limiter';
import { PostgresStore } from '../../store/postgres-store';
import { RunningPostgres, startPostgres } from '../support/postgres';

/**
 * cloud/rate-limiter.ts, sqlite-rate-limiter.ts and postgres-rate-limiter.ts: EC2's buckets kept
 * by every worker together. The cross-process test runs the built module (dist/, as `npm test`
 * builds it), on each of the places a deployment keeps its buckets.
 */

const bucket = (capacity: number, refillPerSecond: number, tokens = 1): BucketDraw => ({ key: 'acct|us-east-1|RunInstances', capacity, refillPerSecond, tokens });

describe('the reservation arithmetic', () => {
  it('serves a full bucket at once, then one call per refill interval, in order', () => {
    const draw = bucket(2, 4);
    let states = [undefined] as Array<{ tokens: number; atMs: number } | undefined>;
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = reserveTokens([draw], states, 1_000, 60_000)!;
      waits.push(r.waitMs);
      states = r.states;
    }
    expect(waits).toEqual([0, 0, 250, 500, 750]);
  });

  it('refuses, taking nothing, a wait longer than allowed', () => {
    const draw = bucket(1, 1);
    const first = reserveTokens([draw], [undefined], 0, 60_000)!;
    expect(reserveTokens([draw], first.states, 0, 500)).toBeUndefined();
    // Nothing was taken: the same call with room to wait waits one refill, not two.
    expect(reserveTokens([draw], first.states, 0, 5_000)?.waitMs).toBe(1_000);
  });

  it('a call needing more than our share of a small bucket waits past full, keeping our pace below AWS’s', () => {
    // A fifth of RunInstances' bucket (5 tokens, 2/s) is 1 token at 0.4/s; our 85 % of it is 0.85 at 0.34/s.
    const draw = { ...bucket(0.85, 0.34), tokens: 1 };
    let states = [undefined] as Array<{ tokens: number; atMs: number } | undefined>;
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = reserveTokens([draw], states, 0, 60_000)!;
      waits.push(r.waitMs);
      states = r.states;
    }
    // One call per 1 / 0.34 s = 2.94 s, slower than AWS's one per 2.5 s.
    expect(waits).toEqual([442, 3383, 6324]);
  });

  it('RunInstances draws from its action bucket and, per instance, its resource bucket, both our share of AWS’s', () => {
    const draws = drawsOf('111122223333', 'eu-west-1', shapeOf('RunInstances', { MinCount: 3, MaxCount: 3 }), 0.5);
    expect(draws).toEqual([
      { key: '111122223333|eu-west-1|RunInstances', capacity: 2.5, refillPerSecond: 1, tokens: 1 },
      { key: '111122223333|eu-west-1|RunInstances#resource', capacity: 500, refillPerSecond: 1, tokens: 3 },
    ]);
    expect(drawsOf('a', 'r', shapeOf('DescribeInstances', {}), 1)[0].key).toBe('a|r|DescribeInstances#unfiltered');
    expect(drawsOf('a', 'r', shapeOf('DescribeInstances', { Filters: [{ Name: 'instance-id', Values: ['i-1'] }] }), 1)[0]).toMatchObject({
      key: 'a|r|DescribeInstances',
      capacity: 100,
      refillPerSecond: 20,
    });
  });
});

describe('CLUSTERFLOW_AWS_RATE_SHARE', () => {
  it('is 0.85 unless set, and a fraction above 0 and at most 1 when set', () => {
    expect(loadConfig({}).awsRateShare).toBe(DEFAULT_AWS_RATE_SHARE);
    expect(DEFAULT_AWS_RATE_SHARE).toBe(0.85);
    expect(loadConfig({ CLUSTERFLOW_AWS_RATE_SHARE: '0.5' }).awsRateShare).toBe(0.5);
    expect(loadConfig({ CLUSTERFLOW_AWS_RATE_SHARE: '1' }).awsRateShare).toBe(1);
    for (const bad of ['0', '1.5', '-0.2', 'half']) {
      expect(() => loadConfig({ CLUSTERFLOW_AWS_RATE_SHARE: bad })).toThrow(`CLUSTERFLOW_AWS_RATE_SHARE must be a fraction above 0 and at most 1 (e.g. 0.85), got "${bad}"`);
    }
  });
});

/**
 * A child process that opens the deployment's limiter as a worker does (`config`: the data dir,
 * or the PostgreSQL store's URL), takes `calls` tokens from one bucket, waiting as told, and
 * prints when each call would be sent.
 */
const CHILD = `
const { openRateLimiter } = require(process.argv[1]);
const [config, calls, capacity, rate, startAt] = process.argv.slice(2);
const limiter = openRateLimiter(JSON.parse(config));
const draw = { key: 'acct|us-east-1|CreateTags', capacity: Number(capacity), refillPerSecond: Number(rate), tokens: 1 };
(async () => {
  while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 2));
  const sent = [];
  await Promise.all(Array.from({ length: Number(calls) }, async () => {
    const wait = await limiter.reserve([draw], 60000);
    await new Promise((r) => setTimeout(r, wait));
    sent.push(Date.now());
  }));
  await limiter.close();
  process.stdout.write(JSON.stringify(sent));
})();
`;

function runChild(args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const module = path.join(repoRoot(), 'dist/cloud/open-rate-limiter.js');
    const child = spawn(process.execPath, ['-e', CHILD, module, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

/** Where a deployment keeps its buckets: a SQLite file in the data dir, or the PostgreSQL store (its schema migrated). */
interface LimiterPlace {
  config(): Promise<{ dataDir: string; storeUrl?: string }>;
  stop(): Promise<void>;
}

function sqlitePlace(): LimiterPlace {
  const dirs: string[] = [];
  return {
    async config() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-limiter-'));
      dirs.push(dir);
      return { dataDir: dir };
    },
    async stop() {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresPlace(): LimiterPlace {
  let server: RunningPostgres | undefined;
  let databases = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-limiter-'));
  return {
    async config() {
      server ??= await startPostgres();
      const name = `limits${++databases}`;
      await server.createDatabase(name);
      // The worker opens the store first, whose migrations make the buckets' table.
      await (await PostgresStore.open(server.url(name))).close();
      return { dataDir: dir, storeUrl: server.url(name) };
    },
    async stop() {
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each([
  ['a SQLite file in the data dir', sqlitePlace],
  ['the PostgreSQL store', postgresPlace],
] as const)('the buckets in %s, shared by processes', (_where, makePlace) => {
  let place: LimiterPlace;
  beforeAll(() => (place = makePlace()));
  afterAll(() => place.stop());

  it('two processes taking from one bucket, first used by both at once, never exceed it together', async () => {
    if (!fs.existsSync(path.join(repoRoot(), 'dist/cloud/open-rate-limiter.js'))) throw new Error('run npm run build first (npm test does)');
    const config = JSON.stringify(await place.config());
    const capacity = 5;
    const rate = 20;
    const perProcess = 20;
    const startAt = Date.now() + 1_500;
    const [a, b] = await Promise.all([
      runChild([config, String(perProcess), String(capacity), String(rate), String(startAt)]),
      runChild([config, String(perProcess), String(capacity), String(rate), String(startAt)]),
    ]);
    const sent = [...a, ...b].sort((x, y) => x - y);
    expect(sent).toHaveLength(2 * perProcess);
    // Any stretch of calls fits in the bucket: its capacity plus what refilled meanwhile
    // (a timer may fire a few ms late, never early; 1 token of slack for that).
    let worst = 0;
    for (let i = 0; i < sent.length; i++) {
      for (let j = i; j < sent.length; j++) {
        const allowed = capacity + ((sent[j] - sent[i]) / 1000) * rate + 1;
        worst = Math.max(worst, j - i + 1 - allowed);
      }
    }
    expect(worst).toBeLessThanOrEqual(0);
    // And it did hold them back: 40 calls through a bucket of 5 refilling 20/s take at least 1.75 s.
    expect(sent[sent.length - 1] - sent[0]).toBeGreaterThanOrEqual(((2 * perProcess - capacity) / rate) * 1000 - 50);
  }, 60_000);
});

describe('the SQLite buckets', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-limiter-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps its own file in the data dir, private to its owner', async () => {
    const limiter = new SqliteRateLimiter(dir);
    await limiter.reserve([bucket(1, 1)], 0);
    limiter.close();
    expect(fs.statSync(path.join(dir, 'rate-limits.sqlite')).mode & 0o077).toBe(0);
  });
});

describe('an EC2 client keeping to the buckets', () => {
  let server: http.Server;
  let endpoint: string;
  const received: Array<{ at: number; amzDate: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push({ at: Date.now(), amzDate: String(req.headers['x-amz-date'] ?? '') });
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcSet/></DescribeVpcsResponse>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (received.length = 0));

  const client = (limiter: SharedRateLimiter, endsAtMs?: number) =>
    limitCalls(
      new EC2Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' }, maxAttempts: 1 }),
      { limiter, account: async () => '123456789012', region: 'us-east-1', share: 1, endsAtMs },
    );

  /** A limiter whose DescribeVpcs bucket holds one token refilling every 1.5 s; `waits` has the waits it answered. */
  function slowBucket(dir: string): SharedRateLimiter & { waits: Array<number | undefined> } {
    const real = new SqliteRateLimiter(dir);
    const waits: Array<number | undefined> = [];
    return {
      waits,
      reserve: async (draws, maxWaitMs) => {
        const wait = await real.reserve(draws.map((d) => ({ ...d, capacity: 1, refillPerSecond: 1 / 1.5 })), maxWaitMs);
        waits.push(wait);
        return wait;
      },
      close: () => real.close(),
    };
  }

  it('waits for a token before signing and sending each call', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-limiter-'));
    const limiter = slowBucket(dir);
    try {
      const ec2 = client(limiter);
      await Promise.all([ec2.send(new DescribeVpcsCommand({})), ec2.send(new DescribeVpcsCommand({}))]);
      expect(received).toHaveLength(2);
      // The first took the bucket's one token and went at once; the second waited for the next.
      expect(limiter.waits).toEqual([0, expect.any(Number)]);
      expect(limiter.waits[1]).toBeGreaterThanOrEqual(1_400);
      const [first, second] = [...received].sort((x, y) => x.at - y.at);
      // A timer never fires early: the server saw the second no sooner than its wait.
      expect(second.at - first.at).toBeGreaterThanOrEqual(1_400);
      // Signed after the wait: its X-Amz-Date (whole seconds) is the moment it was sent, not the moment it was asked.
      const stamp = (d: string) => Date.parse(d.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      expect(stamp(second.amzDate)).toBeGreaterThanOrEqual(Math.floor(second.at / 1000) * 1000 - 1_000);
      expect(stamp(second.amzDate)).toBeGreaterThan(stamp(first.amzDate));
    } finally {
      limiter.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wait longer than the attempt has left fails the call retryably, unsent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-limiter-'));
    const limiter = slowBucket(dir);
    try {
      await client(limiter).send(new DescribeVpcsCommand({}));
      const hurried = client(limiter, Date.now() + 500);
      await expect(hurried.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ type: 'RateLimited', nonRetryable: false });
      expect(received).toHaveLength(1);
    } finally {
      limiter.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
