import { defaultPayloadConverter, toPayloads, type Payload } from '@temporalio/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../common/config';
import { PAYLOAD_KEY_FILE, resolvePayloadCodec } from '../../common/data-dir';
import { ENCRYPTED_ENCODING, EncryptedPayloadCodec, KEY_ID_METADATA, PayloadDecryptionError, payloadKeyId } from '../../common/payload-codec';

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);
const spec = { name: 'payroll', description: 'quarterly-close cluster', tags: { 'cost-center': 'cc-4711-secret' } };

function plainPayloads(...values: unknown[]): Payload[] {
  return toPayloads(defaultPayloadConverter, ...values)!;
}

/** What went wrong, as the codec says it. */
async function refusal(promise: Promise<unknown>): Promise<PayloadDecryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PayloadDecryptionError);
  return error as PayloadDecryptionError;
}

describe('EncryptedPayloadCodec', () => {
  const codec = new EncryptedPayloadCodec(keyA);

  it('round-trips payloads, metadata and data alike, including empty ones', async () => {
    const original = [...plainPayloads(spec, 'plain text', null), { metadata: { encoding: Buffer.from('binary/plain') }, data: new Uint8Array() }];
    const decoded = await codec.decode(await codec.encode(original));
    expect(decoded.map((p) => [Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, text(v)])), text(p.data)])).toEqual(
      original.map((p) => [Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, text(v)])), text(p.data)]),
    );
    expect(defaultPayloadConverter.fromPayload(decoded[0])).toEqual(spec);
  });

  it('names its key in the metadata and hides the value and its encoding', async () => {
    const [sealed] = await codec.encode(plainPayloads(spec));
    expect(text(sealed.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed.metadata![KEY_ID_METADATA])).toBe(payloadKeyId(keyA));
    expect(Object.keys(sealed.metadata!).sort()).toEqual(['encoding', 'encryption-cipher', KEY_ID_METADATA].sort());
    const wire = Buffer.concat([Buffer.from(sealed.data!), ...Object.values(sealed.metadata!).map((v) => Buffer.from(v!))]);
    for (const plain of ['cc-4711-secret', 'quarterly-close', 'payroll', 'json/plain']) expect(wire.includes(plain)).toBe(false);
  });

  it('encrypts the same value differently each time (random IV)', async () => {
    const [one, two] = await codec.encode(plainPayloads(spec, spec));
    expect(Buffer.from(one.data!).equals(Buffer.from(two.data!))).toBe(false);
  });

  it('passes payloads that are not encrypted through decode unchanged (histories from before encryption)', async () => {
    const plain = plainPayloads(spec);
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('after a rotation, encodes with the new key and still decodes with the old one', async () => {
    const sealedBefore = await codec.encode(plainPayloads(spec));
    const rotated = new EncryptedPayloadCodec(keyB, [keyA]);
    expect(rotated.keyIds).toEqual([payloadKeyId(keyB), payloadKeyId(keyA)]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode(sealedBefore))[0])).toEqual(spec);
    const [sealedAfter] = await rotated.encode(plainPayloads(spec));
    expect(text(sealedAfter.metadata![KEY_ID_METADATA])).toBe(payloadKeyId(keyB));
    // The old key alone cannot read what the new one sealed.
    const error = await refusal(codec.decode([sealedAfter]));
    expect(error.rule).toBe('knownKey');
  });

  it('refuses a payload whose key is not configured, naming the key and where to add it', async () => {
    const sealed = await new EncryptedPayloadCodec(keyB).encode(plainPayloads('x', spec));
    const error = await refusal(codec.decode(sealed));
    expect(error.rule).toBe('knownKey');
    expect(error.index).toBe(0);
    expect(error.message).toContain(`encrypted with key ${payloadKeyId(keyB)}, which is not configured here (keys: ${payloadKeyId(keyA)})`);
    expect(error.message).toContain('CLUSTERFLOW_PAYLOAD_KEYS_OLD');
  });

  it('refuses a tampered ciphertext', async () => {
    const [sealed] = await codec.encode(plainPayloads(spec));
    const data = Buffer.from(sealed.data!);
    data[data.length - 1] ^= 1;
    const error = await refusal(codec.decode([{ ...sealed, data }]));
    expect(error.rule).toBe('authentic');
    expect(error.message).toMatch(/failed authentication under key k1-[0-9a-f]{16}: it was altered or sealed with another key/);
  });

  it('refuses a payload relabelled with another configured key, and a wrong key behind the right id', async () => {
    const both = new EncryptedPayloadCodec(keyA, [keyB]);
    const [sealed] = await codec.encode(plainPayloads(spec));
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, [KEY_ID_METADATA]: Buffer.from(payloadKeyId(keyB)) } };
    expect((await refusal(both.decode([relabelled]))).rule).toBe('authentic');
    const [foreign] = await new EncryptedPayloadCodec(keyB).encode(plainPayloads(spec));
    const misnamed = { ...foreign, metadata: { ...foreign.metadata, [KEY_ID_METADATA]: Buffer.from(payloadKeyId(keyA)) } };
    expect((await refusal(codec.decode([misnamed]))).rule).toBe('authentic');
  });

  it('refuses an encrypted payload that names no key, or is too short to hold one', async () => {
    expect((await refusal(codec.decode([{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) }, data: new Uint8Array(40) }]))).rule).toBe('knownKey');
    const [sealed] = await codec.encode(plainPayloads(spec));
    expect((await refusal(codec.decode([{ ...sealed, data: new Uint8Array(5) }]))).rule).toBe('wellFormed');
  });
});

