import { sql } from 'kysely';
import { z } from 'zod';
import { HUBSPOT_PATHS } from '../../../src/hubspot/endpoints';
import { createRedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import { propertiesSchema, propertyGroupsSchema } from '../../../src/hubspot/schemas';
import { loadManifest } from '../../../src/install/manifest';
import { createTokenCipher, tokenAad, TokenDecryptionError } from '../../../src/install/token-cipher';
import { createTokenService, PortalNotInstalledError } from '../../../src/install/token-service';
import {
  finishBrowserInstall,
  installIntoSimulator,
  startBrowserInstall,
} from '../../../src/simulator/browser-install';
import { startInstallHarness } from './helpers';
import type { InstallHarness } from './helpers';

let h: InstallHarness;
const manifest = loadManifest();

beforeAll(async () => {
  h = await startInstallHarness({ portals: 3 });
});
afterAll(() => h.cleanup());

async function tokenRow(portalId: number) {
  return h.ctx.db.selectFrom('oauth_tokens').selectAll().where('portal_id', '=', portalId).executeTakeFirst();
}

/** Every value of every row of every table in the schema, as text. */
async function everyStoredValue(): Promise<string> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
    h.ctx.db,
  );
  const dumps: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await sql`select * from ${sql.table(table_name)}`.execute(h.ctx.db);
    dumps.push(JSON.stringify(rows));
  }
  return dumps.join('\n');
}

const introspectedPortal = async (token: string) => {
  const info = await h.ctx.hubspotOAuth.introspect(token);
  return info.active ? info.hub_id : null;
};

