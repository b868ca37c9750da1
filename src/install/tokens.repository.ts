import type { Executor } from '../db';
import type { OAuthTokenRow } from './install.tables';

/** Encrypted token rows. Callers encrypt and decrypt (token-store.ts); this only moves ciphertexts. */
export type EncryptedTokens = {
  keyId: string;
  accessTokenEnc: string;
  refreshTokenEnc: string;
  accessTokenExpiresAt: Date;
  scopes: readonly string[];
  installerUserId: number | null;
  installerEmail: string | null;
};

export async function upsertTokens(
  db: Executor,
  portalId: number,
  tokens: EncryptedTokens,
  now: Date,
): Promise<void> {
  const values = {
    key_id: tokens.keyId,
    access_token_enc: tokens.accessTokenEnc,
    refresh_token_enc: tokens.refreshTokenEnc,
    access_token_expires_at: tokens.accessTokenExpiresAt,
    scopes: [...tokens.scopes],
    installer_user_id: tokens.installerUserId,
    installer_email: tokens.installerEmail,
    refreshed_at: now,
  };
  await db
    .insertInto('oauth_tokens')
    .values({ portal_id: portalId, ...values })
    .onConflict((oc) => oc.column('portal_id').doUpdateSet({ ...values, updated_at: now }))
    .execute();
}

export async function findTokens(db: Executor, portalId: number): Promise<OAuthTokenRow | undefined> {
  return db.selectFrom('oauth_tokens').selectAll().where('portal_id', '=', portalId).executeTakeFirst();
}

/** After a refresh: the new access token (and refresh token, should HubSpot rotate it). */
export async function updateRefreshedTokens(
  db: Executor,
  portalId: number,
  update: {
    keyId: string;
    accessTokenEnc: string;
    refreshTokenEnc: string;
    accessTokenExpiresAt: Date;
    scopes: readonly string[];
  },
  now: Date,
): Promise<void> {
  await db
    .updateTable('oauth_tokens')
    .set({
      key_id: update.keyId,
      access_token_enc: update.accessTokenEnc,
      refresh_token_enc: update.refreshTokenEnc,
      access_token_expires_at: update.accessTokenExpiresAt,
      scopes: [...update.scopes],
      refreshed_at: now,
      updated_at: now,
    })
    .where('portal_id', '=', portalId)
    .execute();
}

export async function deleteTokens(db: Executor, portalId: number): Promise<void> {
  await db.deleteFrom('oauth_tokens').where('portal_id', '=', portalId).execute();
}

/** Portals whose tokens are still under a key other than `keyId` (for rotation). */
export async function listPortalsWithTokensNotUnder(
  db: Executor,
  keyId: string,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('oauth_tokens')
    .select('portal_id')
    .where('key_id', '<>', keyId)
    .orderBy('portal_id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.portal_id);
}
