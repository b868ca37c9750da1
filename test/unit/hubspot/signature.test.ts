import { createHmac } from 'node:crypto';
import {
  computeSignatureV3,
  normalizeSignatureUri,
  signatureUri,
  verifySignatureV3,
} from '../../../src/hubspot/signature';

/** The expected values are computed here from the documented recipe, not with the code under test. */
function hmacBase64(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('base64');
}

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const NOW = 1_763_000_000_000;
const TS = String(NOW - 1_000);
const BODY =
  '[{"eventId":1,"subscriptionId":2,"portalId":101,"appId":3,"occurredAt":4,"subscriptionType":"contact.creation","objectId":5}]';
const URI = 'https://kpi.example.com/webhooks/hubspot';

describe('HubSpot signature v3', () => {
  it('accepts the HMAC of method + URI + body + timestamp', () => {
    const signature = hmacBase64(SECRET, `POST${URI}${BODY}${TS}`);
    expect(computeSignatureV3(SECRET, 'POST', URI, BODY, TS)).toBe(signature);
    expect(
      verifySignatureV3({
        clientSecret: SECRET,
        method: 'POST',
        uri: URI,
        rawBody: Buffer.from(BODY),
        signature,
        timestamp: TS,
        now: NOW,
      }),
    ).toEqual({ ok: true });
  });

  it('decodes the listed escapes in the URI before signing, and only those', () => {
    const sent =
      'https://kpi.example.com/cards/deal?portalId=101&userEmail=ann%40example.com&x=%3A%2F%3F%21%24%27%28%29%2A%2C%3B&space=a%20b';
    const decoded =
      "https://kpi.example.com/cards/deal?portalId=101&userEmail=ann@example.com&x=:/?!$'()*,;&space=a%20b";
    expect(normalizeSignatureUri(sent)).toBe(decoded);
    const signature = hmacBase64(SECRET, `GET${decoded}${TS}`);
    expect(
      verifySignatureV3({
        clientSecret: SECRET,
        method: 'GET',
        uri: sent,
        rawBody: undefined,
        signature,
        timestamp: TS,
        now: NOW,
      }),
    ).toEqual({ ok: true });
  });

  it('signs the raw bytes of the body (non-ASCII included)', () => {
    const body = '{"name":"Zoë Ångström – ☃"}';
    const signature = hmacBase64(SECRET, `POST${URI}${body}${TS}`);
    expect(
      verifySignatureV3({
        clientSecret: SECRET,
        method: 'POST',
        uri: URI,
        rawBody: Buffer.from(body, 'utf8'),
        signature,
        timestamp: TS,
        now: NOW,
      }),
    ).toEqual({ ok: true });
  });

  it.each([
    ['a changed body', { rawBody: BODY.replace('101', '102') }, 'mismatch'],
    ['another secret', { clientSecret: 'other' }, 'mismatch'],
    ['another URI', { uri: `${URI}?x=1` }, 'mismatch'],
    ['a timestamp older than 5 minutes', { timestamp: String(NOW - 300_001), now: NOW }, 'stale_timestamp'],
    ['a timestamp 5 minutes in the future', { timestamp: String(NOW + 300_001) }, 'stale_timestamp'],
    ['no signature', { signature: undefined }, 'missing_signature'],
    ['no timestamp', { timestamp: undefined }, 'missing_timestamp'],
    ['a timestamp that is not a number', { timestamp: '12:00' }, 'bad_timestamp'],
    ['a repeated header', { signature: ['a', 'b'] }, 'missing_signature'],
  ])('rejects %s', (_why, patch, reason) => {
    const good = {
      clientSecret: SECRET,
      method: 'POST',
      uri: URI,
      rawBody: BODY,
      signature: hmacBase64(SECRET, `POST${URI}${BODY}${TS}`),
      timestamp: TS,
      now: NOW,
    };
    const input = { ...good, ...patch };
    // A stale or future timestamp must fail even when the signature matches it.
    if ('timestamp' in patch && typeof patch.timestamp === 'string' && /^\d+$/.test(patch.timestamp)) {
      input.signature = hmacBase64(SECRET, `POST${URI}${BODY}${patch.timestamp}`);
    }
    expect(verifySignatureV3(input)).toEqual({ ok: false, reason });
  });

  it('accepts a timestamp exactly 5 minutes old', () => {
    const ts = String(NOW - 300_000);
    const signature = hmacBase64(SECRET, `POST${URI}${BODY}${ts}`);
    expect(
      verifySignatureV3({
        clientSecret: SECRET,
        method: 'POST',
        uri: URI,
        rawBody: BODY,
        signature,
        timestamp: ts,
        now: NOW,
      }).ok,
    ).toBe(true);
  });

  it('builds the public URI from the base URL and the request path', () => {
    expect(signatureUri('https://kpi.example.com/', '/webhooks/hubspot?x=1')).toBe(
      'https://kpi.example.com/webhooks/hubspot?x=1',
    );
  });
});
