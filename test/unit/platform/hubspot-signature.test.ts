import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import pino from 'pino';
import { verifySignatureV3 } from '../../../src/hubspot/signature';
import { createApp } from '../../../src/platform/http/app';
import {
  requireHubSpotSignature,
  signedPortalId,
} from '../../../src/platform/http/hubspot-signature.middleware';
import { hubspotSignedHeaders } from '../../helpers/hubspot-signing';

const SECRET = 'card-test-secret';
const PUBLIC = 'https://kpi.example.com';
const logger = pino({ level: 'silent' });

let server: Server;
let local: string;

beforeAll(async () => {
  const router = Router();
  const signed = requireHubSpotSignature({
    verify: verifySignatureV3,
    clientSecret: SECRET,
    publicBaseUrl: PUBLIC,
    tenant: 'query',
    logger,
  });
  router.get('/probe', signed, (req, res) => {
    res.json({ portalId: signedPortalId(req) });
  });
  router.put('/probe', signed, (req, res) => {
    res.json({ portalId: signedPortalId(req), body: req.body as unknown });
  });
  const app = createApp({ logger, bodyLimit: '1mb', trustProxy: false, routers: [router] });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** Sends `path` to the local server, signed (by the SDK) as HubSpot would sign `signedPath` on the public URL. */
async function call(
  path: string,
  opts: {
    method?: string;
    body?: string;
    signedPath?: string;
    timestamp?: number;
    headers?: Record<string, string>;
  } = {},
) {
  const method = opts.method ?? 'GET';
  const headers = {
    ...hubspotSignedHeaders({
      clientSecret: SECRET,
      method,
      url: `${PUBLIC}${opts.signedPath ?? path}`,
      body: opts.body,
      timestamp: opts.timestamp,
    }),
    ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...opts.headers,
  };
  const res = await fetch(`${local}${path}`, { method, headers, body: opts.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('requireHubSpotSignature (v3)', () => {
  it('lets a request signed by HubSpot through, with the tenant from the signed portalId', async () => {
    const res = await call('/probe?dealId=7&portalId=42&userId=9&userEmail=rep@example.com&appId=1');
    expect(res).toEqual({ status: 200, body: { portalId: 42 } });
  });

  it('signs the raw body of a PUT', async () => {
    const body = '{"model":"w_shaped","note":"Zoë"}';
    const res = await call('/probe?portalId=42', { method: 'PUT', body });
    expect(res).toEqual({ status: 200, body: { portalId: 42, body: { model: 'w_shaped', note: 'Zoë' } } });
  });

  it('refuses a forged signature', async () => {
    const res = await call('/probe?portalId=42', {
      headers: { 'x-hubspot-signature-v3': Buffer.alloc(32, 7).toString('base64') },
    });
    expect(res.status).toBe(401);
    const error = res.body.error as { code: string; message: string };
    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain('mismatch');
  });

  it('refuses an unsigned request and one without a timestamp', async () => {
    const unsigned = await fetch(`${local}/probe?portalId=42`);
    expect(unsigned.status).toBe(401);
    const noTimestamp = await call('/probe?portalId=42', { headers: { 'x-hubspot-request-timestamp': '' } });
    expect(noTimestamp.status).toBe(401);
  });

  it('refuses a timestamp older than 5 minutes (and one from the future), accepts 4 minutes', async () => {
    expect((await call('/probe?portalId=42', { timestamp: Date.now() - 5 * 60_000 - 1_000 })).status).toBe(
      401,
    );
    expect((await call('/probe?portalId=42', { timestamp: Date.now() + 6 * 60_000 })).status).toBe(401);
    expect((await call('/probe?portalId=42', { timestamp: Date.now() - 4 * 60_000 })).status).toBe(200);
  });

  it('refuses a signature made for another URL: another portal, another record, another host', async () => {
    expect((await call('/probe?portalId=43', { signedPath: '/probe?portalId=42' })).status).toBe(401);
    expect(
      (await call('/probe?portalId=42&dealId=2', { signedPath: '/probe?portalId=42&dealId=1' })).status,
    ).toBe(401);
    const otherHost = await fetch(`${local}/probe?portalId=42`, {
      headers: hubspotSignedHeaders({
        clientSecret: SECRET,
        method: 'GET',
        url: `https://evil.example.com/probe?portalId=42`,
      }),
    });
    expect(otherHost.status).toBe(401);
  });

  it('refuses a body or method other than the signed one', async () => {
    const signedBody = '{"a":1}';
    const headers = hubspotSignedHeaders({
      clientSecret: SECRET,
      method: 'PUT',
      url: `${PUBLIC}/probe?portalId=42`,
      body: signedBody,
    });
    const tampered = await fetch(`${local}/probe?portalId=42`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"a":2}',
    });
    expect(tampered.status).toBe(401);
    const asGet = await fetch(`${local}/probe?portalId=42`, { headers });
    expect(asGet.status).toBe(401);
  });

  it('a valid signature without exactly one numeric portalId is a 400 naming portalId', async () => {
    for (const path of [
      '/probe',
      '/probe?portalId=abc',
      '/probe?portalId=1&portalId=2',
      '/probe?portalId=0',
    ]) {
      const res = await call(path);
      expect(res.status).toBe(400);
      expect((res.body.error as { message: string }).message).toContain('portalId');
    }
  });
});
