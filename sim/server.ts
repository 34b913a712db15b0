import * as http from 'node:http';
import { defaultConfig, type SimConfig } from './config';
import { handleControl } from './control-api';
import { errorResponse } from './errors';
import { handleAws } from './pipeline';
import { recognise } from './protocol';
import { callMoto, MotoUnreachable, readBody, send } from './proxy';
import { Sim } from './sim';

export interface SimOptions {
  /** Where moto listens, e.g. http://127.0.0.1:4567. */
  motoUrl: string;
  /** The startup config (what POST /_sim/reset returns to); AWS-like defaults when absent. */
  config?: SimConfig;
}

export interface SimServer {
  server: http.Server;
  sim: Sim;
}

/**
 * The simulator's HTTP front: every AWS SDK client points AWS_ENDPOINT_URL here. It
 * recognises each call's service and action, adds what moto lacks (sim/README.md,
 * docs/architecture.md#the-simulator) and forwards the rest to moto; `/_sim/…` is its control API.
 */
export function createSim(options: SimOptions): SimServer {
  const sim = new Sim(options.motoUrl, options.config ?? defaultConfig());
  const server = http.createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        if (req.url?.startsWith('/_sim/') || req.url === '/_sim') {
          await handleControl(sim, req, body, res);
          return;
        }
        const call = recognise(req, body);
        if (!call) {
          // Not an AWS call we can recognise (moto's own /moto-api, an unsigned REST call): pass it through.
          send(res, await callMoto(sim.moto.url, { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers }, body));
          return;
        }
        send(res, await handleAws(sim, call, req, body));
      })
      .catch((error: Error) => {
        if (error instanceof MotoUnreachable) {
          send(res, { status: 502, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`${error.message}\n`) });
          return;
        }
        send(res, errorResponse({ protocol: 'rest', service: 'sim' }, 'InternalFailure', `simulator: ${error.message}`, 500));
      });
  });
  return { server, sim };
}

/** The simulator as a plain http.Server (what the stack launcher and most tests need). */
export function createSimServer(options: SimOptions): http.Server {
  return createSim(options).server;
}
