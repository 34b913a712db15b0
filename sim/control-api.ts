import type * as http from 'node:http';
import { ConfigError, mergeConfig } from './config';
import { credentialsRoute, CredentialsError } from './credentials';
import { AwsError } from './errors';
import { HoldError } from './holds';
import { inventory } from './inventory';
import type { Sim } from './sim';
import type { SpotPriceInput } from './spot/market';
import { transitions } from './transitions';

/**
 * The simulator's own API, under /_sim/ (JSON in, JSON out):
 *
 *   GET  /_sim/healthz                 {sim:'up', moto:'up'|'down', node:<the simulator's Node.js version>} (503 when moto is down)
 *   POST /_sim/reset                   moto's reset and all simulator state; config back to the startup config
 *   GET  /_sim/config                  the complete live config
 *   PUT  /_sim/config                  a partial config, merged (null removes a latency/fault/bucket entry)
 *   GET  /_sim/spot-prices[?region=]   current price of every pool used or set so far
 *   PUT  /_sim/spot-prices             {region, availabilityZone, instanceType, price} or a list of them (or {prices:[…]});
 *                                      answers {prices, interrupted:[instance ids]}
 *   GET  /_sim/stats                   calls, ok, errors, throttled, faulted per service:Action, and totals incl. `mutating`
 *   DELETE /_sim/stats, POST /_sim/stats/reset   start counting afresh
 *   GET  /_sim/inventory[?region=&tag=k=v&includeDefault=true]   live resources by type
 *   GET  /_sim/transitions[?region=&tag=k=v]   {now, instances:[{id, tags, …, transitions:[{state, at}]}]}, terminated ones too
 *   GET  /_sim/clock                   {now, iso, frozen}: the clock every delayed state is computed against (clock.ts)
 *   PUT  /_sim/clock                   {frozen: true|false}: stop the clock where it is, or let it run on from there
 *   POST /_sim/clock/advance           {ms}: move the clock ahead (frozen or not); answers {now, iso, frozen}
 *   POST /_sim/holds                   {action: 'ec2:CreateVpc', count?: 1, withValue?}: park the next calls of that action
 *                                      (with a parameter of that value, when given) until released (holds.ts)
 *   GET  /_sim/holds                   the holds armed, with how many calls each has parked
 *   POST /_sim/holds/:id/release       let its parked calls go on, and disarm it
 *   GET  /_sim/credentials             every key that signed a call or has settings: {accessKeyId, account?, status, calls, refused}
 *   PUT  /_sim/credentials/:key        {account?: '12 digits' | null, status?: 'active'|'revoked'|'expired'} (credentials.ts)
 */

interface JsonAnswer {
  status: number;
  body: unknown;
}

function parseJson(body: Buffer): unknown {
  if (!body.length) return {};
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw new ConfigError(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

function clockChange(body: unknown): { frozen: boolean } {
  const frozen = (body as { frozen?: unknown } | null)?.frozen;
  if (typeof frozen !== 'boolean') throw new ConfigError('the body must be {"frozen": true} or {"frozen": false}');
  return { frozen };
}

function advanceBy(body: unknown): number {
  const ms = (body as { ms?: unknown } | null)?.ms;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new ConfigError('the body must be {"ms": N} with N a number ≥ 0');
  return ms;
}

function spotInputs(body: unknown): SpotPriceInput[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { prices?: unknown }).prices) ? (body as { prices: unknown[] }).prices : [body];
  return list.map((entry) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    return {
      region: String(e.region ?? ''),
      availabilityZone: String(e.availabilityZone ?? ''),
      instanceType: String(e.instanceType ?? ''),
      price: typeof e.price === 'string' ? Number(e.price) : (e.price as number),
    };
  });
}

async function route(sim: Sim, method: string, url: URL, body: Buffer): Promise<JsonAnswer> {
  const path = url.pathname.replace(/\/+$/, '');
  switch (`${method} ${path}`) {
    case 'GET /_sim/healthz': {
      const up = await sim.moto.healthy();
      return { status: up ? 200 : 503, body: { sim: 'up', moto: up ? 'up' : 'down', node: process.version } };
    }
    case 'POST /_sim/reset':
      await sim.reset();
      return { status: 200, body: { reset: true } };
    case 'GET /_sim/config':
      return { status: 200, body: sim.config };
    case 'PUT /_sim/config':
    case 'PATCH /_sim/config':
      sim.config = mergeConfig(sim.config, parseJson(body));
      return { status: 200, body: sim.config };
    case 'GET /_sim/spot-prices':
      return { status: 200, body: { prices: sim.spot.snapshot(url.searchParams.get('region') ?? undefined) } };
    case 'PUT /_sim/spot-prices':
    case 'POST /_sim/spot-prices': {
      await sim.settle();
      const inputs = spotInputs(parseJson(body));
      const interrupted = await sim.spot.setPrices(inputs);
      return { status: 200, body: { prices: inputs, interrupted } };
    }
    case 'GET /_sim/stats':
      return { status: 200, body: sim.stats.snapshot() };
    case 'DELETE /_sim/stats':
    case 'POST /_sim/stats/reset':
      sim.stats.reset();
      return { status: 200, body: sim.stats.snapshot() };
    case 'GET /_sim/inventory':
      return { status: 200, body: await inventory(sim, url.searchParams) };
    case 'GET /_sim/transitions':
      return { status: 200, body: await transitions(sim, url.searchParams) };
    case 'GET /_sim/clock':
      return { status: 200, body: sim.clock.reading() };
    case 'PUT /_sim/clock':
      if (clockChange(parseJson(body)).frozen) sim.clock.freeze();
      else sim.clock.unfreeze();
      return { status: 200, body: sim.clock.reading() };
    case 'POST /_sim/clock/advance':
      sim.clock.advance(advanceBy(parseJson(body)));
      return { status: 200, body: sim.clock.reading() };
    case 'POST /_sim/holds': {
      const { action, count, withValue } = (parseJson(body) ?? {}) as { action?: unknown; count?: unknown; withValue?: unknown };
      return { status: 201, body: sim.holds.arm(String(action ?? ''), count === undefined ? 1 : (count as number), withValue as string | undefined) };
    }
    case 'GET /_sim/holds':
      return { status: 200, body: { holds: sim.holds.list() } };
    default: {
      const credentials = credentialsRoute(sim.credentials, method, path, () => parseJson(body));
      if (credentials) return credentials;
      const release = /^\/_sim\/holds\/(\d+)\/release$/.exec(path);
      if (method === 'POST' && release) {
        const released = sim.holds.release(Number(release[1]));
        return released ? { status: 200, body: released } : { status: 404, body: { error: `no hold ${release[1]}` } };
      }
      return { status: 404, body: { error: `no such simulator route: ${method} ${url.pathname}` } };
    }
  }
}

export async function handleControl(sim: Sim, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.local');
  let answer: JsonAnswer;
  try {
    answer = await route(sim, req.method ?? 'GET', url, body);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof HoldError || error instanceof CredentialsError || (error instanceof AwsError && error.code === 'ValidationError')) {
      answer = { status: 400, body: { error: error.message } };
    } else {
      answer = { status: 500, body: { error: (error as Error).message } };
    }
  }
  const text = JSON.stringify(answer.body, null, 2);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
