import net from 'node:net';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { HUBSPOT_PATHS } from '../../../src/hubspot/endpoints';
import { QUEUE_NAMES } from '../../../src/platform/queue/jobs';
import { createInstallService, InstallError } from '../../../src/install/install.service';
import {
  finishBrowserInstall,
  installIntoSimulator,
  startBrowserInstall,
} from '../../../src/simulator/browser-install';
import { startInstallHarness } from './helpers';
import type { InstallHarness } from './helpers';

/**
 * The OAuth state: signed and bound to the browser's cookie, so /oauth/install keeps
 * nothing on the server (an anonymous flood cannot fill Redis), and the callback still
 * refuses forged, expired, replayed and foreign-browser states.
 */
let h: InstallHarness;

beforeAll(async () => {
  h = await startInstallHarness({ portals: 2 });
});
afterAll(() => h.cleanup());

async function keysUnderPrefix(): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await h.ctx.redis.scan(
      cursor,
      'MATCH',
      `${h.ctx.config.queue.prefix}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * `total` GETs of `path`, pipelined over `connections` raw keep-alive sockets (no client
 * library, no nock in between): thousands of requests a second. Returns the statuses seen.
 */
async function flood(path: string, total: number, connections: number): Promise<Map<number, number>> {
  const { port } = h.api.server.address() as AddressInfo;
  const statuses = new Map<number, number>();
  const perConnection = Math.ceil(total / connections);
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const n = Math.min(perConnection, total - c * perConnection);
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        let seen = 0;
        let buffer = '';
        socket.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('latin1');
          let end = 0;
          for (const m of buffer.matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
            const status = Number(m[1]);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            seen++;
            end = m.index + m[0].length;
          }
          // Keep a status line cut in two by the chunk boundary for the next chunk.
          buffer = buffer.slice(Math.max(end, buffer.length - 16));
          if (seen >= n) {
            socket.end();
            resolve();
          }
        });
        socket.on('error', reject);
        const request = `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`;
        // Written in slices so the server's read backpressure is respected.
        const write = (from: number) => {
          let i = from;
          while (i < n) {
            const slice = request.repeat(Math.min(200, n - i));
            i += Math.min(200, n - i);
            if (!socket.write(slice)) {
              socket.once('drain', () => write(i));
              return;
            }
          }
        };
        write(0);
      });
    }),
  );
  return statuses;
}

it('20,000 anonymous /oauth/install requests store nothing in Redis', async () => {
  // BullMQ writes each queue's meta hash once, shortly after the API starts: not ours to count.
  for (let i = 0; i < 50; i++) {
    const metas = await Promise.all(
      QUEUE_NAMES.map((q) => h.ctx.redis.exists(`${h.ctx.config.queue.prefix}:${q}:meta`)),
    );
    if (metas.every((m) => m === 1)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await keysUnderPrefix();
  const statuses = await flood('/oauth/install?portalId=101', 20_000, 8);
  expect(Object.fromEntries(statuses)).toEqual({ 302: 20_000 });
  expect(await keysUnderPrefix()).toBe(before);
}, 60_000);

it('an install from a flooded start page still works, and its state is refused a second time', async () => {
  const steps = await startBrowserInstall(h.api.url, { portalId: 101 });
  expect((await finishBrowserInstall(steps)).status).toBe(200);
  const again = await finishBrowserInstall(steps);
  expect(again.status).toBe(400);
  expect(again.html).toContain('data-reason="unknown_state"');
});

describe('a state that was not signed here, or no longer holds', () => {
  it('refuses a state whose expiry was pushed forward (the signature no longer matches)', async () => {
    const steps = await startBrowserInstall(h.api.url, { portalId: 102 });
    const url = new URL(steps.callbackUrl);
    const [expires, nonce, mac] = url.searchParams.get('state')!.split('.');
    url.searchParams.set('state', `${(parseInt(expires!, 36) + 3600).toString(36)}.${nonce}.${mac}`);
    const res = await finishBrowserInstall({ callbackUrl: url.toString(), cookie: steps.cookie });
    expect(res.status).toBe(400);
    expect(res.html).toContain('data-reason="unknown_state"');
  });

  it('refuses a state older than 10 minutes', async () => {
    const started = Date.now();
    let clock = started;
    const service = createInstallService({
      db: h.ctx.db,
      redis: h.ctx.redis,
      producer: h.ctx.producer,
      oauth: h.ctx.hubspotOAuth,
      tokens: h.ctx.tokens,
      manifest: h.ctx.manifest,
      hubspot: { ...h.ctx.config.hubspot, clients: h.ctx.hubspot },
      publicBaseUrl: h.ctx.config.http.publicBaseUrl,
      keyPrefix: h.ctx.config.queue.prefix,
      logger: h.ctx.logger,
      now: () => clock,
    });
    const { redirectUrl, cookieValue } = await service.start();
    const state = new URL(redirectUrl).searchParams.get('state')!;
    clock = started + 10 * 60_000 + 1_000;
    await expect(service.complete({ state, code: 'whatever' }, cookieValue)).rejects.toMatchObject({
      reason: 'unknown_state',
    });
    // Within its 10 minutes the same state passes the state checks (and fails on the fake code).
    clock = started + 9 * 60_000;
    const error = await service.complete({ state, code: 'whatever' }, cookieValue).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstallError);
    expect((error as InstallError).reason).toBe('code_rejected_invalid_grant');
  });

  it("refuses another browser's cookie, even one this server issued", async () => {
    const mine = await startBrowserInstall(h.api.url, { portalId: 102 });
    const theirs = await startBrowserInstall(h.api.url, { portalId: 102 });
    const res = await finishBrowserInstall({ callbackUrl: mine.callbackUrl, cookie: theirs.cookie });
    expect(res.status).toBe(400);
    expect(res.html).toContain('data-reason="state_not_bound"');
  });
});

describe('HubSpot busy at install', () => {
  afterEach(() => nock.cleanAll());

  it('a 429 from the token endpoint tells the admin HubSpot is busy and to retry, not that the code was refused', async () => {
    const steps = await startBrowserInstall(h.api.url, { portalId: 102 });
    const scope = nock(h.sim.url, { allowUnmocked: true })
      .post(HUBSPOT_PATHS.oauthToken())
      .reply(
        429,
        { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' },
        { 'content-type': 'application/json' },
      );
    const before = await h.ctx.db.selectFrom('oauth_tokens').select('portal_id').execute();
    const res = await finishBrowserInstall(steps);
    expect(scope.isDone()).toBe(true);
    expect(res.status).toBe(424);
    expect(res.html).toContain('data-reason="token_endpoint_busy"');
    expect(res.html).toMatch(/HubSpot is busy/);
    expect(res.html).toMatch(/start the install again/);
    expect(res.html).not.toMatch(/refused|did not accept/);
    expect(await h.ctx.db.selectFrom('oauth_tokens').select('portal_id').execute()).toEqual(before);

    // The admin retries a minute later with a new install, and it goes through.
    expect((await installIntoSimulator({ apiUrl: h.api.url, portalId: 102 })).portalId).toBe(102);
  });
});
