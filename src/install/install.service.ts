import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HubSpotClient, HubSpotClientFactory } from '../hubspot/client';
import { buildAuthorizeUrl, HUBSPOT_PATHS } from '../hubspot/endpoints';
import { HubSpotApiError, HubSpotOAuthError, HubSpotTransportError } from '../hubspot/errors';
import type { HubSpotOAuth } from '../hubspot/oauth';
import { accountDetailsSchema, propertiesSchema, propertyGroupsSchema } from '../hubspot/schemas';
import type { Database } from '../db';
import { buildJobId } from '../platform/queue/jobs';
import type { Producer } from '../platform/queue/producer';
import type { AppManifest } from './manifest';
import { upsertInstalledPortal } from './portals.repository';
import type { TokenService } from './token-service';

/**
 * The install: the consent redirect with a signed state bound to the browser, then the
 * callback that turns a code into a tenant (portal row, encrypted tokens, the app's
 * properties in the portal, the first full sync queued). Every refusal is an
 * InstallError with a status, a title and what the admin can do; nothing is stored
 * before every check has passed.
 *
 * The state keeps nothing on our side before the callback (an anonymous flood of
 * /oauth/install must not fill Redis): it is `<expiry>.<nonce>.<mac>`, HMAC-signed with a
 * key derived from the client secret, and the browser gets a cookie that is a second HMAC
 * of the same nonce, so a state only works in the browser that started it. Once a state
 * has bought tokens it is marked used in Redis until it expires (written only after
 * HubSpot accepted the code, so only real installs write it): a replay is refused.
 */
export const STATE_TTL_SECONDS = 10 * 60;
export const STATE_COOKIE = 'kpib_oauth';

export class InstallError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly title: string,
    readonly advice: string[],
    readonly list: string[] = [],
  ) {
    super(`${reason}: ${title}`);
    this.name = 'InstallError';
  }
}

export type InstallStart = { redirectUrl: string; cookieValue: string };

export type InstallResult = {
  portalId: number;
  reinstall: boolean;
  scopes: string[];
  hubDomain: string | null;
  propertiesCreated: number;
  groupsCreated: number;
  syncJobId: string;
};

export type InstallService = {
  start(options?: { portalId?: number }): Promise<InstallStart>;
  complete(
    query: { code?: string; state?: string; error?: string; errorDescription?: string },
    cookieValue: string | undefined,
  ): Promise<InstallResult>;
  /** Creates the manifest's property groups and properties the portal lacks (idempotent). */
  provisionProperties(client: HubSpotClient): Promise<{ groupsCreated: number; propertiesCreated: number }>;
};

