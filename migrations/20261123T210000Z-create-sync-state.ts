import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Sync bookkeeping, per portal and stream: the paging cursor checkpointed after every
 * page (so a killed worker resumes where it stopped), progress and the last error, read
 * by the admin endpoint and `kpi-bridge status`. Frozen in time: no src/ imports.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sync_state')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    // e.g. contacts#0 (a segment of the full sync), meetings, catchup:contacts
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('idle')
        .check(sql`status in ('idle', 'running', 'done', 'failed')`),
    )
    // Opaque to the database: the next page's `after`, or a catch-up watermark.
    .addColumn('cursor', 'text')
    .addColumn('run_id', 'text')
    .addColumn('records_synced', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sync_state_pk', ['portal_id', 'stream'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sync_state').execute();
}
