import { sql } from 'kysely';

import type { Executor } from '../../platform/db/executor';
import type { Conversion, ConversionKind, Touch } from '../models/attribution';

/**
 * Conversion paths for the attribution models, read in batches so memory stays bounded by the
 * batch size, whatever the portal's size. Conversions:
 * - contact_create: every live contact, at its createdate, over its own touches;
 * - deal_create: every live deal, at its createdate, over the touches of its live contacts;
 * - revenue: every won deal with a closedate and a home amount, at its closedate, worth that amount.
 * Lead creation uses the primary contact's createdate. Only touches at or before the conversion
 * are read. Reads `kpi_tmp_deal_base` (see createDealFactsTables): call inside the computation's
 * transaction.
 */

/** One Markov path aggregated in SQL: identical channel sequences collapse into one row. */
export interface PathCount {
  readonly path: readonly string[];
  readonly conversions: number;
  readonly value: number;
  readonly nulls: number;
}

/**
 * Converting and non-converting journeys per conversion kind, aggregated in Postgres (for the
 * Markov chains, which need every path before any conversion can be credited). Non-converting:
 * for deal_create, live contacts without any live deal (all their touches); for revenue, deals
 * closed lost (touches up to their closedate, else all). Contact creation has none: every journey
 * we see ends in a contact.
 */
export async function loadAggregatedPaths(
  db: Executor,
  portalId: number,
  kind: ConversionKind,
): Promise<PathCount[]> {
  const p = portalId;
  const order = sql`order by t.occurred_at, t.touch_id collate "C"`;
  let query;
  if (kind === 'contact_create') {
    query = sql<{ path: string[]; conversions: number; value: number; nulls: number }>`
      select path, count(*)::int as conversions, count(*)::float8 as value, 0 as nulls from (
        select array_agg(t.channel ${order}) as path
        from contacts c join touches t on t.portal_id = c.portal_id and t.contact_id = c.contact_id
          and t.occurred_at <= c.created_at
        where c.portal_id = ${p} and not c.archived and c.merged_into is null
        group by c.contact_id) x
      group by path`;
  } else {
    const converting =
      kind === 'deal_create'
        ? sql`d.created_at`
        : sql`case when d.outcome = 'won' then d.close_date else coalesce(d.close_date, 'infinity') end`;
    const population =
      kind === 'deal_create'
        ? sql`true`
        : sql`(d.outcome = 'won' and d.close_date is not null and d.amount_home is not null) or d.outcome = 'lost'`;
    const converts = kind === 'deal_create' ? sql`true` : sql`d.outcome = 'won'`;
    const value = kind === 'deal_create' ? sql`1::float8` : sql`coalesce(d.amount_home, 0)::float8`;
    const nullContacts =
      kind === 'deal_create'
        ? sql`union all
          select array_agg(t.channel ${order}), false, 0::float8
          from contacts c join touches t on t.portal_id = c.portal_id and t.contact_id = c.contact_id
          where c.portal_id = ${p} and not c.archived and c.merged_into is null
            and not exists (select 1 from deal_contacts dc join kpi_tmp_deal_base d using (deal_id)
              where dc.portal_id = ${p} and dc.contact_id = c.contact_id)
          group by c.contact_id`
        : sql``;
    query = sql<{ path: string[]; conversions: number; value: number; nulls: number }>`
      select path, count(*) filter (where converted)::int as conversions, coalesce(sum(value), 0)::float8 as value,
        count(*) filter (where not converted)::int as nulls
      from (
        select array_agg(t.channel ${order}) as path, bool_and(${converts}) as converted, min(${value}) as value
        from kpi_tmp_deal_base d
        join deal_contacts dc on dc.portal_id = ${p} and dc.deal_id = d.deal_id
        join contacts c on c.portal_id = ${p} and c.contact_id = dc.contact_id and not c.archived and c.merged_into is null
        join touches t on t.portal_id = ${p} and t.contact_id = c.contact_id and t.occurred_at <= ${converting}
        where ${population}
        group by d.deal_id
        ${nullContacts}
      ) x
      group by path`;
  }
  const result = await query.execute(db);
  return result.rows.map((r) => ({
    path: r.path,
    conversions: r.conversions,
    value: r.value,
    nulls: r.nulls,
  }));
}

interface TouchArrays {
  ids: string[] | null;
  ats: number[] | null;
  channels: string[] | null;
}

