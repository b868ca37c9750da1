import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKeySpec } from '../config';

/**
 * AES-256-GCM for tokens at rest. A ciphertext reads `v1.<keyId>.<base64 iv|tag|data>`,
 * so it names the key that made it and keys can rotate. The associated data binds a
 * ciphertext to its portal and purpose: a ciphertext copied to another portal's row,
 * or from the refresh to the access column, fails to decrypt.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type TokenCipher = {
  /** The id of the key that encrypts (the newest). */
  readonly currentKeyId: string;
  encrypt(plaintext: string, associatedData: string): string;
  decrypt(ciphertext: string, associatedData: string): string;
  keyIdOf(ciphertext: string): string;
};

export class TokenDecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt token: ${reason}`);
    this.name = 'TokenDecryptionError';
  }
}

export function createTokenCipher(keys: readonly EncryptionKeySpec[]): TokenCipher {
  const first = keys[0];
  if (!first) throw new Error('the token vault needs at least one key');
  const byId = new Map(keys.map((k) => [k.id, Buffer.from(k.keyBase64, 'base64')]));
  for (const [id, key] of byId) if (key.length !== 32) throw new Error(`key ${id} is not 32 bytes`);

  function parse(ciphertext: string): { keyId: string; blob: Buffer } {
    const parts = ciphertext.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION || !parts[1] || !parts[2])
      throw new TokenDecryptionError('not a vault ciphertext');
    const blob = Buffer.from(parts[2], 'base64');
    if (blob.length < IV_BYTES + TAG_BYTES) throw new TokenDecryptionError('ciphertext too short');
    return { keyId: parts[1], blob };
  }

  return {
    currentKeyId: first.id,
    encrypt(plaintext, associatedData) {
      const key = byId.get(first.id) as Buffer;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${VERSION}.${first.id}.${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
    },
    decrypt(ciphertext, associatedData) {
      const { keyId, blob } = parse(ciphertext);
      const key = byId.get(keyId);
      if (!key) throw new TokenDecryptionError(`key ${keyId} is not configured (TOKEN_ENCRYPTION_KEYS)`);
      const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new TokenDecryptionError('authentication failed (wrong key, portal or column)');
      }
    },
    keyIdOf: (ciphertext) => parse(ciphertext).keyId,
  };
}

/** The associated data of a portal's token ciphertexts. */
export function tokenAad(portalId: number, kind: 'access' | 'refresh'): string {
  return `kpi-bridge/oauth-token/${kind}/portal/${portalId}`;
}
