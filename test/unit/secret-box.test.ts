import { SecretBox } from '../../common/secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('opens what it sealed, and the sealed form does not contain the secret', () => {
    const sealed = box.seal(secret, 'account-1');
    expect(sealed).not.toContain(secret);
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(box.open(sealed, 'account-1')).toBe(secret);
  });

  it('seals the same secret differently each time (random IV)', () => {
    expect(box.seal(secret, 'a')).not.toBe(box.seal(secret, 'a'));
  });

  it('refuses a tampered ciphertext', () => {
    const [v, iv, tag, ct] = box.seal(secret, 'a').split('.');
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] ^= 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'a')).toThrow();
  });

  it('refuses a secret moved to another record (associated data)', () => {
    expect(() => box.open(box.seal(secret, 'account-1'), 'account-2')).toThrow();
  });

  it('refuses another key', () => {
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(box.seal(secret, 'a'), 'a')).toThrow();
  });

  it('insists on a 32-byte key', () => {
    expect(() => SecretBox.fromBase64(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
    expect(SecretBox.fromBase64(SecretBox.generateKey())).toBeInstanceOf(SecretBox);
  });
});