describe('install against the simulator', () => {
  it('installs a portal: portal row, encrypted tokens, property group and every manifest property, first sync queued', async () => {
    const result = await installIntoSimulator({ apiUrl: h.api.url, portalId: 101 });
    expect(result.portalId).toBe(101);
    // Every install-time call to HubSpot's APIs (account details, property groups and properties)
    // spent the portal's shared Redis budget, like every other call of the app.
    const apiCalls = h.sim.requestLog.list({ portalId: 101 }).filter((e) => !e.path.startsWith('/oauth'));
    expect(apiCalls.map((e) => e.path)).toContain(HUBSPOT_PATHS.accountDetails());
    const budget = createRedisRateBudget({ redis: h.ctx.redis, prefix: h.ctx.config.queue.prefix });
    expect(await budget.usage(101, 'standard')).toBe(apiCalls.length);
    expect(result.reinstall).toBe(false);
    expect(result.scopes).toEqual(expect.arrayContaining([...manifest.auth.requiredScopes]));
    expect(result.propertiesCreated).toBe(manifest.properties.length);

    const portal = await h.ctx.db
      .selectFrom('portals')
      .selectAll()
      .where('portal_id', '=', 101)
      .executeTakeFirstOrThrow();
    const account = await h.ctx.hubspot
      .forPortal(101)
      .request(
        { method: 'GET', path: HUBSPOT_PATHS.accountDetails() },
        z.object({ timeZone: z.string(), companyCurrency: z.string() }),
      );
    expect(portal).toMatchObject({
      status: 'installed',
      time_zone: account.timeZone,
      company_currency: account.companyCurrency,
    });

    const row = await tokenRow(101);
    expect(row?.key_id).toBe('t2');
    expect(row?.access_token_enc).toMatch(/^v1\.t2\./);
    expect(row?.scopes).toEqual(expect.arrayContaining([...manifest.auth.requiredScopes]));
    expect(row!.access_token_expires_at.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);

    const client = h.ctx.hubspot.forPortal(101);
    for (const objectType of ['contacts', 'deals']) {
      const groups = await client.request(
        { method: 'GET', path: HUBSPOT_PATHS.propertyGroups(objectType) },
        propertyGroupsSchema,
      );
      expect(groups.results.map((g) => g.name)).toContain('kpi_bridge');
      const props = await client.request(
        { method: 'GET', path: HUBSPOT_PATHS.properties(objectType) },
        propertiesSchema,
      );
      for (const p of manifest.properties.filter((m) => m.objectType === objectType)) {
        expect(props.results).toContainEqual(
          expect.objectContaining({
            name: p.name,
            type: p.type,
            fieldType: p.fieldType,
            groupName: 'kpi_bridge',
            label: p.label,
          }),
        );
      }
    }

    const job = await h.ctx.producer.queue('sync').getJob('sync-101-full');
    expect(job?.name).toBe('sync.full');
    expect(job?.data).toEqual({ portalId: 101 });
  });

  it('stores no token in plain text anywhere in the database', async () => {
    const access = await h.ctx.tokens.getAccessToken(101);
    const row = await tokenRow(101);
    const refresh = createTokenCipher(h.ctx.config.tokenEncryptionKeys).decrypt(
      row!.refresh_token_enc,
      tokenAad(101, 'refresh'),
    );
    expect(await introspectedPortal(access)).toBe(101);
    const everything = await everyStoredValue();
    expect(everything).toContain('"portal_id":101');
    for (const secret of [access, refresh, access.slice(0, 40), refresh.slice(-36)])
      expect(everything).not.toContain(secret);
  });

  it('keeps two portals apart: each id gets its own token, and a ciphertext moved to the other portal does not decrypt', async () => {
    await installIntoSimulator({ apiUrl: h.api.url, portalId: 102 });
    const [t101, t102] = await Promise.all([
      h.ctx.tokens.getAccessToken(101),
      h.ctx.tokens.getAccessToken(102),
    ]);
    expect(t101).not.toBe(t102);
    expect(await introspectedPortal(t101)).toBe(101);
    expect(await introspectedPortal(t102)).toBe(102);

    // Each portal's client calls HubSpot as that portal.
    const before = h.sim.requestLog.list().length;
    await h.ctx.hubspot.forPortal(102).request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown());
    expect(
      h.sim.requestLog
        .list()
        .slice(before)
        .map((e) => e.portalId),
    ).toEqual([102]);

    // A row of portal 102 holding portal 101's ciphertexts yields nothing.
    const cipher = createTokenCipher(h.ctx.config.tokenEncryptionKeys);
    const row101 = await tokenRow(101);
    expect(() => cipher.decrypt(row101!.access_token_enc, tokenAad(102, 'access'))).toThrow(
      TokenDecryptionError,
    );
    expect(() => cipher.decrypt(row101!.refresh_token_enc, tokenAad(101, 'access'))).toThrow(
      TokenDecryptionError,
    );
  });

  it('reinstalling refreshes the tokens and keeps the data', async () => {
    const before = await tokenRow(101);
    const portalBefore = await h.ctx.db
      .selectFrom('portals')
      .selectAll()
      .where('portal_id', '=', 101)
      .executeTakeFirstOrThrow();
    const again = await installIntoSimulator({ apiUrl: h.api.url, portalId: 101 });
    expect(again).toMatchObject({ portalId: 101, reinstall: true, propertiesCreated: 0 });
    const after = await tokenRow(101);
    expect(after!.access_token_enc).not.toBe(before!.access_token_enc);
    const portalAfter = await h.ctx.db
      .selectFrom('portals')
      .selectAll()
      .where('portal_id', '=', 101)
      .executeTakeFirstOrThrow();
    expect(portalAfter.installed_at).toEqual(portalBefore.installed_at);
    expect(portalAfter.created_at).toEqual(portalBefore.created_at);
  });

  it('50 concurrent callers (in 5 processes) of a token about to expire cause exactly one refresh', async () => {
    await h.ctx.db
      .updateTable('oauth_tokens')
      .set({ access_token_expires_at: new Date(Date.now() + 60_000) })
      .where('portal_id', '=', 101)
      .execute();
    const old = (await tokenRow(101))!.access_token_enc;
    const since = Date.now();
    // Five token services stand for five processes: they share only Postgres and Redis.
    const services = Array.from({ length: 5 }, () =>
      createTokenService({
        db: h.ctx.db,
        redis: h.ctx.redis,
        cipher: createTokenCipher(h.ctx.config.tokenEncryptionKeys),
        oauth: h.ctx.hubspotOAuth,
        producer: h.ctx.producer,
        logger: h.ctx.logger,
        keyPrefix: h.ctx.config.queue.prefix,
      }),
    );
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) => services[i % 5]!.getAccessToken(101)),
    );
    const refreshes = h.sim.requestLog
      .list({ method: 'POST', since })
      .filter(
        (e) => e.path === HUBSPOT_PATHS.oauthToken() && (e.body ?? '').includes('grant_type=refresh_token'),
      );
    expect(refreshes).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
    expect((await tokenRow(101))!.access_token_enc).not.toBe(old);
    expect(await introspectedPortal(tokens[0]!)).toBe(101);
  });

  it('a refresh answered invalid_grant marks the portal uninstalled, removes its queued jobs, and logs one clear line', async () => {
    await installIntoSimulator({ apiUrl: h.api.url, portalId: 103 });
    await h.ctx.producer.enqueue('kpi.compute', { portalId: 103 }, { jobId: 'kpi-103-test', delay: 60_000 });
    expect(await h.ctx.producer.queue('sync').getJob('sync-103-full')).toBeDefined();
    h.sim.faults.set(103, { refreshTokenRevoked: true });
    await h.ctx.db
      .updateTable('oauth_tokens')
      .set({ access_token_expires_at: new Date(Date.now() - 1_000) })
      .where('portal_id', '=', 103)
      .execute();

    await expect(h.ctx.tokens.getAccessToken(103)).rejects.toBeInstanceOf(PortalNotInstalledError);
    const portal = await h.ctx.db
      .selectFrom('portals')
      .selectAll()
      .where('portal_id', '=', 103)
      .executeTakeFirstOrThrow();
    expect(portal.status).toBe('uninstalled');
    expect(portal.uninstalled_at).not.toBeNull();
    expect(await h.ctx.producer.queue('sync').getJob('sync-103-full')).toBeUndefined();
    expect(await h.ctx.producer.queue('kpi').getJob('kpi-103-test')).toBeUndefined();
    const lines = h.logs().filter((l) => l.includes('invalid_grant'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ portalId: 103, level: 40 });
    // And the portal's tokens are not handed out any more.
    await expect(h.ctx.tokens.getAccessToken(103)).rejects.toThrow(/uninstalled/);
    h.sim.faults.reset(103);
  });

  it('rotate-key re-encrypts every token under the newest key', async () => {
    const oldOnly = createTokenCipher(h.ctx.config.tokenEncryptionKeys.slice(1));
    const access = await h.ctx.tokens.getAccessToken(102);
    // Put portal 102's tokens under the older key, as before a rotation.
    const row = await tokenRow(102);
    const refresh = createTokenCipher(h.ctx.config.tokenEncryptionKeys).decrypt(
      row!.refresh_token_enc,
      tokenAad(102, 'refresh'),
    );
    await h.ctx.db
      .updateTable('oauth_tokens')
      .set({
        key_id: 't1',
        access_token_enc: oldOnly.encrypt(access, tokenAad(102, 'access')),
        refresh_token_enc: oldOnly.encrypt(refresh, tokenAad(102, 'refresh')),
      })
      .where('portal_id', '=', 102)
      .execute();
    const result = await h.ctx.tokens.rotateKeys();
    expect(result).toEqual({ rotated: 1, keyId: 't2' });
    const rotated = await tokenRow(102);
    expect(rotated).toMatchObject({ key_id: 't2' });
    expect(rotated!.access_token_enc.startsWith('v1.t2.')).toBe(true);
    expect(await h.ctx.tokens.getAccessToken(102)).toBe(access);
    expect((await h.ctx.tokens.rotateKeys()).rotated).toBe(0);
  });
});

