import net from 'node:net';
import { once } from 'node:events';
import { deflateSync, gzipSync } from 'node:zlib';
import type { Express } from 'express';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';

/**
 * Bad input on every route of the real API (as startApi assembles it, so a router another
 * feature adds later is covered without touching this file): no answer may be a 5xx, and
 * every 4xx the app itself writes carries a request id.
 */
type Route = { method: string; path: string };

type Layer = {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[]; router?: { stack?: Layer[] } };
};

function joinPath(prefix: string, path: string): string {
  if (path === '/' || path === '') return prefix || '/';
  return `${prefix.replace(/\/$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** Every route of the app: routers and mounted sub-apps (bull-board) walked recursively. */
export function listRoutes(app: Express): Route[] {
  const routes: Route[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const paths = [layer.route?.path ?? layer.rawPath ?? '/'].flat();
      if (layer.route) {
        for (const path of paths)
          for (const method of Object.keys(layer.route.methods))
            routes.push({ method: method.toUpperCase(), path: joinPath(prefix, path) });
        continue;
      }
      const inner = layer.handle?.stack ?? layer.handle?.router?.stack;
      if (inner) for (const path of paths) walk(inner, joinPath(prefix, path));
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return routes;
}

/** A concrete URL path for a route pattern: parameters get a plausible value. */
function concrete(path: string): string {
  return path
    .replace(/:queueName/g, 'sync')
    .replace(/:queueStatus/g, 'failed')
    .replace(/:(\w+)/g, '1')
    .replace(/\*\w*/g, 'x')
    .replace(/[{}]/g, '');
}

type Reply = { status: number; requestId: string | undefined; body: string };

/**
 * One request on its own raw connection: byte-exact (no client library tidying headers or
 * bodies, and nock, which every test file loads, does not sit in between), `Connection: close`,
 * the answer read to the end. No answer within 5 s, or a cut without a status line, is status 0.
 */
function send(
  base: URL,
  req: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<Reply> {
  return new Promise((resolve) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string> = {
      host: base.host,
      connection: 'close',
      ...(body ? { 'content-length': String(body.length) } : {}),
      ...req.headers,
    };
    const head = `${req.method} ${req.path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(base.port), base.hostname);
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      const requestId = /\r\nx-request-id: ([^\r]*)/i.exec(text.slice(0, split));
      resolve({
        status: status ? Number(status[1]) : 0,
        requestId: requestId?.[1],
        body: split < 0 ? text : text.slice(split + 4),
      });
    };
    const timer = setTimeout(finish, 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', finish);
    socket.on('close', finish);
    // The server may cut us off mid-upload (431, 413): what it answered before that counts.
    socket.on('error', () => undefined);
    socket.write(head);
    if (body) socket.write(body);
  });
}

const ADMIN = 'fuzz-admin-token-0123456789';
const BAD_COOKIES = [
  'kpib_oauth=%E0%A4%A',
  'kpib_oauth=%',
  'kpib_oauth=%zz; other=%%%',
  'kpib_oauth=' + 'a'.repeat(4000),
  'kpib_oauth="unterminated',
  '=; ;;; kpib_oauth',
];
const BAD_QUERIES = [
  '?portalId=1&portalId=2',
  '?portalId[a]=1&state[]=x&code[b][c]=y',
  '?code=%zz&state=%E0%A4%A&error=%',
  '?portalId=-1e309&status=__proto__&__proto__[x]=1&constructor[prototype][y]=2',
  `?${'a'.repeat(6000)}=1`,
  '?activeQueue=sync&status=nope&page=-1&jobsPerPage=1e9',
];
// 20 MiB of spaces, deflated to a few KiB: the parser must stop at the body limit.
const bomb = deflateSync(Buffer.alloc(20 * 1024 * 1024, 32));
const garbage = Buffer.from('this is not compressed data at all \u0000\u00ff', 'utf8');

