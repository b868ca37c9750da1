import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * KPI results kept per run, so that a recompute no longer deletes the previous results inside its
 * transaction (8.7–12.3 s of a 1M-contact re-run). Each result table becomes `<name>_by_run`, its
 * key extended with `run_id`, and a view under the old name shows the portal's current run only:
 * - `kpi_current_runs` holds one row per portal, the run whose results readers see. A trigger on
 *   `kpi_runs` points it at a run when that run turns `succeeded`, which the computation does in
 *   the transaction that wrote the run's rows: the new rows and the switch to them commit together,
 *   so no statement ever sees two runs' rows (or none).
 * - The computation writes into the `_by_run` tables and deletes the other runs' rows after its
 *   commit (kpi.service.ts). Until then they are there but hidden by the views.
 * - The views are simple (one table in FROM, the run test in an EXISTS), so Postgres can insert,
 *   update and delete through them, and a lookup by (portal_id, deal_id) stays one index probe of
 *   the table plus one of `kpi_current_runs`.
 * A view lists the table's columns as they were when it was created: a migration adding a column
 * to a `_by_run` table recreates its view. Frozen in time: no src/ imports.
 */

const TABLES: readonly { readonly name: string; readonly key: readonly string[] }[] = [
  {
    name: 'kpi_snapshots',
    key: ['portal_id', 'kpi', 'period_unit', 'period_start', 'pipeline_id', 'breakdown', 'breakdown_value'],
  },
  { name: 'kpi_deal_rows', key: ['portal_id', 'deal_id'] },
  { name: 'kpi_contact_rows', key: ['portal_id', 'contact_id'] },
  { name: 'kpi_credits', key: ['portal_id', 'conversion_kind', 'conversion_id'] },
  { name: 'kpi_channel_totals', key: ['portal_id', 'conversion_kind', 'model', 'channel'] },
  {
    name: 'kpi_attribution_totals',
    key: [
      'portal_id',
      'conversion_kind',
      'model',
      'period_unit',
      'period_start',
      'breakdown',
      'breakdown_value',
      'channel',
    ],
  },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kpi_current_runs')
    .addColumn('portal_id', 'bigint', (c) => c.notNull().primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .execute();
  // The latest succeeded run of each portal: the one whose rows the tables hold today (a run
  // deletes the previous results before writing its own). Rows of any other run are moved to it.
  await sql`
    insert into kpi_current_runs (portal_id, run_id)
    select portal_id, max(run_id) from kpi_runs where status = 'succeeded' group by portal_id`.execute(db);
  // Trigger functions run with the caller's search path: name the trigger's own schema.
  await sql`
    create function kpi_runs_make_current() returns trigger language plpgsql as $$
    begin
      execute format('insert into %I.kpi_current_runs (portal_id, run_id) values ($1, $2)
        on conflict (portal_id) do update set run_id = excluded.run_id', tg_table_schema)
        using new.portal_id, new.run_id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger kpi_runs_make_current_on_insert after insert on kpi_runs
    for each row when (new.status = 'succeeded') execute function kpi_runs_make_current()`.execute(db);
  await sql`
    create trigger kpi_runs_make_current_on_update after update of status on kpi_runs
    for each row when (new.status = 'succeeded' and old.status <> 'succeeded')
    execute function kpi_runs_make_current()`.execute(db);

  await sql`drop view kpi_deal_attribution`.execute(db);
  await sql`drop view kpi_credit_rows`.execute(db);
  await sql`drop index kpi_deal_rows_by_stage`.execute(db);
  for (const { name, key } of TABLES) {
    const base = `${name}_by_run`;
    await sql`alter table ${sql.table(name)} rename to ${sql.table(base)}`.execute(db);
    await sql`alter table ${sql.table(base)} drop constraint ${sql.id(`${name}_pk`)}`.execute(db);
    await sql`
      update ${sql.table(base)} r set run_id = c.run_id from kpi_current_runs c
      where c.portal_id = r.portal_id and c.run_id <> r.run_id`.execute(db);
    await sql`alter table ${sql.table(base)} add constraint ${sql.id(`${base}_pk`)}
      primary key (${sql.join([...key, 'run_id'].map((k) => sql.id(k)))})`.execute(db);
    await sql`
      create view ${sql.table(name)} as select r.* from ${sql.table(base)} r
      where exists (select 1 from kpi_current_runs c where c.portal_id = r.portal_id and c.run_id = r.run_id)`.execute(
      db,
    );
  }
  // The pipeline report reads each stage's median from this index alone (run_id for the view's test).
  await sql`create index kpi_deal_rows_by_stage on kpi_deal_rows_by_run (portal_id, pipeline_id, stage_id)
    include (stage_median_days, run_id)`.execute(db);
  await createCreditViews(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view kpi_deal_attribution`.execute(db);
  await sql`drop view kpi_credit_rows`.execute(db);
  await sql`drop index kpi_deal_rows_by_stage`.execute(db);
  for (const { name, key } of TABLES) {
    const base = `${name}_by_run`;
    await sql`drop view ${sql.table(name)}`.execute(db);
    await sql`
      delete from ${sql.table(base)} r
      where not exists (select 1 from kpi_current_runs c where c.portal_id = r.portal_id and c.run_id = r.run_id)`.execute(
      db,
    );
    await sql`alter table ${sql.table(base)} drop constraint ${sql.id(`${base}_pk`)}`.execute(db);
    await sql`alter table ${sql.table(base)} rename to ${sql.table(name)}`.execute(db);
    await sql`alter table ${sql.table(name)} add constraint ${sql.id(`${name}_pk`)}
      primary key (${sql.join(key.map((k) => sql.id(k)))})`.execute(db);
  }
  await sql`create index kpi_deal_rows_by_stage on kpi_deal_rows (portal_id, pipeline_id, stage_id)
    include (stage_median_days)`.execute(db);
  await createCreditViews(db);
  await sql`drop trigger kpi_runs_make_current_on_update on kpi_runs`.execute(db);
  await sql`drop trigger kpi_runs_make_current_on_insert on kpi_runs`.execute(db);
  await sql`drop function kpi_runs_make_current()`.execute(db);
  await db.schema.dropTable('kpi_current_runs').execute();
}

/** The views over kpi_credits as 20261130T060505Z defined them (over the view `kpi_credits` now). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function createCreditViews(db: Kysely<any>): Promise<void> {
  // credits[m][i], models in this order: first_touch, last_touch, linear, u_shaped, w_shaped,
  // full_path, time_decay, j_shaped, inverse_j, markov, shapley.
  await sql`
    create view kpi_credit_rows as
    select k.portal_id, k.conversion_kind, k.conversion_id, u.touch_id, u.channel, k.converted_at, k.value,
      k.credits[1][u.i] as first_touch, k.credits[2][u.i] as last_touch, k.credits[3][u.i] as linear,
      k.credits[4][u.i] as u_shaped, k.credits[5][u.i] as w_shaped, k.credits[6][u.i] as full_path,
      k.credits[7][u.i] as time_decay, k.credits[8][u.i] as j_shaped, k.credits[9][u.i] as inverse_j,
      k.credits[10][u.i] as markov, k.credits[11][u.i] as shapley, k.run_id
    from kpi_credits k
    cross join lateral unnest(k.touch_ids, k.channels) with ordinality as u(touch_id, channel, i)`.execute(
    db,
  );
  await sql`
    create view kpi_deal_attribution as
    select r.portal_id, r.conversion_id as deal_id, r.conversion_kind, r.value, m.model, r.channel,
      sum(m.credit) as credit
    from kpi_credit_rows r
    cross join lateral (values ('first_touch', r.first_touch), ('last_touch', r.last_touch), ('linear', r.linear),
      ('u_shaped', r.u_shaped), ('w_shaped', r.w_shaped), ('full_path', r.full_path), ('time_decay', r.time_decay),
      ('j_shaped', r.j_shaped), ('inverse_j', r.inverse_j), ('markov', r.markov), ('shapley', r.shapley)) as m(model, credit)
    where r.conversion_kind = 'revenue'
      or (r.conversion_kind = 'deal_create' and not exists (select 1 from kpi_credits v
        where v.portal_id = r.portal_id and v.conversion_kind = 'revenue' and v.conversion_id = r.conversion_id))
    group by r.portal_id, r.conversion_id, r.conversion_kind, r.value, m.model, r.channel`.execute(db);
}
