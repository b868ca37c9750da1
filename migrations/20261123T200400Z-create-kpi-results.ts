import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * What the KPI computation stores. Every key starts with portal_id. A computation replaces a
 * portal's rows in one transaction (delete + insert), so readers see either the previous run or
 * the new one, never a mix; `run_id` on each row names the run that wrote it.
 * Frozen in time: no src/ imports.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kpi_runs')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('run_id', 'bigserial', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('as_of', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    // Rows read and written per stage, e.g. {"conversions": 1200000, "credits": 5100000}.
    .addColumn('counts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // Wall milliseconds per stage, in the order they ran.
    .addColumn('timings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('kpi_runs_pk', ['portal_id', 'run_id'])
    .execute();

  // One figure per portal × KPI × period × pipeline × breakdown. `inputs` holds the counts and sums
  // it was computed from; docs/kpis.md gives the query that lists its records.
  await db.schema
    .createTable('kpi_snapshots')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('kpi', 'text', (c) => c.notNull())
    // week | month | quarter | trailing_90d | now
    .addColumn('period_unit', 'text', (c) => c.notNull())
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('period_end', 'timestamptz', (c) => c.notNull())
    .addColumn('period_label', 'text', (c) => c.notNull())
    // '' when the KPI is not per pipeline.
    .addColumn('pipeline_id', 'text', (c) => c.notNull().defaultTo(''))
    // all | owner | source | pipeline | stage | channel
    .addColumn('breakdown', 'text', (c) => c.notNull())
    .addColumn('breakdown_value', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('value', 'numeric')
    // Why the value is unknown (null); null when it is known.
    .addColumn('reason', 'text')
    .addColumn('inputs', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_snapshots_pk', [
      'portal_id',
      'kpi',
      'period_unit',
      'period_start',
      'pipeline_id',
      'breakdown',
      'breakdown_value',
    ])
    .execute();

  // What the deal card and the write-back show for one deal.
  await db.schema
    .createTable('kpi_deal_rows')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('deal_id', 'bigint', (c) => c.notNull())
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('stage_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('amount_home', 'numeric')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('close_date', 'timestamptz')
    .addColumn('age_days', 'double precision', (c) => c.notNull())
    .addColumn('days_to_close', 'double precision')
    .addColumn('days_in_stage', 'double precision')
    .addColumn('stage_median_days', 'double precision')
    // The deal's pipeline over the trailing 90 days (the same figures as kpi_snapshots).
    .addColumn('pipeline_velocity', 'numeric')
    .addColumn('pipeline_qualified', 'numeric')
    .addColumn('pipeline_win_rate', 'numeric')
    .addColumn('pipeline_avg_won_size', 'numeric')
    .addColumn('pipeline_cycle_days', 'numeric')
    // {"kind": "revenue"|"deal_create", "value": n, "models": {model: {channel: credit}}}
    .addColumn('attribution', 'jsonb')
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_deal_rows_pk', ['portal_id', 'deal_id'])
    .execute();

  // What the contact card and the write-back show for one contact.
  await db.schema
    .createTable('kpi_contact_rows')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('customer_since', 'timestamptz')
    .addColumn('first_won_deal_id', 'bigint')
    .addColumn('days_to_deal', 'double precision')
    .addColumn('won_deals', 'integer', (c) => c.notNull())
    .addColumn('won_revenue', 'numeric')
    .addColumn('open_deals', 'integer', (c) => c.notNull())
    .addColumn('open_amount', 'numeric')
    .addColumn('touches', 'integer', (c) => c.notNull())
    .addColumn('first_touch_channel', 'text')
    .addColumn('last_touch_channel', 'text')
    .addColumn('minutes_to_first_activity', 'double precision')
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_contact_rows_pk', ['portal_id', 'contact_id'])
    .execute();

  // Credits per conversion × touch, one column per model (the ten models of the spec): a row per
  // model would multiply the largest table by ten for no extra information.
  // touch_id '' with channel '(no touch)' is the single row of a conversion without touches.
  await db.schema
    .createTable('kpi_credits')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('conversion_kind', 'text', (c) => c.notNull())
    .addColumn('conversion_id', 'bigint', (c) => c.notNull())
    .addColumn('touch_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('touch_at', 'timestamptz')
    .addColumn('converted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('first_touch', 'double precision', (c) => c.notNull())
    .addColumn('last_touch', 'double precision', (c) => c.notNull())
    .addColumn('linear', 'double precision', (c) => c.notNull())
    .addColumn('u_shaped', 'double precision', (c) => c.notNull())
    .addColumn('w_shaped', 'double precision', (c) => c.notNull())
    .addColumn('full_path', 'double precision', (c) => c.notNull())
    .addColumn('time_decay', 'double precision', (c) => c.notNull())
    .addColumn('j_shaped', 'double precision', (c) => c.notNull())
    .addColumn('inverse_j', 'double precision', (c) => c.notNull())
    .addColumn('markov', 'double precision', (c) => c.notNull())
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_credits_pk', ['portal_id', 'conversion_kind', 'conversion_id', 'touch_id'])
    .execute();

  // Channel totals per conversion kind and model (the "top channels"), with Markov removal effects.
  await db.schema
    .createTable('kpi_channel_totals')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('conversion_kind', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('credit', 'double precision', (c) => c.notNull())
    .addColumn('conversions', 'integer', (c) => c.notNull())
    .addColumn('removal_effect', 'double precision')
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_channel_totals_pk', ['portal_id', 'conversion_kind', 'model', 'channel'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'kpi_channel_totals',
    'kpi_credits',
    'kpi_contact_rows',
    'kpi_deal_rows',
    'kpi_snapshots',
    'kpi_runs',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
