import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP relay that notes the AWS action of every request it passes on: `Action=` of the
 * query protocols (EC2, ELB, STS), `X-Amz-Target` of the JSON ones (Secrets Manager,
 * Service Quotas, Pricing). Lets a test prove which calls an activity made.
 */
export interface Recorder {
  url: string;
  actions: string[];
  stop(): Promise<void>;
}

function actionOf(req: http.IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const query = new URLSearchParams(body.toString('utf8'));
  const fromUrl = new URL(req.url ?? '/', 'http://x').searchParams.get('Action');
  return query.get('Action') ?? fromUrl ?? `${req.method} ${req.url}`;
}

export async function startRecorder(target: string): Promise<Recorder> {
  const actions: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      actions.push(actionOf(req, body));
      const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(error.message);
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    actions,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
