import * as http from 'node:http';
import type { WireResponse } from './errors';

/** Headers that describe one hop, never forwarded either way. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardable(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name.toLowerCase())) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * Sends one request to moto as it came (method, path, headers, body — or a rewritten body)
 * and buffers the answer. The SigV4 signature is kept as is: moto does not check it, and
 * reads the account (access key) and region from its credential scope.
 */
export function callMoto(
  motoUrl: URL,
  request: { method: string; path: string; headers: http.IncomingHttpHeaders | Record<string, string> },
  body: Buffer,
): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        hostname: motoUrl.hostname,
        port: motoUrl.port,
        method: request.method,
        path: request.path,
        headers: { ...forwardable(request.headers), 'content-length': String(body.length) },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 502, headers: forwardable(answer.headers), body: Buffer.concat(chunks) }),
        );
        answer.on('error', reject);
      },
    );
    upstream.on('error', (error) => reject(new MotoUnreachable(motoUrl, error)));
    upstream.end(body);
  });
}

export class MotoUnreachable extends Error {
  constructor(motoUrl: URL, cause: Error) {
    super(`simulator: moto at ${motoUrl.origin} is unreachable: ${cause.message}`);
  }
}

/** Writes a buffered answer to the client. */
export function send(res: http.ServerResponse, answer: WireResponse): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
  res.end(answer.body);
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
