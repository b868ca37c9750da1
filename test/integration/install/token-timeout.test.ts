import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHubSpotOAuth } from '../../../src/hubspot/oauth';
import { createInstallService } from '../../../src/install/install.service';
import { createOAuthRouter } from '../../../src/install/oauth.routes';
import { finishBrowserInstall, startBrowserInstall } from '../../../src/simulator/browser-install';
import { createApp } from '../../../src/platform/http/app';
import { startInstallHarness } from './helpers';
import type { InstallHarness } from './helpers';

/**
 * A token endpoint that never answers: the admin gets a clear page and a 4xx quickly,
 * nothing is stored, and the log line holds no secret. The consent step is the
 * simulator's; only the token endpoint is a socket that hangs.
 */
let h: InstallHarness;
let hanging: Server;
let hangingUrl: string;
let api: Server;
let apiUrl: string;

beforeAll(async () => {
  h = await startInstallHarness({ portals: 1 });
  hanging = createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  const port = (h.api.server.address() as AddressInfo).port;
  // Our API again, on its own port, with OAuth pointed at the hanging server.
  const oauth = createHubSpotOAuth({
    apiBaseUrl: hangingUrl,
    clientId: h.sim.app.clientId,
    clientSecret: h.sim.app.clientSecret,
    timeoutMs: 300,
  });
  const app = createApp({
    logger: h.ctx.logger,
    bodyLimit: '1mb',
    trustProxy: false,
    routers: [
      createOAuthRouter({
        install: createInstallService({
          db: h.ctx.db,
          redis: h.ctx.redis,
          producer: h.ctx.producer,
          oauth,
          tokens: h.ctx.tokens,
          manifest: h.ctx.manifest,
          hubspot: { ...h.ctx.config.hubspot, clients: h.ctx.hubspot },
          // The consent page redirects to the harness API's URL: serve the same port's callback path here instead.
          publicBaseUrl: `http://127.0.0.1:${port}`,
          keyPrefix: h.ctx.config.queue.prefix,
          logger: h.ctx.logger,
        }),
        secureCookies: false,
        logger: h.ctx.logger,
      }),
    ],
  });
  api = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  hanging.closeAllConnections();
  await new Promise((resolve) => hanging.close(resolve));
  await h.cleanup();
});

it('answers a clear 4xx page when the token endpoint times out, storing nothing and logging no secret', async () => {
  const steps = await startBrowserInstall(apiUrl, { portalId: 101 });
  // The consent page sends the browser to the redirect URI; the same path on this API finishes it.
  const callback = new URL(steps.callbackUrl);
  const code = callback.searchParams.get('code')!;
  const started = Date.now();
  const response = await finishBrowserInstall({
    callbackUrl: `${apiUrl}${callback.pathname}${callback.search}`,
    cookie: steps.cookie,
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(response.status).toBe(424);
  expect(response.html).toContain('HubSpot did not answer in time');
  expect(response.html).toContain('data-reason="token_endpoint_timeout"');
  expect(await h.ctx.db.selectFrom('oauth_tokens').selectAll().execute()).toEqual([]);
  expect(await h.ctx.db.selectFrom('portals').selectAll().execute()).toEqual([]);
  const line = h
    .logs()
    .filter((l) => l.includes('install refused'))
    .pop();
  expect(JSON.parse(line!)).toMatchObject({ reason: 'token_endpoint_timeout', status: 424 });
  const logs = h.logs().join('\n');
  expect(logs).not.toContain(code);
  expect(logs).not.toContain(h.sim.app.clientSecret);
  expect(logs).not.toContain(callback.searchParams.get('state')!);
});
