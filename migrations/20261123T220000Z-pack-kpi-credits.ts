import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Attribution credits packed one row per conversion instead of one row per conversion × touch.
 * The same numbers (every touch's credit under every model), in a fifth of the rows: a portal of a
 * million contacts has some 6 million conversion × touch pairs, too many to write (and index) in
 * the KPI computation's time budget. `kpi_credit_rows` unpacks them into the former shape.
 * The deal card's attribution (channel credits per model) is read from the same rows through the
 * view `kpi_deal_attribution` instead of a JSON copy per deal in kpi_deal_rows (1.4 kB per deal,
 * written again on every run).
 * Results are recomputed from the mirror on every run, so the old rows are dropped, not moved.
 * Frozen in time: no src/ imports (the model order below is spelled out).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('kpi_credits').execute();
  await db.schema
    .createTable('kpi_credits')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('conversion_kind', 'text', (c) => c.notNull())
    .addColumn('conversion_id', 'bigint', (c) => c.notNull())
    .addColumn('converted_at', 'timestamptz', (c) => c.notNull())
    // What the conversion distributes: 1 for a count, the amount (rounded to the cent) for revenue.
    .addColumn('value', 'double precision', (c) => c.notNull())
    // The counted touches in time-then-id order; [''] with channel ['(no touch)'] when none counts.
    .addColumn('touch_ids', sql`text[]`, (c) => c.notNull())
    .addColumn('channels', sql`text[]`, (c) => c.notNull())
    // credits[m][i]: credit of touch i under model m, models in this order: first_touch,
    // last_touch, linear, u_shaped, w_shaped, full_path, time_decay, j_shaped, inverse_j, markov.
    .addColumn('credits', sql`double precision[]`, (c) => c.notNull())
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_credits_pk', ['portal_id', 'conversion_kind', 'conversion_id'])
    .execute();
  await sql`
    create view kpi_credit_rows as
    select k.portal_id, k.conversion_kind, k.conversion_id, u.touch_id, u.channel, k.converted_at, k.value,
      k.credits[1][u.i] as first_touch, k.credits[2][u.i] as last_touch, k.credits[3][u.i] as linear,
      k.credits[4][u.i] as u_shaped, k.credits[5][u.i] as w_shaped, k.credits[6][u.i] as full_path,
      k.credits[7][u.i] as time_decay, k.credits[8][u.i] as j_shaped, k.credits[9][u.i] as inverse_j,
      k.credits[10][u.i] as markov, k.run_id
    from kpi_credits k
    cross join lateral unnest(k.touch_ids, k.channels) with ordinality as u(touch_id, channel, i)`.execute(
    db,
  );
  // A deal's attribution: its revenue conversion when it has one, else its deal creation.
  await sql`
    create view kpi_deal_attribution as
    select r.portal_id, r.conversion_id as deal_id, r.conversion_kind, r.value, m.model, r.channel,
      sum(m.credit) as credit
    from kpi_credit_rows r
    cross join lateral (values ('first_touch', r.first_touch), ('last_touch', r.last_touch), ('linear', r.linear),
      ('u_shaped', r.u_shaped), ('w_shaped', r.w_shaped), ('full_path', r.full_path), ('time_decay', r.time_decay),
      ('j_shaped', r.j_shaped), ('inverse_j', r.inverse_j), ('markov', r.markov)) as m(model, credit)
    where r.conversion_kind = 'revenue'
      or (r.conversion_kind = 'deal_create' and not exists (select 1 from kpi_credits v
        where v.portal_id = r.portal_id and v.conversion_kind = 'revenue' and v.conversion_id = r.conversion_id))
    group by r.portal_id, r.conversion_id, r.conversion_kind, r.value, m.model, r.channel`.execute(db);
  await db.schema.alterTable('kpi_deal_rows').dropColumn('attribution').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('kpi_deal_rows').addColumn('attribution', 'jsonb').execute();
  await sql`drop view kpi_deal_attribution`.execute(db);
  await sql`drop view kpi_credit_rows`.execute(db);
  await db.schema.dropTable('kpi_credits').execute();
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
}
