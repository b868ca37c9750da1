import { once } from 'node:events';
import type { Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { createContext } from '../../../src/context';
import type { AppContext } from '../../../src/context';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { createApp } from '../../../src/platform/http/app';
import { BadRequestError } from '../../../src/platform/http/errors';
import { silentLogger, testConfig, TEST_REDIS_URL } from '../../helpers/test-context';
import { memoryLogger } from '../install/helpers';

/** A TCP relay to the real Redis that the test can cut and restore, as a network fault would. */
async function startCuttableRedisProxy() {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function waitFor<T>(probe: () => Promise<T>, accept: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('readiness', () => {
  let proxy: Awaited<ReturnType<typeof startCuttableRedisProxy>>;
  let ctx: AppContext;
  let api: ApiHandle;

  beforeAll(async () => {
    proxy = await startCuttableRedisProxy();
    ctx = createContext(testConfig({ REDIS_URL: proxy.url }), silentLogger());
    api = await startApi(ctx);
  });
  afterAll(async () => {
    await api.close();
    await ctx.close();
    await proxy.close();
  });

  it('answers /healthz while the process is up', async () => {
    expect(await getJson(`${api.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('is ready with Postgres and Redis up, 503 naming Redis when it goes away, and ready again after', async () => {
    const ready = await waitFor(
      () => getJson(`${api.url}/readyz`),
      (r) => r.status === 200,
    );
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });

    proxy.cut();
    const down = await waitFor(
      () => getJson(`${api.url}/readyz`),
      (r) => r.status === 503,
    );
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', checks: { postgres: 'ok' } });
    expect((down.body.checks as Record<string, string>).redis).toBe('error');

    proxy.restore();
    const back = await waitFor(
      () => getJson(`${api.url}/readyz`),
      (r) => r.status === 200,
    );
    expect(back.status).toBe(200);
  });

  it('reports Postgres by name when it is unreachable', async () => {
    const badDb = createContext(
      testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }),
      silentLogger(),
    );
    const badApi = await startApi(badDb);
    try {
      const res = await getJson(`${badApi.url}/readyz`);
      expect(res.status).toBe(503);
      expect((res.body.checks as Record<string, string>).postgres).toBe('error');
    } finally {
      await badApi.close();
      await badDb.close();
    }
  });

  it('names the failing dependency and nothing more: no driver message, database name or host', async () => {
    const missing = `kpib_missing_${Date.now().toString(36)}`;
    const { logger, lines } = memoryLogger();
    const badDb = createContext(
      testConfig({ DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${missing}` }),
      logger,
    );
    if (badDb.redis.status !== 'ready') await once(badDb.redis, 'ready');
    const badApi = await startApi(badDb);
    try {
      const res = await fetch(`${badApi.url}/readyz`);
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { postgres: 'error', redis: 'ok' } });
      expect(text).not.toMatch(new RegExp(`${missing}|does not exist|127\\.0\\.0\\.1|5432`));
      // The reason is for the operator: in the log, once per change of state, not once per probe.
      await fetch(`${badApi.url}/readyz`).then((r) => r.arrayBuffer());
      const logged = lines().filter((l) => l.includes('readiness: dependency not answering'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('does not exist');
    } finally {
      await badApi.close();
      await badDb.close();
    }
  });
});

describe('http errors', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const router = Router();
    router.post('/echo', (req, res) => {
      res.json({ got: req.body as unknown, rawBytes: req.rawBody?.length ?? 0 });
    });
    router.get('/boom', () => {
      throw new Error('secret internal detail at /srv/app.js:42');
    });
    router.get('/bad', () => {
      throw new BadRequestError('portalId must be a number');
    });
    const app = createApp({ logger: silentLogger(), bodyLimit: '1kb', trustProxy: false, routers: [router] });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const post = (path: string, body: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('keeps the raw body bytes beside the parsed JSON', async () => {
    const body = '{"a": 1,  "b":[2]}';
    const res = await post('/echo', body);
    expect(await res.json()).toEqual({ got: { a: 1, b: [2] }, rawBytes: Buffer.byteLength(body) });
  });

  it.each([
    ['malformed JSON', () => post('/echo', '{"a":'), 400, 'malformed_json'],
    [
      'an oversized body',
      () => post('/echo', JSON.stringify({ pad: 'x'.repeat(2_000) })),
      413,
      'payload_too_large',
    ],
    ['an unknown route', () => fetch(`${base}/nowhere`), 404, 'not_found'],
    ['a typed error', () => fetch(`${base}/bad`), 400, 'bad_request'],
  ])('answers %s with a JSON error and a request id', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(body.error.requestId).toMatch(/^[\w-]{8,}$/);
  });

  it('hides the details of an unexpected error behind a generic 500', async () => {
    const res = await fetch(`${base}/boom`, { headers: { 'x-request-id': 'trace-abc.1' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal_error', message: 'internal server error', requestId: 'trace-abc.1' },
    });
    expect(text).not.toMatch(/secret|\/srv\/app/);
  });
});
