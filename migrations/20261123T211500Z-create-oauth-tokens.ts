import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen in time: no imports from src/. One row per installed portal: its OAuth tokens,
// encrypted (AES-256-GCM; each ciphertext names the key that made it), never plain text.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_tokens')
    .addColumn('portal_id', 'bigint', (c) =>
      c.primaryKey().references('portals.portal_id').onDelete('cascade'),
    )
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('access_token_enc', 'text', (c) => c.notNull())
    .addColumn('refresh_token_enc', 'text', (c) => c.notNull())
    .addColumn('access_token_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('installer_user_id', 'bigint')
    .addColumn('installer_email', 'text')
    .addColumn('refreshed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Rotation looks for rows still under an old key.
  await db.schema.createIndex('oauth_tokens_key_id_idx').on('oauth_tokens').column('key_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_tokens').execute();
}
