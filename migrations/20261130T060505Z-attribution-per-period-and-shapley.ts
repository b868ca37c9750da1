import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Attribution per period, and the Shapley model.
 * - `kpi_attribution_totals`: channel credits per conversion kind × model × period × breakdown, the
 *   conversions placed in periods by their own moment (contact created, deal created, deal won), with
 *   the same periods (week, month, quarter, trailing_90d in the portal's time zone) and breakdowns
 *   (all, source, pipeline, owner) as `kpi_snapshots`. `kpi_channel_totals` keeps the all-time totals.
 * - `kpi_credits.credits` gains an eleventh model row, `shapley`; the views unpack it.
 * Results are recomputed from the mirror on every run, so no data is moved.
 * Frozen in time: no src/ imports (the model order below is spelled out).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kpi_attribution_totals')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    // contact_create | deal_create | revenue
    .addColumn('conversion_kind', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    // week | month | quarter | trailing_90d
    .addColumn('period_unit', 'text', (c) => c.notNull())
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('period_end', 'timestamptz', (c) => c.notNull())
    .addColumn('period_label', 'text', (c) => c.notNull())
    // all | source | pipeline | owner (contact creation: all | source | owner, the contact's own)
    .addColumn('breakdown', 'text', (c) => c.notNull())
    .addColumn('breakdown_value', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    // Σ credits of the period's conversions to the channel: a count, or money to the cent (revenue).
    .addColumn('credit', 'double precision', (c) => c.notNull())
    // Conversions of the period with at least one counted touch on the channel.
    .addColumn('conversions', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_attribution_totals_pk', [
      'portal_id',
      'conversion_kind',
      'model',
      'period_unit',
      'period_start',
      'breakdown',
      'breakdown_value',
      'channel',
    ])
    .execute();

  await sql`drop view kpi_deal_attribution`.execute(db);
  await sql`drop view kpi_credit_rows`.execute(db);
  await createViews(db, true);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view kpi_deal_attribution`.execute(db);
  await sql`drop view kpi_credit_rows`.execute(db);
  await createViews(db, false);
  await db.schema.dropTable('kpi_attribution_totals').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function createViews(db: Kysely<any>, shapley: boolean): Promise<void> {
  // credits[m][i], models in this order: first_touch, last_touch, linear, u_shaped, w_shaped,
  // full_path, time_decay, j_shaped, inverse_j, markov, shapley.
  await sql`
    create view kpi_credit_rows as
    select k.portal_id, k.conversion_kind, k.conversion_id, u.touch_id, u.channel, k.converted_at, k.value,
      k.credits[1][u.i] as first_touch, k.credits[2][u.i] as last_touch, k.credits[3][u.i] as linear,
      k.credits[4][u.i] as u_shaped, k.credits[5][u.i] as w_shaped, k.credits[6][u.i] as full_path,
      k.credits[7][u.i] as time_decay, k.credits[8][u.i] as j_shaped, k.credits[9][u.i] as inverse_j,
      k.credits[10][u.i] as markov, ${shapley ? sql`k.credits[11][u.i] as shapley,` : sql``} k.run_id
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
      ('j_shaped', r.j_shaped), ('inverse_j', r.inverse_j), ('markov', r.markov)
      ${shapley ? sql`, ('shapley', r.shapley)` : sql``}) as m(model, credit)
    where r.conversion_kind = 'revenue'
      or (r.conversion_kind = 'deal_create' and not exists (select 1 from kpi_credits v
        where v.portal_id = r.portal_id and v.conversion_kind = 'revenue' and v.conversion_id = r.conversion_id))
    group by r.portal_id, r.conversion_id, r.conversion_kind, r.value, m.model, r.channel`.execute(db);
}
