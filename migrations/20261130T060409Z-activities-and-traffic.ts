import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Sales activities (calls and emails; meetings keep their own tables) and web traffic inputs.
 * - `activities` had one row per activity and contact and nothing ever wrote it, so it is
 *   recreated in the shape of the other mirrored objects: one row per call or email (ids are
 *   unique per object type only, so the kind is part of the key), the contacts in
 *   `activity_contacts`.
 * - `branded_search_daily`: the uploaded branded search series (HubSpot does not know it).
 * - `analytics_access`: whether the portal's subscription serves the analytics sources report,
 *   recorded once (a 403 is an answer, not an error to retry), and how far traffic is loaded.
 * Frozen in time: no src/ imports.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('activities').execute();
  await db.schema
    .createTable('activities')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('activity_id', 'bigint', (c) => c.notNull())
    // hs_timestamp: when the call or email happened (null when HubSpot has none).
    .addColumn('occurred_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('email_direction', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('activities_pk', ['portal_id', 'kind', 'activity_id'])
    .execute();
  await db.schema
    .createTable('activity_contacts')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('activity_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('activity_contacts_pk', ['portal_id', 'kind', 'activity_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('activity_contacts_contact_idx')
    .on('activity_contacts')
    .columns(['portal_id', 'contact_id'])
    .execute();

  await db.schema
    .createTable('branded_search_daily')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('searches', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('branded_search_daily_pk', ['portal_id', 'day'])
    .execute();

  await db.schema
    .createTable('analytics_access')
    .addColumn('portal_id', 'bigint', (c) => c.notNull().primaryKey())
    // 'available' or 'unavailable' (HubSpot answered 403: the subscription does not include it).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
    // Last day loaded from the report; the next load starts a few days before it.
    .addColumn('loaded_through', 'date')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('analytics_access').execute();
  await db.schema.dropTable('branded_search_daily').execute();
  await db.schema.dropTable('activity_contacts').execute();
  await db.schema.dropTable('activities').execute();
  await db.schema
    .createTable('activities')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('activity_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('activities_pk', ['portal_id', 'activity_id'])
    .execute();
  await db.schema
    .createIndex('activities_contact_idx')
    .on('activities')
    .columns(['portal_id', 'contact_id', 'occurred_at'])
    .execute();
}