describe('the payload key of a deployment', () => {
  let root: string;
  const modeOf = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-payload-key-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is generated once into the data dir, 0600, and every process of the deployment reads the same', async () => {
    const config = loadConfig({ CLUSTERFLOW_DATA_DIR: root });
    const worker = resolvePayloadCodec(config);
    const api = resolvePayloadCodec(config);
    const file = path.join(root, PAYLOAD_KEY_FILE);
    expect(modeOf(file)).toBe('600');
    expect(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(api.currentKeyId).toBe(worker.currentKeyId);
    expect(defaultPayloadConverter.fromPayload((await api.decode(await worker.encode(plainPayloads(spec))))[0])).toEqual(spec);
  });

  it('comes from CLUSTERFLOW_PAYLOAD_KEY when set, with older keys from CLUSTERFLOW_PAYLOAD_KEYS_OLD', () => {
    const codec = resolvePayloadCodec(
      loadConfig({ CLUSTERFLOW_DATA_DIR: root, CLUSTERFLOW_PAYLOAD_KEY: keyB.toString('base64'), CLUSTERFLOW_PAYLOAD_KEYS_OLD: `${keyA.toString('base64')}, ${Buffer.alloc(32, 3).toString('base64')}` }),
    );
    expect(codec.keyIds).toEqual([payloadKeyId(keyB), payloadKeyId(keyA), payloadKeyId(Buffer.alloc(32, 3))]);
    expect(fs.existsSync(path.join(root, PAYLOAD_KEY_FILE))).toBe(false);
  });

  it('refuses a key that is not 32 bytes of base64, naming where it came from', () => {
    expect(() => resolvePayloadCodec(loadConfig({ CLUSTERFLOW_DATA_DIR: root, CLUSTERFLOW_PAYLOAD_KEY: Buffer.alloc(16).toString('base64') }))).toThrow(
      'CLUSTERFLOW_PAYLOAD_KEY must be 32 bytes encoded in base64',
    );
    expect(() => resolvePayloadCodec(loadConfig({ CLUSTERFLOW_DATA_DIR: root, CLUSTERFLOW_PAYLOAD_KEYS_OLD: 'not-a-key' }))).toThrow(
      'CLUSTERFLOW_PAYLOAD_KEYS_OLD entry 1 must be 32 bytes encoded in base64',
    );
    fs.writeFileSync(path.join(root, PAYLOAD_KEY_FILE), 'short', { mode: 0o600 });
    expect(() => resolvePayloadCodec(loadConfig({ CLUSTERFLOW_DATA_DIR: root }))).toThrow(`${path.join(root, PAYLOAD_KEY_FILE)} must be 32 bytes encoded in base64`);
  });
});
