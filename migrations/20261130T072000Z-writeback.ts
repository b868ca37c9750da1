import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Write-back of KPIs into HubSpot properties (src/writeback). Frozen in time: no src/ imports.
 * - writeback_settings: per portal, what is written (absent row = the defaults, everything on).
 * - writeback_last_written: per record, the canonical values HubSpot accepted last (one jsonb map
 *   property → value, rather than a row per property: 1.5 M rows for a 100k-contact portal would cost
 *   more to scan than the maps), plus the values of a refused attempt, so an unchanged re-run sends
 *   nothing and a refused record is retried only once its values change. Doubles as the per-batch
 *   checkpoint: a batch's rows are committed as soon as HubSpot accepts it.
 * - writeback_runs: one row per write-back of a portal, for status and resumption.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('writeback_settings')
    .addColumn('portal_id', 'bigint', (c) => c.notNull().primaryKey())
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('writeback_last_written')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull().check(sql`object_type in ('deals', 'contacts')`))
    .addColumn('record_id', 'bigint', (c) => c.notNull())
    .addColumn('written', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('written_at', 'timestamptz')
    // A refused attempt: its values, and HubSpot's reason (e.g. VALIDATION_ERROR, OBJECT_NOT_FOUND).
    .addColumn('failed', 'jsonb')
    .addColumn('failure_reason', 'text')
    .addColumn('failure_message', 'text')
    .addColumn('failed_at', 'timestamptz')
    .addPrimaryKeyConstraint('writeback_last_written_pk', ['portal_id', 'object_type', 'record_id'])
    .execute();

  await db.schema
    .createTable('writeback_runs')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('run_id', 'bigserial', (c) => c.notNull())
    .addColumn('kpi_run_id', 'bigint')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('running', 'succeeded', 'failed', 'stopped')`),
    )
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    // {"deals": <last record id done>, "contacts": …}: where a resumed run carries on.
    .addColumn('cursor', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('records_written', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('writeback_runs_pk', ['portal_id', 'run_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('writeback_runs').execute();
  await db.schema.dropTable('writeback_last_written').execute();
  await db.schema.dropTable('writeback_settings').execute();
}
