import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { HubSpotOAuthError } from '../hubspot/errors';
import type { HubSpotOAuth } from '../hubspot/oauth';
import type { TokenResponse } from '../hubspot/schemas';
import type { Database, Executor } from '../db';
import type { Producer } from '../platform/queue/producer';
import { removeQueuedJobsOfPortal } from './portal-jobs';
import { findPortal, markPortalUninstalled } from './portals.repository';
import { tokenAad } from './token-cipher';
import type { TokenCipher } from './token-cipher';
import {
  findTokens,
  listPortalsWithTokensNotUnder,
  updateRefreshedTokens,
  upsertTokens,
} from './tokens.repository';

/**
 * Access tokens on demand. HubSpot's access tokens live 30 minutes and a 401 is not a
 * reliable "expired" signal (reference §1), so a token is refreshed shortly before its
 * expiry. Concurrent callers share one refresh: in a process through one promise per
 * portal, across processes through a Redis lock (single flight), so a portal is never
 * refreshed twice at once. A refresh answered `invalid_grant` means the app was
 * uninstalled: the portal is marked so and its queued work removed.
 */
export class PortalNotInstalledError extends Error {
  readonly permanent = true;
  constructor(
    readonly portalId: number,
    reason: string,
  ) {
    super(`portal ${portalId} ${reason}`);
    this.name = 'PortalNotInstalledError';
  }
}

export type TokenService = {
  /** Stores (or replaces, on reinstall) a portal's tokens from a code exchange. */
  storeInstallTokens(
    db: Executor,
    portalId: number,
    tokens: TokenResponse,
    installer: { userId: number | null; email: string | null },
  ): Promise<void>;
  /** A valid access token; with `invalidToken`, one HubSpot just refused: refresh unless someone already did. */
  getAccessToken(portalId: number, options?: { invalidToken?: string }): Promise<string>;
  /** Re-encrypts every portal's tokens under the newest key. */
  rotateKeys(): Promise<{ rotated: number; keyId: string }>;
};

export type TokenServiceDeps = {
  db: Database;
  redis: Redis;
  cipher: TokenCipher;
  oauth: HubSpotOAuth;
  producer: Producer;
  logger: Logger;
  /** Prefix of the Redis keys (the queue prefix, so one hash tag holds them). */
  keyPrefix: string;
  now?: () => number;
  /** Refresh when fewer than this many ms are left. Default 5 minutes. */
  refreshMarginMs?: number;
  /** How long a refresh may hold the lock. Default 20 s (the token call times out sooner). */
  lockTtlMs?: number;
};

