import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

/**
 * Encrypts every Temporal payload (workflow and activity inputs and results, queries, memos)
 * with AES-256-GCM, so what the Temporal server stores and its Web UI show is ciphertext.
 *
 * An encrypted payload carries `encoding: binary/encrypted` and the id of the key that sealed
 * it; its data is `iv ‖ tag ‖ ciphertext` of the original payload (metadata and data, so its
 * encoding is hidden too). Encoding always uses the current key; decoding uses whichever key
 * the payload names, so keys rotate without breaking running histories. A payload that is not
 * encrypted (recorded before encryption was on) decodes as it is.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const PAYLOAD_KEY_VARIABLE = 'CLUSTERFLOW_PAYLOAD_KEY';
export const OLD_PAYLOAD_KEYS_VARIABLE = 'CLUSTERFLOW_PAYLOAD_KEYS_OLD';

const utf8 = (value: string): Uint8Array => Buffer.from(value, 'utf8');
const text = (value: Uint8Array | null | undefined): string | undefined => (value ? Buffer.from(value).toString('utf8') : undefined);

/**
 * A key's id is derived from the key, so an operator never names keys and a payload can never
 * point at the wrong one. A truncated hash of a random 256-bit key says nothing about the key.
 */
export function payloadKeyId(key: Buffer): string {
  return `k1-${createHash('sha256').update('clusterflow payload key id\0').update(key).digest('hex').slice(0, 16)}`;
}

/** `where` names the variable or file the key came from, for the message when it is malformed. */
export function payloadKeyFromBase64(encoded: string, where: string): Buffer {
  const trimmed = encoded.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new Error(`${where} must be 32 bytes encoded in base64 (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

export function generatePayloadKey(): string {
  return randomBytes(32).toString('base64');
}

/** A payload this process cannot decrypt: its key is not configured, or it was altered. */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    /** Which payload of the batch, for the codec endpoint's field name. */
    readonly index: number,
    readonly rule: 'knownKey' | 'authentic' | 'wellFormed',
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/** The original payload's metadata (base64 values) and data, as sealed inside the ciphertext. */
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]));
  const header = Buffer.from(JSON.stringify(metadata), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, Buffer.from(payload.data ?? new Uint8Array())]);
}

function deserialize(plain: Buffer): Payload {
  const length = plain.readUInt32BE(0);
  const metadata = JSON.parse(plain.subarray(4, 4 + length).toString('utf8')) as Record<string, string>;
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(plain.subarray(4 + length)),
  };
}

export class EncryptedPayloadCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** `current` seals everything from now on; `old` only opens what they sealed before. */
  constructor(current: Buffer, old: Buffer[] = []) {
    for (const key of [current, ...old]) {
      if (key.length !== 32) throw new Error('a payload key must be 32 bytes (AES-256)');
      this.keys.set(payloadKeyId(key), key);
    }
    this.currentKeyId = payloadKeyId(current);
  }

  /** Ids of every key that can decrypt, current first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload, index) => this.decrypt(payload, index));
  }

  private encrypt(payload: Payload): Payload {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key id is bound to the ciphertext: a payload relabelled with another id is refused.
    cipher.setAAD(utf8(this.currentKeyId));
    const ciphertext = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.currentKeyId), [CIPHER_METADATA]: utf8(CIPHER) },
      data: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), ciphertext])),
    };
  }

  private decrypt(payload: Payload, index: number): Payload {
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`payload ${index} is encrypted but names no key (metadata "${KEY_ID_METADATA}" is missing)`, index, 'knownKey');
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload ${index} was encrypted with key ${keyId}, which is not configured here (keys: ${this.keyIds.join(', ')}): ` +
          `add that key to ${OLD_PAYLOAD_KEYS_VARIABLE}`,
        index,
        'knownKey',
      );
    }
    const sealed = Buffer.from(payload.data ?? new Uint8Array());
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`payload ${index} is too short to be an encrypted payload`, index, 'wellFormed');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(utf8(keyId));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`payload ${index} failed authentication under key ${keyId}: it was altered or sealed with another key`, index, 'authentic');
    }
    try {
      return deserialize(plain);
    } catch {
      throw new PayloadDecryptionError(`payload ${index} decrypted but does not hold a payload`, index, 'wellFormed');
    }
  }
}