function toTouches(row: TouchArrays): Touch[] {
  if (row.ids === null || row.ats === null || row.channels === null) return [];
  return row.ids.map((id, i) => ({ id, at: row.ats![i]!, channel: row.channels![i]! }));
}

const TOUCH_ARRAYS = sql`
  array_agg(t.touch_id order by t.occurred_at, t.touch_id collate "C") filter (where t.touch_id is not null) as ids,
  array_agg((extract(epoch from t.occurred_at) * 1000)::float8 order by t.occurred_at, t.touch_id collate "C")
    filter (where t.touch_id is not null) as ats,
  array_agg(t.channel order by t.occurred_at, t.touch_id collate "C") filter (where t.touch_id is not null) as channels`;

/** Contact-creation conversions in contact id order, `batchSize` contacts per query (keyset pagination). */
export async function* streamContactConversions(
  db: Executor,
  portalId: number,
  batchSize: number,
): AsyncGenerator<Conversion[]> {
  let after = -1;
  for (;;) {
    const result = await sql<TouchArrays & { contact_id: number; created_ms: number }>`
      select c.contact_id, (extract(epoch from c.created_at) * 1000)::float8 as created_ms, ${TOUCH_ARRAYS}
      from (select contact_id, created_at from contacts
            where portal_id = ${portalId} and not archived and merged_into is null and contact_id > ${after}
            order by contact_id limit ${batchSize}) c
      left join touches t on t.portal_id = ${portalId} and t.contact_id = c.contact_id and t.occurred_at <= c.created_at
      group by c.contact_id, c.created_at
      order by c.contact_id`.execute(db);
    if (result.rows.length === 0) return;
    yield result.rows.map((r) => ({
      id: String(r.contact_id),
      kind: 'contact_create' as const,
      convertedAt: r.created_ms,
      contactCreatedAt: r.created_ms,
      touches: toTouches(r),
    }));
    after = result.rows[result.rows.length - 1]!.contact_id;
    if (result.rows.length < batchSize) return;
  }
}

/**
 * Deal-creation conversions of every live deal, and revenue conversions of won deals with a
 * closedate and a home amount, in deal id order (keyset pagination over `kpi_tmp_deal_base`).
 */
export async function* streamDealConversions(
  db: Executor,
  portalId: number,
  batchSize: number,
): AsyncGenerator<Conversion[]> {
  let after = -1;
  for (;;) {
    const result = await sql<
      TouchArrays & {
        deal_id: number;
        created_ms: number;
        close_ms: number | null;
        contact_created_ms: number | null;
        won: boolean;
        amount_home: number | null;
      }
    >`
      select d.deal_id, (extract(epoch from d.created_at) * 1000)::float8 as created_ms,
        (extract(epoch from d.close_date) * 1000)::float8 as close_ms,
        (extract(epoch from d.contact_created_at) * 1000)::float8 as contact_created_ms,
        d.outcome = 'won' as won, d.amount_home, ${TOUCH_ARRAYS}
      from (select * from kpi_tmp_deal_base where deal_id > ${after} order by deal_id limit ${batchSize}) d
      left join deal_contacts dc on dc.portal_id = ${portalId} and dc.deal_id = d.deal_id
      left join contacts c on c.portal_id = ${portalId} and c.contact_id = dc.contact_id
        and not c.archived and c.merged_into is null
      left join touches t on t.portal_id = ${portalId} and t.contact_id = c.contact_id
        and t.occurred_at <= greatest(d.created_at, case when d.outcome = 'won' then d.close_date end)
      group by d.deal_id, d.created_at, d.close_date, d.contact_created_at, d.outcome, d.amount_home
      order by d.deal_id`.execute(db);
    if (result.rows.length === 0) return;
    const conversions: Conversion[] = [];
    for (const r of result.rows) {
      const touches = toTouches(r);
      const contactCreatedAt = r.contact_created_ms ?? undefined;
      conversions.push({
        id: String(r.deal_id),
        kind: 'deal_create',
        convertedAt: r.created_ms,
        contactCreatedAt,
        dealCreatedAt: r.created_ms,
        touches,
      });
      if (r.won && r.close_ms !== null && r.amount_home !== null) {
        conversions.push({
          id: String(r.deal_id),
          kind: 'revenue',
          value: r.amount_home,
          convertedAt: r.close_ms,
          contactCreatedAt,
          dealCreatedAt: r.created_ms,
          touches,
        });
      }
    }
    yield conversions;
    after = result.rows[result.rows.length - 1]!.deal_id;
    if (result.rows.length < batchSize) return;
  }
}