const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const log = deps.logger.child({ name: 'tokens' });
  const now = deps.now ?? Date.now;
  const margin = deps.refreshMarginMs ?? 5 * 60_000;
  const lockTtl = deps.lockTtlMs ?? 20_000;
  const inFlight = new Map<number, Promise<string>>();

  type Current = { access: string; refresh: string; expiresAt: number; scopes: string[] };

  async function readCurrent(portalId: number): Promise<Current> {
    const portal = await findPortal(deps.db, portalId);
    if (!portal) throw new PortalNotInstalledError(portalId, 'is not installed');
    if (portal.status !== 'installed') throw new PortalNotInstalledError(portalId, 'is uninstalled');
    const row = await findTokens(deps.db, portalId);
    if (!row) throw new PortalNotInstalledError(portalId, 'has no tokens');
    return {
      access: deps.cipher.decrypt(row.access_token_enc, tokenAad(portalId, 'access')),
      refresh: deps.cipher.decrypt(row.refresh_token_enc, tokenAad(portalId, 'refresh')),
      expiresAt: row.access_token_expires_at.getTime(),
      scopes: row.scopes,
    };
  }

  const usable = (c: Current, invalidToken: string | undefined) =>
    c.expiresAt - now() > margin && c.access !== invalidToken;

  async function handleRevoked(portalId: number): Promise<never> {
    await markPortalUninstalled(deps.db, portalId, new Date(now()));
    const removed = await removeQueuedJobsOfPortal(deps.producer, portalId).catch(() => -1);
    log.warn(
      { portalId, removedJobs: removed },
      'HubSpot rejected the refresh token (invalid_grant): the app was uninstalled or revoked; portal marked uninstalled, its queued jobs removed',
    );
    throw new PortalNotInstalledError(portalId, 'was uninstalled (refresh token rejected)');
  }

  async function refreshLocked(portalId: number, invalidToken: string | undefined): Promise<string> {
    const lockKey = `${deps.keyPrefix}:oauth-refresh:${portalId}`;
    const deadline = now() + lockTtl + 5_000;
    for (;;) {
      const current = await readCurrent(portalId);
      if (usable(current, invalidToken)) return current.access;
      const owner = randomBytes(12).toString('hex');
      const locked = await deps.redis.set(lockKey, owner, 'PX', lockTtl, 'NX');
      if (locked === 'OK') {
        try {
          // Someone may have refreshed between our read and our lock.
          const again = await readCurrent(portalId);
          if (usable(again, invalidToken)) return again.access;
          let fresh: TokenResponse;
          try {
            fresh = await deps.oauth.refresh(again.refresh, portalId);
          } catch (err) {
            if (err instanceof HubSpotOAuthError && err.error === 'invalid_grant')
              await handleRevoked(portalId);
            throw err;
          }
          await updateRefreshedTokens(
            deps.db,
            portalId,
            {
              keyId: deps.cipher.currentKeyId,
              accessTokenEnc: deps.cipher.encrypt(fresh.access_token, tokenAad(portalId, 'access')),
              refreshTokenEnc: deps.cipher.encrypt(fresh.refresh_token, tokenAad(portalId, 'refresh')),
              accessTokenExpiresAt: new Date(now() + fresh.expires_in * 1000),
              scopes: fresh.scopes.length > 0 ? fresh.scopes : again.scopes,
            },
            new Date(now()),
          );
          log.debug({ portalId }, 'access token refreshed');
          return fresh.access_token;
        } finally {
          await deps.redis.eval(RELEASE_LOCK, 1, lockKey, owner).catch(() => undefined);
        }
      }
      // Another process is refreshing: wait for it, then read what it stored.
      if (now() > deadline)
        throw new Error(`portal ${portalId}: token refresh by another process did not finish in time`);
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 50));
    }
  }

  async function getAccessToken(portalId: number, options: { invalidToken?: string } = {}): Promise<string> {
    const pending = inFlight.get(portalId);
    if (pending) return pending;
    const current = await readCurrent(portalId);
    if (usable(current, options.invalidToken)) return current.access;
    const again = inFlight.get(portalId);
    if (again) return again;
    const promise = refreshLocked(portalId, options.invalidToken).finally(() => inFlight.delete(portalId));
    inFlight.set(portalId, promise);
    return promise;
  }

  async function storeInstallTokens(
    db: Executor,
    portalId: number,
    tokens: TokenResponse,
    installer: { userId: number | null; email: string | null },
  ): Promise<void> {
    await upsertTokens(
      db,
      portalId,
      {
        keyId: deps.cipher.currentKeyId,
        accessTokenEnc: deps.cipher.encrypt(tokens.access_token, tokenAad(portalId, 'access')),
        refreshTokenEnc: deps.cipher.encrypt(tokens.refresh_token, tokenAad(portalId, 'refresh')),
        accessTokenExpiresAt: new Date(now() + tokens.expires_in * 1000),
        scopes: tokens.scopes,
        installerUserId: installer.userId,
        installerEmail: installer.email,
      },
      new Date(now()),
    );
  }

  async function rotateKeys(): Promise<{ rotated: number; keyId: string }> {
    const keyId = deps.cipher.currentKeyId;
    let rotated = 0;
    for (;;) {
      const portals = await listPortalsWithTokensNotUnder(deps.db, keyId, 100);
      if (portals.length === 0) break;
      for (const portalId of portals) {
        await deps.db.transaction().execute(async (trx) => {
          // Row lock: a refresh committing meanwhile is re-read, not overwritten.
          const row = await trx
            .selectFrom('oauth_tokens')
            .selectAll()
            .where('portal_id', '=', portalId)
            .forUpdate()
            .executeTakeFirst();
          if (!row || row.key_id === keyId) return;
          const access = deps.cipher.decrypt(row.access_token_enc, tokenAad(portalId, 'access'));
          const refresh = deps.cipher.decrypt(row.refresh_token_enc, tokenAad(portalId, 'refresh'));
          await trx
            .updateTable('oauth_tokens')
            .set({
              key_id: keyId,
              access_token_enc: deps.cipher.encrypt(access, tokenAad(portalId, 'access')),
              refresh_token_enc: deps.cipher.encrypt(refresh, tokenAad(portalId, 'refresh')),
              updated_at: new Date(now()),
            })
            .where('portal_id', '=', portalId)
            .execute();
          rotated++;
        });
      }
    }
    log.info({ keyId, rotated }, 'token keys rotated');
    return { rotated, keyId };
  }

  return { storeInstallTokens, getAccessToken, rotateKeys };
}
