import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen in time: no imports from src/. Tables are created unqualified so that they
// land in the connection's search_path (a per-test schema, or public).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portals')
    .addColumn('portal_id', 'bigint', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('installed', 'uninstalled')`))
    .addColumn('hub_domain', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('company_currency', 'text')
    .addColumn('installed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('uninstalled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('portals_status_idx')
    .on('portals')
    .columns(['status', 'uninstalled_at'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('portals').execute();
}
