import type { ColumnType, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/**
 * A portal's OAuth tokens, encrypted by the token vault. `key_id` is the key both
 * ciphertexts were made with (each ciphertext also names it), so rotation finds the
 * rows still under an old key.
 */
export interface OAuthTokenTable {
  portal_id: number;
  key_id: string;
  access_token_enc: string;
  refresh_token_enc: string;
  access_token_expires_at: Timestamp;
  scopes: string[];
  installer_user_id: number | null;
  installer_email: string | null;
  refreshed_at: Timestamp;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type OAuthTokenRow = Selectable<OAuthTokenTable>;

export type PortalStatus = 'installed' | 'uninstalled';

/** Tenants: one row per HubSpot account that installed the app. */
export interface PortalTable {
  portal_id: number;
  status: PortalStatus;
  hub_domain: string | null;
  time_zone: string | null;
  company_currency: string | null;
  installed_at: Timestamp;
  uninstalled_at: Timestamp | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type PortalRow = Selectable<PortalTable>;

export interface InstallTables {
  portals: PortalTable;
  oauth_tokens: OAuthTokenTable;
}