export type InstallServiceDeps = {
  db: Database;
  redis: Redis;
  producer: Producer;
  oauth: HubSpotOAuth;
  tokens: TokenService;
  manifest: AppManifest;
  hubspot: {
    clientId: string;
    /** Keys the state's HMAC (through a derived key, never used as is). */
    clientSecret: string;
    authBaseUrl: string;
    /** The adapter's clients: every install-time call spends the portal's shared rate budget. */
    clients: HubSpotClientFactory;
  };
  publicBaseUrl: string;
  keyPrefix: string;
  logger: Logger;
  now?: () => number;
};

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const STATE_FORMAT = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/;

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createInstallService(deps: InstallServiceDeps): InstallService {
  const log = deps.logger.child({ name: 'install' });
  const now = deps.now ?? Date.now;
  const redirectUri = `${deps.publicBaseUrl}${deps.manifest.auth.redirectPath}`;
  // A key of its own, so a MAC here can never be replayed as a webhook signature (same secret).
  // Derived on first use: commands that never install (status, kpi) build this service without the secret.
  let stateKey: Buffer | undefined;
  const mac = (purpose: 'state' | 'browser', ...parts: string[]) =>
    createHmac(
      'sha256',
      (stateKey ??= createHmac('sha256', deps.hubspot.clientSecret)
        .update('kpi-bridge/oauth-state/v1')
        .digest()),
    )
      .update([purpose, ...parts].join('\n'), 'utf8')
      .digest();
  const usedKey = (nonce: string) => `${deps.keyPrefix}:oauth-state-used:${sha256(nonce).toString('hex')}`;

  // Nothing stored: the state and the cookie carry everything the callback checks.
  function start(options: { portalId?: number } = {}): Promise<InstallStart> {
    const expires = Math.floor(now() / 1000) + STATE_TTL_SECONDS;
    const nonce = randomBytes(24).toString('base64url');
    const body = `${expires.toString(36)}.${nonce}`;
    const state = `${body}.${mac('state', body).toString('base64url')}`;
    const cookieValue = mac('browser', nonce).toString('base64url');
    let redirectUrl = buildAuthorizeUrl(deps.hubspot.authBaseUrl, {
      clientId: deps.hubspot.clientId,
      redirectUri,
      scopes: deps.manifest.auth.requiredScopes,
      optionalScopes: deps.manifest.auth.optionalScopes,
      state,
    });
    // HubSpot's account-pinned consent page, when the admin came from a known portal.
    if (options.portalId)
      redirectUrl = redirectUrl.replace('/oauth/authorize', `/oauth/${options.portalId}/authorize`);
    return Promise.resolve({ redirectUrl, cookieValue });
  }

  const unknownState = () =>
    new InstallError(400, 'unknown_state', 'This install link has expired or was already used', [
      'Install links work once and for 10 minutes.',
      'Start the install again from the KPI Bridge listing.',
    ]);

  type CheckedState = { nonce: string; expiresAtMs: number };

  /** Checks signature, expiry, browser binding and first use. */
  async function checkState(
    state: string | undefined,
    cookieValue: string | undefined,
  ): Promise<CheckedState> {
    if (!state) {
      throw new InstallError(400, 'missing_state', 'This install link is incomplete', [
        'The answer from HubSpot carried no state, so we cannot tell that this install was started here.',
        'Start the install again from the KPI Bridge listing.',
      ]);
    }
    const parts = STATE_FORMAT.exec(state);
    if (!parts) throw unknownState();
    const [, expires, nonce, signature] = parts as unknown as [string, string, string, string];
    if (!sameBytes(Buffer.from(signature, 'base64url'), mac('state', `${expires}.${nonce}`)))
      throw unknownState();
    const expiresAtMs = parseInt(expires, 36) * 1000;
    if (expiresAtMs < now()) throw unknownState();
    const given = Buffer.from(cookieValue ?? '', 'base64url');
    if (!cookieValue || !sameBytes(given, mac('browser', nonce))) {
      throw new InstallError(400, 'state_not_bound', 'This install was started in another browser', [
        'For your safety, an install must finish in the browser that started it.',
        'Start the install again from this browser.',
      ]);
    }
    if ((await deps.redis.exists(usedKey(nonce))) > 0) throw unknownState();
    return { nonce, expiresAtMs };
  }

  /** Marks a state used once it bought tokens; a second use racing with us loses. */
  async function consumeState(checked: CheckedState): Promise<void> {
    const ttl = Math.max(1, Math.ceil((checked.expiresAtMs - now()) / 1000));
    const first = await deps.redis.set(usedKey(checked.nonce), '1', 'EX', ttl, 'NX');
    if (first !== 'OK') throw unknownState();
  }

  const hubspotBusy = (reason: string) =>
    new InstallError(424, reason, 'HubSpot is busy right now', [
      'HubSpot asked KPI Bridge to slow down (too many requests) before the install could finish. Nothing was stored.',
      'Please wait a minute, then start the install again from the KPI Bridge listing.',
    ]);

  async function exchange(code: string) {
    try {
      return await deps.oauth.exchangeCode(code, redirectUri);
    } catch (err) {
      if (err instanceof HubSpotOAuthError && err.status === 429) {
        // Not the code's fault: HubSpot asked us to slow down, and the admin can simply retry.
        throw hubspotBusy('token_endpoint_busy');
      }
      if (err instanceof HubSpotOAuthError && err.status < 500) {
        throw new InstallError(400, `code_rejected_${err.error}`, 'HubSpot did not accept this install', [
          'The authorization code was refused (it may have expired or been used already).',
          'Start the install again from the KPI Bridge listing.',
        ]);
      }
      if (err instanceof HubSpotTransportError || err instanceof HubSpotOAuthError) {
        // A 4xx on purpose: the admin's install failed and nothing was stored; retrying is theirs to do.
        throw new InstallError(
          424,
          err instanceof HubSpotTransportError ? `token_endpoint_${err.reason}` : 'token_endpoint_error',
          'HubSpot did not answer in time',
          [
            'We could not finish the install because HubSpot did not answer. Nothing was stored.',
            'Please start the install again in a few minutes.',
          ],
        );
      }
      throw err;
    }
  }

  async function provisionProperties(
    client: HubSpotClient,
  ): Promise<{ groupsCreated: number; propertiesCreated: number }> {
    let groupsCreated = 0;
    let propertiesCreated = 0;
    const objectTypes = [
      ...new Set([
        ...deps.manifest.propertyGroups.map((g) => g.objectType),
        ...deps.manifest.properties.map((p) => p.objectType),
      ]),
    ];
    const created = async (post: () => Promise<unknown>): Promise<boolean> => {
      try {
        await post();
        return true;
      } catch (err) {
        // Created meanwhile (a concurrent install, or our GET was stale): that is the goal.
        if (err instanceof HubSpotApiError && err.status === 409) return false;
        throw err;
      }
    };
    for (const objectType of objectTypes) {
      const groups = await client.request(
        { method: 'GET', path: HUBSPOT_PATHS.propertyGroups(objectType) },
        propertyGroupsSchema,
      );
      for (const group of deps.manifest.propertyGroups.filter((g) => g.objectType === objectType)) {
        if (groups.results.some((g) => g.name === group.name)) continue;
        const body = { name: group.name, label: group.label, displayOrder: group.displayOrder };
        if (
          await created(() =>
            client.request(
              { method: 'POST', path: HUBSPOT_PATHS.propertyGroups(objectType), body },
              propertyGroupsSchema.shape.results.element,
            ),
          )
        )
          groupsCreated++;
      }
      const existing = await client.request(
        { method: 'GET', path: HUBSPOT_PATHS.properties(objectType) },
        propertiesSchema,
      );
      const names = new Set(existing.results.map((p) => p.name));
      for (const property of deps.manifest.properties.filter((p) => p.objectType === objectType)) {
        // Existing ones are left alone: an admin may have relabelled them.
        if (names.has(property.name)) continue;
        const { objectType: _objectType, ...definition } = property;
        const body = { ...definition, hidden: false, formField: false };
        if (
          await created(() =>
            client.request(
              { method: 'POST', path: HUBSPOT_PATHS.properties(objectType), body },
              propertiesSchema.shape.results.element,
            ),
          )
        )
          propertiesCreated++;
      }
    }
    return { groupsCreated, propertiesCreated };
  }

  async function complete(
    query: { code?: string; state?: string; error?: string; errorDescription?: string },
    cookieValue: string | undefined,
  ): Promise<InstallResult> {
    const checked = await checkState(query.state, cookieValue);
    if (query.error) {
      throw new InstallError(
        400,
        `hubspot_${query.error.slice(0, 40)}`,
        query.error === 'access_denied' ? 'The install was cancelled' : 'HubSpot stopped the install',
        [
          query.error === 'access_denied'
            ? 'KPI Bridge was not given access to your HubSpot account, so nothing was installed.'
            : 'HubSpot returned an error instead of an authorization, so nothing was installed.',
          'You can start the install again at any time.',
        ],
      );
    }
    if (!query.code) {
      throw new InstallError(400, 'missing_code', 'This install link is incomplete', [
        'HubSpot sent no authorization code.',
        'Start the install again.',
      ]);
    }
    const tokens = await exchange(query.code);
    await consumeState(checked);
    const info = await deps.oauth.introspect(tokens.access_token).catch((err: unknown) => {
      if (err instanceof HubSpotOAuthError && err.status === 429) throw hubspotBusy('introspect_busy');
      if (err instanceof HubSpotTransportError || err instanceof HubSpotOAuthError) {
        throw new InstallError(424, 'introspect_failed', 'HubSpot did not answer in time', [
          'Nothing was stored. Please start the install again in a few minutes.',
        ]);
      }
      throw err;
    });
    if (!info.active || info.hub_id !== tokens.hub_id) {
      throw new InstallError(400, 'token_inactive', 'HubSpot did not confirm this install', [
        'The new access token was not active. Start the install again.',
      ]);
    }
    const portalId = info.hub_id;
    const granted = new Set([...info.scopes, ...tokens.scopes]);
    const missing = deps.manifest.auth.requiredScopes.filter((s) => !granted.has(s));
    if (missing.length > 0) {
      // We keep nothing; the grant we cannot use is revoked so it does not linger.
      await deps.oauth.revoke(tokens.refresh_token).catch(() => undefined);
      throw new InstallError(
        403,
        'missing_scopes',
        'KPI Bridge needs more access than was granted',
        [
          `HubSpot account ${portalId} granted the install without these permissions, which KPI Bridge needs to read your CRM and write its KPIs:`,
          'Ask a Super Admin (or a user with these permissions) to install KPI Bridge.',
        ],
        missing,
      );
    }

    // Account details with the fresh token (the vault has none for this portal yet).
    const oneOff = deps.hubspot.clients.withAccessToken(portalId, tokens.access_token, { maxAttempts: 3 });
    const account = await oneOff.request(
      { method: 'GET', path: HUBSPOT_PATHS.accountDetails() },
      accountDetailsSchema,
    );

    const at = new Date(now());
    const { reinstall } = await deps.db.transaction().execute(async (trx) => {
      const result = await upsertInstalledPortal(trx, portalId, {
        hubDomain: info.hub_domain ?? null,
        timeZone: account.timeZone,
        companyCurrency: account.companyCurrency,
        now: at,
      });
      await deps.tokens.storeInstallTokens(trx, portalId, tokens, {
        userId: info.user_id ?? tokens.user_id ?? null,
        email: info.user ?? null,
      });
      return result;
    });

    const { groupsCreated, propertiesCreated } = await provisionProperties(
      deps.hubspot.clients.forPortal(portalId),
    );
    const syncJobId = buildJobId('sync', portalId, 'full');
    await deps.producer.enqueue('sync.full', { portalId }, { jobId: syncJobId });
    log.info(
      { portalId, reinstall, scopes: [...granted].length, groupsCreated, propertiesCreated, syncJobId },
      reinstall ? 'portal reinstalled: tokens replaced, data kept' : 'portal installed',
    );
    return {
      portalId,
      reinstall,
      scopes: [...granted].sort(),
      hubDomain: info.hub_domain ?? null,
      propertiesCreated,
      groupsCreated,
      syncJobId,
    };
  }

  return { start, complete, provisionProperties };
}
