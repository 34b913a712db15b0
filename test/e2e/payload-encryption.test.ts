import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ClusterSpec } from '../../common/cluster-spec';
import { ENCRYPTED_ENCODING } from '../../common/payload-codec';
import { ensureTemporalCli } from '../../scripts/tools';
import { waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(300000);

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

/** Every payload list in a history (inputs, results, details): search attributes are not payload lists. */
function payloadLists(value: unknown, found: Payload[][] = []): Payload[][] {
  if (Array.isArray(value)) {
    for (const item of value) payloadLists(item, found);
  } else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'payloads' && Array.isArray(child)) found.push(child as Payload[]);
      else payloadLists(child, found);
    }
  }
  return found;
}

/**
 * The SDK core writes its marker bookkeeping itself, in plain JSON and never through the codec:
 * patch ids, and a local activity's type, sequence and attempt. No user data is in it (the
 * byte search over whole histories says so); a local activity's result is encrypted.
 */
const SDK_BOOKKEEPING = new Set(['patch-data', 'data']);

function userPayloads(event: temporal.api.history.v1.IHistoryEvent): Payload[] {
  const marker = event.markerRecordedEventAttributes;
  if (!marker) return payloadLists(event).flat();
  return Object.entries(marker.details ?? {})
    .filter(([key]) => !SDK_BOOKKEEPING.has(key))
    .flatMap(([, list]) => list.payloads ?? []);
}

const encodingOf = (payload: Payload): string => Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString();

/**
 * What the Temporal frontend and Web UI hold for a cluster, read with a client that has no key:
 * a cluster's spec, tags and every workflow and activity input are ciphertext there. The
 * operator gets them back through the API's codec endpoint, which the stack's Web UI is told
 * about, and only with the token.
 */
describe('encrypted Temporal payloads (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  // Unique, so finding one anywhere is a leak and not a coincidence.
  const tagValue = `cc-${randomBytes(6).toString('hex')}`;
  const description = `ledger-${randomBytes(6).toString('hex')} close cluster`;
  const vpcCidr = '10.77.0.0/16';
  const name = 'sealed';
  let keyless: Client;
  let histories: Map<string, History>;

  beforeAll(async () => {
    const { api, token } = stack;
    const account = await call(api, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'sealed', accessKeyId: 'AKIASEALEDPAYLOAD001', secretAccessKey: 'sealedPayloadSecretKeyThatIsLong00001' },
    });
    expect(account.status).toBe(201);
    const spec: ClusterSpec = {
      name,
      description,
      tags: { 'cost-center': tagValue },
      profile: { id: 'aws-default' },
      cloud: { accountId: account.body.id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
        { name: 'workers', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      ],
    };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    // The API reads the phase through queries: it decrypts what the worker encrypted.
    expect((await waitPhase(api, token, name, ['Running', 'Failed'])).phase).toBe('Running');

    keyless = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }) });
    const operations = await call(api, 'GET', `/v1/clusters/${name}/operations`, { token });
    expect(operations.body.map((o: { id: string }) => o.id)).toEqual(['op-1-create']);
    histories = new Map();
    for (const workflowId of [`cluster/default/${name}`, `cluster/default/${name}/op-1-create`]) {
      histories.set(workflowId, await keyless.workflow.getHandle(workflowId).fetchHistory());
    }
  });

  afterAll(async () => {
    await keyless?.connection.close();
  });

  it('keeps the tags, the description and the spec out of the entity and create histories', () => {
    for (const [workflowId, history] of histories) {
      const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
      for (const plain of [tagValue, description, vpcCidr]) {
        for (const form of [plain, Buffer.from(plain).toString('base64')]) {
          expect(`${workflowId} holds "${form}": ${bytes.includes(form)}`).toBe(`${workflowId} holds "${form}": false`);
        }
      }
    }
  });

  it('stores every input, result and detail encrypted, under a key id', () => {
    let inputs = 0;
    for (const [workflowId, history] of histories) {
      const payloads = (history.events ?? []).flatMap(userPayloads);
      inputs += payloads.length;
      const encodings = new Set(payloads.map(encodingOf));
      expect(`${workflowId}: ${[...encodings].join(', ')}`).toBe(`${workflowId}: ${ENCRYPTED_ENCODING}`);
      for (const p of payloads) expect(Buffer.from(p.metadata!['encryption-key-id']!).toString()).toMatch(/^k1-[0-9a-f]{16}$/);
    }
    // The entity's start, the create's start, and one per activity at least.
    expect(inputs).toBeGreaterThan(20);
  });

  it('gives the entity’s input back through the codec endpoint, with the token only', async () => {
    const started = histories.get(`cluster/default/${name}`)!.events![0].workflowExecutionStartedEventAttributes!;
    expect(started.input!.payloads!.map(encodingOf)).toEqual([ENCRYPTED_ENCODING]);
    const body = {
      payloads: started.input!.payloads!.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(p.data!).toString('base64'),
      })),
    };
    expect((await call(stack.api, 'POST', '/codec/decode', { body })).status).toBe(401);
    const decoded = await call(stack.api, 'POST', '/codec/decode', { token: stack.token, body });
    expect(decoded.status).toBe(200);
    const input = JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString('utf8'));
    expect(JSON.stringify(input)).toContain(tagValue);
    expect(JSON.stringify(input)).toContain(description);
    expect(JSON.stringify(input)).toContain(vpcCidr);
  });

  it('shows the history decrypted to the Temporal CLI pointed at the codec endpoint with the token', () => {
    // The CLI prints payload data as base64: what it shows is every `data` field, decoded.
    const shownData = (...extra: string[]): string => {
      const out = execFileSync(ensureTemporalCli(), ['workflow', 'show', '--address', `127.0.0.1:${stack.ports.temporal}`, '--workflow-id', `cluster/default/${name}`, '--output', 'json', ...extra], {
        encoding: 'utf8',
      });
      const data: string[] = [];
      JSON.parse(out, (key, value) => {
        if (key === 'data' && typeof value === 'string') data.push(Buffer.from(value, 'base64').toString('utf8'));
        return value;
      });
      return data.join('\n');
    };
    expect(shownData()).not.toContain(tagValue);
    const decoded = shownData('--codec-endpoint', `${stack.api}/codec`, '--codec-auth', `Bearer ${stack.token}`);
    expect(decoded).toContain(tagValue);
    expect(decoded).toContain(description);
  });

  it('replays the histories with the stack’s key, and cannot without it', async () => {
    const code = workflowCode();
    for (const [workflowId, history] of histories) {
      await expect(Worker.runReplayHistory({ ...code, dataConverter: stackDataConverter(stack) }, history, workflowId)).resolves.toBeUndefined();
      await expect(Worker.runReplayHistory(code, history, workflowId)).rejects.toThrow();
    }
  });

  it('tells the stack’s Web UI to decode through the API, and lets the UI’s origin call it', async () => {
    const ui = `http://127.0.0.1:${stack.ports.ui}`;
    const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as { Codec?: Record<string, unknown> };
    expect(settings.Codec).toMatchObject({ Endpoint: `${stack.api}/codec` });
    const preflight = await fetch(`${stack.api}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
  });
});
