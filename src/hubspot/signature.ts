import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HubSpot request signatures, v3 (reference §4): base64 HMAC-SHA256, keyed with the
 * app's client secret, over method + URI + raw body + timestamp, with the timestamp
 * (epoch ms) no older than 5 minutes. Pure: the caller passes the raw body bytes as
 * received, the public URI HubSpot called, and "now". Used for webhooks and for the
 * cards' hubspot.fetch calls.
 */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

// HubSpot decodes these escapes before signing; every other %xx stays as sent.
const DECODED_ESCAPES: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function normalizeSignatureUri(uri: string): string {
  return uri.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => DECODED_ESCAPES[m.toUpperCase()] ?? m,
  );
}

/** The full public URL HubSpot called: our public base URL (scheme, host) + the request's path and query. */
export function signatureUri(publicBaseUrl: string, originalUrl: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${originalUrl.startsWith('/') ? '' : '/'}${originalUrl}`;
}

export function computeSignatureV3(
  clientSecret: string,
  method: string,
  uri: string,
  rawBody: Buffer | string,
  timestamp: string,
): string {
  return createHmac('sha256', clientSecret)
    .update(method.toUpperCase(), 'utf8')
    .update(normalizeSignatureUri(uri), 'utf8')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .update(timestamp, 'utf8')
    .digest('base64');
}

export type SignatureV3Input = {
  clientSecret: string;
  method: string;
  uri: string;
  rawBody: Buffer | string | undefined;
  /** X-HubSpot-Signature-v3 */
  signature: string | string[] | undefined;
  /** X-HubSpot-Request-Timestamp (epoch ms) */
  timestamp: string | string[] | undefined;
  now: number;
  maxAgeMs?: number;
};

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'missing_signature' | 'missing_timestamp' | 'bad_timestamp' | 'stale_timestamp' | 'mismatch';
    };

export function verifySignatureV3(input: SignatureV3Input): SignatureCheck {
  const signature = typeof input.signature === 'string' ? input.signature : undefined;
  const timestamp = typeof input.timestamp === 'string' ? input.timestamp : undefined;
  if (!signature) return { ok: false, reason: 'missing_signature' };
  if (!timestamp) return { ok: false, reason: 'missing_timestamp' };
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const age = input.now - Number(timestamp);
  const maxAge = input.maxAgeMs ?? SIGNATURE_MAX_AGE_MS;
  // A timestamp from the future beyond the same window is as suspect as an old one.
  if (age > maxAge || age < -maxAge) return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(
    computeSignatureV3(input.clientSecret, input.method, input.uri, input.rawBody ?? '', timestamp),
    'utf8',
  );
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };
  return { ok: true };
}