describe('bad input and attacks on the callback', () => {
  const portal = 103;
  const tokensOf = async () =>
    (await h.ctx.db.selectFrom('oauth_tokens').select('portal_id').execute()).length;

  function expectRefused(
    response: { status: number; html: string },
    status: number,
    text: RegExp,
    reason: string,
    secrets: string[] = [],
  ) {
    expect(response.status).toBe(status);
    expect(response.html).toMatch(text);
    expect(response.html).toContain(`data-reason="${reason}`);
    const line = h
      .logs()
      .filter((l) => l.includes('install refused'))
      .pop();
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as { status: number; reason: string };
    expect(logged.status).toBe(status);
    expect(logged.reason).toContain(reason);
    for (const s of secrets) {
      expect(h.logs().join('\n')).not.toContain(s);
      expect(response.html).not.toContain(s);
    }
  }

  it('refuses a callback without state', async () => {
    const count = await tokensOf();
    expectRefused(
      await finishBrowserInstall({ callbackUrl: `${h.api.url}/oauth/callback?code=abc`, cookie: '' }),
      400,
      /incomplete/,
      'missing_state',
    );
    expect(await tokensOf()).toBe(count);
  });

  it('refuses a forged state', async () => {
    const steps = await startBrowserInstall(h.api.url, { portalId: portal });
    const forged = new URL(steps.callbackUrl);
    forged.searchParams.set('state', 'forged-state-value');
    const count = await tokensOf();
    expectRefused(
      await finishBrowserInstall({ callbackUrl: forged.toString(), cookie: steps.cookie }),
      400,
      /expired or was already used/,
      'unknown_state',
      [new URL(steps.callbackUrl).searchParams.get('code')!],
    );
    expect(await tokensOf()).toBe(count);
  });

  it('refuses a state replayed after a successful install', async () => {
    const steps = await startBrowserInstall(h.api.url, { portalId: 102 });
    expect((await finishBrowserInstall(steps)).status).toBe(200);
    expectRefused(await finishBrowserInstall(steps), 400, /expired or was already used/, 'unknown_state');
  });

  it('refuses a state that comes back without the browser cookie that started it', async () => {
    const steps = await startBrowserInstall(h.api.url, { portalId: portal });
    const count = await tokensOf();
    expectRefused(
      await finishBrowserInstall({ callbackUrl: steps.callbackUrl, cookie: 'kpib_oauth=someone-else' }),
      400,
      /another browser/,
      'state_not_bound',
    );
    expect(await tokensOf()).toBe(count);
  });

  it('refuses a code the token endpoint rejects', async () => {
    const steps = await startBrowserInstall(h.api.url, { portalId: portal });
    const bad = new URL(steps.callbackUrl);
    bad.searchParams.set('code', 'not-a-real-code');
    const count = await tokensOf();
    expectRefused(
      await finishBrowserInstall({ callbackUrl: bad.toString(), cookie: steps.cookie }),
      400,
      /did not accept/,
      'code_rejected_invalid_grant',
    );
    expect(await tokensOf()).toBe(count);
  });

  it('shows a clear page when the admin denies access (error=access_denied)', async () => {
    h.sim.faults.set(portal, { authorizeDenied: true });
    try {
      const steps = await startBrowserInstall(h.api.url, { portalId: portal });
      expect(new URL(steps.callbackUrl).searchParams.get('error')).toBe('access_denied');
      const count = await tokensOf();
      expectRefused(await finishBrowserInstall(steps), 400, /cancelled/, 'hubspot_access_denied');
      expect(await tokensOf()).toBe(count);
    } finally {
      h.sim.faults.reset(portal);
    }
  });

  it('refuses an install granted without a required scope, naming it, and keeps nothing', async () => {
    await h.ctx.db.deleteFrom('oauth_tokens').where('portal_id', '=', portal).execute();
    const steps = await startBrowserInstall(h.api.url, {
      portalId: portal,
      rewriteAuthorizeUrl: (url) =>
        url.searchParams.set(
          'scope',
          (url.searchParams.get('scope') ?? '').replace('crm.objects.owners.read', '').trim(),
        ),
    });
    const response = await finishBrowserInstall(steps);
    expectRefused(response, 403, /needs more access/, 'missing_scopes');
    expect(response.html).toContain('<code>crm.objects.owners.read</code>');
    expect(await tokenRow(portal)).toBeUndefined();
  });
});
