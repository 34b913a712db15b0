import * as http from 'node:http';
import { forward, readBody } from './proxy';

export interface SimOptions {
  /** Where moto listens, e.g. http://127.0.0.1:4567. */
  motoUrl: string;
}

/**
 * The simulator's HTTP front: every AWS SDK client points AWS_ENDPOINT_URL here. For now it
 * passes every call through to moto; `/_sim/healthz` tells whether moto answers.
 */
export function createSimServer(options: SimOptions): http.Server {
  const motoUrl = new URL(options.motoUrl);
  return http.createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        if (req.url === '/_sim/healthz') {
          const motoUp = await fetch(new URL('/moto-api/', motoUrl)).then((r) => r.ok, () => false);
          res.writeHead(motoUp ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ sim: 'up', moto: motoUp ? 'up' : 'down' }));
          return;
        }
        forward(motoUrl, req, body, res);
      })
      .catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`simulator: ${error.message}\n`);
      });
  });
}