/** Every bad request we send to one route. */
function attacks(route: Route): {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}[] {
  const path = concrete(route.path);
  const json = { 'content-type': 'application/json' };
  const out: ReturnType<typeof attacks> = [];
  for (const auth of [{}, { authorization: `Bearer ${ADMIN}` }] as Record<string, string>[]) {
    const tag = 'authorization' in auth ? ' (admin)' : '';
    const m = route.method;
    out.push(
      { name: `bad JSON${tag}`, method: m, path, headers: { ...json, ...auth }, body: '{"a":' },
      { name: `JSON null${tag}`, method: m, path, headers: { ...json, ...auth }, body: 'null' },
      { name: `JSON string${tag}`, method: m, path, headers: { ...json, ...auth }, body: '"x"' },
      {
        name: `deep JSON${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth },
        body: '['.repeat(5000) + ']'.repeat(5000),
      },
      {
        name: `gzip garbage${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'gzip' },
        body: garbage,
      },
      {
        name: `deflate garbage${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'deflate' },
        body: garbage,
      },
      {
        name: `br garbage${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'br' },
        body: garbage,
      },
      {
        name: `truncated gzip${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'gzip' },
        body: gzipSync('{"a":1}').subarray(0, 12),
      },
      {
        name: `gzip of bad JSON${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'gzip' },
        body: gzipSync('{"a":'),
      },
      {
        name: `deflate bomb${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'deflate' },
        body: bomb,
      },
      {
        name: `unknown encoding${tag}`,
        method: m,
        path,
        headers: { ...json, ...auth, 'content-encoding': 'x-zip' },
        body: '{}',
      },
      {
        name: `bad charset${tag}`,
        method: m,
        path,
        headers: { 'content-type': 'application/json; charset=utf-77', ...auth },
        body: '{}',
      },
      {
        name: `bad urlencoded${tag}`,
        method: m,
        path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
        body: 'a=%zz&b[=1&%',
      },
      {
        name: `odd content type${tag}`,
        method: m,
        path,
        headers: { 'content-type': 'application/json;;;=', ...auth },
        body: '{}',
      },
      ...BAD_COOKIES.map((cookie) => ({
        name: `cookie ${cookie.slice(0, 20)}${tag}`,
        method: m,
        path,
        headers: { cookie, ...auth },
      })),
      ...BAD_QUERIES.map((q) => ({
        name: `query ${q.slice(0, 30)}${tag}`,
        method: m,
        path: path + q,
        headers: auth,
      })),
      {
        name: `bad request id${tag}`,
        method: m,
        path,
        headers: { 'x-request-id': `../../etc/passwd ${'x'.repeat(300)}`, ...auth },
      },
      { name: `long path${tag}`, method: m, path: `${path}/${'a'.repeat(8_000)}`, headers: auth },
      {
        name: `bad percent in path${tag}`,
        method: m,
        path: `${path.replace(/\/1(\/|$)/, '/%E0%A4%A$1')}/%zz`,
        headers: auth,
      },
      { name: `bad basic auth${tag}`, method: m, path, headers: { authorization: 'Basic %%%notbase64' } },
      { name: `huge header${tag}`, method: m, path, headers: { ...auth, 'x-padding': 'p'.repeat(20_000) } },
    );
    for (const wrong of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      if (wrong === m) continue;
      out.push({
        name: `wrong method ${wrong}${tag}`,
        method: wrong,
        path,
        headers: { ...json, ...auth },
        body: wrong === 'GET' || wrong === 'HEAD' ? undefined : '{}',
      });
    }
  }
  return out;
}

describe('bad input on every route never gets a 5xx', () => {
  let ctx: TestContext;
  let api: ApiHandle;
  let routes: Route[];

  beforeAll(async () => {
    ctx = await createTestContext({ ADMIN_TOKEN: ADMIN });
    if (ctx.redis.status !== 'ready') await once(ctx.redis, 'ready');
    api = await startApi(ctx);
    routes = listRoutes(api.server.listeners('request')[0] as Express);
  });
  afterAll(async () => {
    await api.close();
    await ctx.cleanup();
  });

  it('finds the routes of every router, bull-board included', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /readyz',
        'GET /oauth/install',
        'GET /oauth/callback',
        'POST /webhooks/hubspot',
        'GET /admin/sync/status',
        'GET /admin/queues/api/queues',
        'PUT /admin/queues/api/queues/:queueName/pause',
        'POST /admin/queues/api/queues/:queueName/add',
      ]),
    );
  });

  it('answers bad JSON, bad encodings, bad cookies, huge headers, odd queries, wrong methods and long paths with a 4xx (or a 2xx/3xx), never a 5xx', async () => {
    const base = new URL(api.url);
    const failures: string[] = [];
    let sent = 0;
    const all = routes.flatMap((route) => attacks(route).map((a) => ({ route, a })));
    // A few at a time: fast, without flooding the shared machine.
    for (let i = 0; i < all.length; i += 8) {
      await Promise.all(
        all.slice(i, i + 8).map(async ({ route, a }) => {
          const reply = await send(base, a);
          sent++;
          const label = `${route.method} ${route.path} — ${a.name}: ${reply.status}`;
          if (reply.status >= 500 || reply.status === 0)
            failures.push(`${label} ${reply.body.slice(0, 200)}`);
          // Our own 4xx answers carry a request id (Node answers 431 itself, before the app runs).
          else if (reply.status >= 400 && reply.status !== 431 && !reply.requestId)
            failures.push(`${label} without x-request-id`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(routes.length * 40);
  }, 120_000);

  it('answers invalid compressed bodies with 400 and the request id in the body, on every route', async () => {
    const base = new URL(api.url);
    for (const route of routes) {
      for (const encoding of ['gzip', 'deflate']) {
        const reply = await send(base, {
          method: route.method,
          path: concrete(route.path),
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body: garbage,
        });
        expect([route.path, encoding, reply.status]).toEqual([route.path, encoding, 400]);
        const body = JSON.parse(reply.body) as { error: { requestId: string; code: string } };
        expect(body.error.requestId).toBe(reply.requestId);
      }
    }
  });

  it('treats a malformed percent-encoded OAuth cookie as no cookie: a 400 page, not a 500', async () => {
    const reply = await send(new URL(api.url), {
      method: 'GET',
      path: '/oauth/callback?code=abc&state=def',
      headers: { cookie: 'kpib_oauth=%E0%A4%A' },
    });
    expect(reply.status).toBe(400);
    expect(reply.requestId).toBeDefined();
  });
});
