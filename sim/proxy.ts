import * as http from 'node:http';

/**
 * Forwards one request to moto as it came (method, path, headers, body) and streams the
 * answer back. The SigV4 signature stays valid because host and body are unchanged for moto,
 * which does not check signatures anyway.
 */
export function forward(
  motoUrl: URL,
  req: http.IncomingMessage,
  body: Buffer,
  res: http.ServerResponse,
): void {
  const upstream = http.request(
    {
      hostname: motoUrl.hostname,
      port: motoUrl.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, 'content-length': String(body.length) },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (res.headersSent) {
      res.destroy(error);
      return;
    }
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`simulator: moto at ${motoUrl.origin} is unreachable: ${error.message}\n`);
  });
  upstream.end(body);
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
