import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import { z } from 'zod';

import type { Executor } from '../db';
import { lifecycleEntriesCte, readLifecycleOrder } from '../kpi';
import { CREDIT_MODELS, findLatestRun, NO_OWNER } from './report-data';

/**
 * Drill-down: the records behind a figure, re-derived from the KPI run's per-record rows with the
 * figure's own rule and period bounds (docs/kpis.md "Tracing a stored figure back to records").
 * Lists are streamed from a cursor, never held whole in memory.
 */

export const DRILL_KINDS = [
  'qualified',
  'won',
  'closed',
  'contacts',
  'customers',
  'open',
  'meetings',
  'first_deal',
  'stage',
  'visits',
  'credits',
  'lifecycle_cohort',
  'lifecycle_converted',
  'velocity',
  'open_at',
  'stage_stays',
  'leads',
  'leads_answered',
] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/** A figure's address, carried in the drill-down link's query string. */
export const drillSchema = z
  .object({
    kind: z.enum(DRILL_KINDS),
    start: isoDate.optional(),
    end: isoDate.optional(),
    pipeline: z.string().max(100).optional(),
    /** An owner filter beside the breakdown (attribution per owner). */
    owner: z.string().max(100).optional(),
    by: z.enum(['source', 'owner', 'pipeline', 'stage', 'channel']).optional(),
    value: z.string().max(200).optional(),
    conv: z.enum(['revenue', 'deal_create', 'contact_create']).optional(),
    model: z.enum(CREDIT_MODELS).optional(),
    label: z.string().max(300).optional(),
  })
  .strict()
  .refine((d) => (d.start === undefined) === (d.end === undefined), 'start and end go together');
export type DrillRef = z.input<typeof drillSchema>;
export type Drill = z.output<typeof drillSchema>;

export function drillQuery(ref: DrillRef): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(ref)) if (v !== undefined) params.set(k, String(v));
  return params.toString();
}

export type ColumnKind = 'id' | 'text' | 'money' | 'number' | 'date';
export interface RecordColumn {
  readonly key: string;
  readonly label: string;
  readonly kind: ColumnKind;
}

/** HubSpot object type ids for record links. */
const OBJECT_TYPE = { contact: '0-1', deal: '0-3', meeting: '0-47' } as const;
export type RecordObject = keyof typeof OBJECT_TYPE | null;

export function hubspotRecordUrl(portalId: number, object: keyof typeof OBJECT_TYPE, id: number | string) {
  return `https://app.hubspot.com/contacts/${portalId}/record/${OBJECT_TYPE[object]}/${encodeURIComponent(String(id))}`;
}

export interface RecordList {
  readonly title: string;
  readonly object: RecordObject;
  readonly columns: readonly RecordColumn[];
  /** Streams rows (objects keyed by column key; `id` first). */
  stream(): AsyncIterable<Record<string, unknown>>;
}

const DEAL_COLUMNS: RecordColumn[] = [
  { key: 'id', label: 'Deal', kind: 'id' },
  { key: 'name', label: 'Name', kind: 'text' },
  { key: 'pipeline', label: 'Pipeline', kind: 'text' },
  { key: 'stage', label: 'Stage', kind: 'text' },
  { key: 'outcome', label: 'Outcome', kind: 'text' },
  { key: 'source', label: 'Source', kind: 'text' },
  { key: 'owner', label: 'Owner', kind: 'text' },
  { key: 'amount', label: 'Amount (home currency)', kind: 'money' },
  { key: 'created', label: 'Created', kind: 'date' },
  { key: 'closed', label: 'Close date', kind: 'date' },
  { key: 'days_to_close', label: 'Days to close', kind: 'number' },
];

const CONTACT_COLUMNS: RecordColumn[] = [
  { key: 'id', label: 'Contact', kind: 'id' },
  { key: 'email', label: 'Email', kind: 'text' },
  { key: 'source', label: 'Original source', kind: 'text' },
  { key: 'stage', label: 'Lifecycle stage', kind: 'text' },
  { key: 'created', label: 'Created', kind: 'date' },
  { key: 'customer_since', label: 'Customer since', kind: 'date' },
  { key: 'days_to_deal', label: 'Days to deal', kind: 'number' },
  { key: 'minutes_to_first_activity', label: 'Minutes to first sales activity', kind: 'number' },
];

const CHUNK = 2_000;

function ownerFilter(column: RawBuilder<unknown>, owner: string): RawBuilder<unknown> {
  return owner === NO_OWNER ? sql`${column} is null` : sql`${column} = ${owner}`;
}

function periodFilter(column: RawBuilder<unknown>, d: Drill): RawBuilder<unknown> {
  return d.start && d.end ? sql`and ${column} >= ${d.start} and ${column} < ${d.end}` : sql``;
}

function dealList(db: Executor, portalId: number, d: Drill, title: string, where: RawBuilder<unknown>) {
  const pipeline = d.pipeline ? sql`and r.pipeline_id = ${d.pipeline}` : sql``;
  const breakdown =
    d.by === 'source' && d.value !== undefined
      ? sql`and r.source = ${d.value}`
      : d.by === 'owner' && d.value !== undefined
        ? sql`and ${ownerFilter(sql.ref('r.owner_id'), d.value)}`
        : d.by === 'pipeline' && d.value !== undefined
          ? sql`and r.pipeline_id = ${d.value}`
          : sql``;
  const query = sql<Record<string, unknown>>`
    select r.deal_id as id, dl.name, coalesce(p.label, r.pipeline_id) as pipeline, coalesce(s.label, r.stage_id) as stage,
      r.outcome, r.source, coalesce(r.owner_id, ${NO_OWNER}) as owner, r.amount_home as amount,
      r.created_at as created, r.close_date as closed, r.days_to_close
    from kpi_deal_rows r
    left join deals dl on dl.portal_id = r.portal_id and dl.deal_id = r.deal_id
    left join pipelines p on p.portal_id = r.portal_id and p.pipeline_id = r.pipeline_id
    left join pipeline_stages s on s.portal_id = r.portal_id and s.pipeline_id = r.pipeline_id and s.stage_id = r.stage_id
    where r.portal_id = ${portalId} ${where} ${pipeline} ${breakdown}
    order by r.deal_id`;
  return list(db, title, 'deal', DEAL_COLUMNS, query);
}

function contactList(db: Executor, portalId: number, d: Drill, title: string, where: RawBuilder<unknown>) {
  const breakdown =
    d.by === 'source' && d.value !== undefined
      ? sql`and r.source = ${d.value}`
      : d.by === 'owner' && d.value !== undefined
        ? sql`and ${ownerFilter(sql.ref('c.owner_id'), d.value)}`
        : sql``;
  const query = sql<Record<string, unknown>>`
    select r.contact_id as id, c.email, r.source, r.lifecycle_stage as stage, r.created_at as created,
      r.customer_since, r.days_to_deal, r.minutes_to_first_activity
    from kpi_contact_rows r
    join contacts c on c.portal_id = r.portal_id and c.contact_id = r.contact_id
    where r.portal_id = ${portalId} ${where} ${breakdown}
    order by r.contact_id`;
  return list(db, title, 'contact', CONTACT_COLUMNS, query);
}

/**
 * Deals that entered the pipeline's qualified stage in the period, by the rule of the velocity
 * snapshot (src/kpi/queries/snapshot-queries.ts): the first history entry into the qualified
 * stage or a stage that implies it (a later open stage, a won stage; a lost stage only when it is
 * the qualified stage), else, for a deal without history, its creation when its current stage
 * implies it.
 */
function qualifiedFilter(portalId: number, d: Drill): RawBuilder<unknown> {
  const pipeline = d.pipeline ?? '';
  return sql`and r.deal_id in (
    with ordered_stages as (
      select s.stage_id, s.is_closed, s.is_won,
        case when not s.is_closed then
          row_number() over (partition by s.is_closed order by s.display_order, s.stage_id collate "C") end as open_rank
      from pipeline_stages s where s.portal_id = ${portalId} and s.pipeline_id = ${pipeline}
    ),
    q_meta as (
      select qs.stage_id as q_stage, qs.is_closed as q_closed, qs.open_rank as q_rank
      from pipelines pl
      left join ordered_stages first_open on first_open.open_rank = 1
      join ordered_stages qs on qs.stage_id = coalesce(pl.qualified_stage_id, first_open.stage_id)
      where pl.portal_id = ${portalId} and pl.pipeline_id = ${pipeline}
    ),
    implying as (
      select o.stage_id from ordered_stages o cross join q_meta m
      where (not o.is_closed and not m.q_closed and o.open_rank >= m.q_rank)
         or (o.is_won and (not m.q_closed or o.stage_id = m.q_stage))
         or (o.is_closed and not o.is_won and o.stage_id = m.q_stage)
    ),
    entries as (
      select h.deal_id, min(h.changed_at) as entered_at
      from deal_stage_history h join implying i on i.stage_id = h.stage_id
      where h.portal_id = ${portalId}
      group by h.deal_id
      union all
      select x.deal_id, x.created_at from kpi_deal_rows x join implying i on i.stage_id = x.stage_id
      where x.portal_id = ${portalId}
        and not exists (select 1 from deal_stage_history h where h.portal_id = ${portalId} and h.deal_id = x.deal_id)
    )
    select e.deal_id from entries e where true ${periodFilter(sql.ref('e.entered_at'), d)}
  )`;
}

const LIFECYCLE_COLUMNS: RecordColumn[] = [
  { key: 'id', label: 'Contact', kind: 'id' },
  { key: 'email', label: 'Email', kind: 'text' },
  { key: 'source', label: 'Original source', kind: 'text' },
  { key: 'stage', label: 'Lifecycle stage', kind: 'text' },
  { key: 'entered_from', label: 'Entered stage', kind: 'date' },
  { key: 'entered_to', label: 'Entered next stage', kind: 'date' },
  { key: 'days_between', label: 'Days between', kind: 'number' },
];

/**
 * Contacts that entered lifecycle stage `d.value` in the period (the cohort of its conversion
 * rate), or only those of them that went on to the next stage of the order (the median's
 * sample), re-derived from history with the KPI run's rule (`lifecycleEntriesCte`) at the run's
 * "now". Only contacts with a history event (or, without history, a creation) in the period at
 * the stage or a later one can have entered it then: that narrows the contacts first.
 */
function lifecycleList(
  db: Executor,
  portalId: number,
  d: Drill,
  title: string,
  convertedOnly: boolean,
): RecordList {
  return {
    title,
    object: 'contact',
    columns: LIFECYCLE_COLUMNS,
    async *stream() {
      const [order, run] = await Promise.all([readLifecycleOrder(db, portalId), findLatestRun(db, portalId)]);
      const rank = order.indexOf(d.value ?? '') + 1;
      if (run === undefined || rank === 0 || rank >= order.length) return;
      const later = order.slice(rank - 1);
      const inPeriod = (column: RawBuilder<unknown>) =>
        d.start && d.end ? sql`${column} >= ${d.start} and ${column} < ${d.end}` : sql`true`;
      const contacts = sql`
        select r.contact_id, r.created_at, r.lifecycle_stage from kpi_contact_rows r
        where r.portal_id = ${portalId} and (
          exists (select 1 from contact_lifecycle_history h where h.portal_id = r.portal_id
            and h.contact_id = r.contact_id and h.stage = any(${later}::text[]) and ${inPeriod(sql.ref('h.changed_at'))})
          or (r.lifecycle_stage = any(${later}::text[]) and ${inPeriod(sql.ref('r.created_at'))}))`;
      const query = sql<Record<string, unknown>>`
        with ${lifecycleEntriesCte({ portalId, order, asOf: run.asOf, contacts })}
        select e.contact_id as id, c.email, r.source, r.lifecycle_stage as stage, e.from_at as entered_from,
          e.to_at as entered_to, extract(epoch from e.to_at - e.from_at) / 86400 as days_between
        from lifecycle_entries e
        join kpi_contact_rows r on r.portal_id = ${portalId} and r.contact_id = e.contact_id
        join contacts c on c.portal_id = r.portal_id and c.contact_id = r.contact_id
        where e.from_rank = ${rank}::int and ${inPeriod(sql.ref('e.from_at'))}
          ${convertedOnly ? sql`and e.to_at is not null` : sql``}
        order by e.contact_id`;
      yield* list(db, title, 'contact', LIFECYCLE_COLUMNS, query).stream();
    },
  };
}

/**
 * Deals open at the end of the period, by the rule of the period-end snapshot
 * (src/kpi/queries/period-end-snapshots.ts): created by the instant (end − 1 ms), in a stage then
 * (the last history entry at or before it, else the first entry, else the current stage) that is
 * open by stage metadata (the deal's pipeline's, else the stage's first pipeline's); a stage
 * unknown to the metadata counts by hs_is_closed only when it is the current stage.
 */
function openAtFilter(portalId: number, d: Drill): RawBuilder<unknown> {
  if (!d.end) return sql`and r.outcome = 'open'`;
  const at = sql`${d.end}::timestamptz - interval '999 microseconds'`;
  return sql`and r.created_at < ${at} and exists (
    select 1 from deals dd
    cross join lateral (select coalesce(
      (select h.stage_id from deal_stage_history h where h.portal_id = ${portalId} and h.deal_id = r.deal_id
        and h.changed_at < ${at} order by h.changed_at desc limit 1),
      (select h.stage_id from deal_stage_history h where h.portal_id = ${portalId} and h.deal_id = r.deal_id
        order by h.changed_at limit 1),
      r.stage_id) as stage_id) st
    left join pipeline_stages own on own.portal_id = ${portalId} and own.pipeline_id = r.pipeline_id
      and own.stage_id = st.stage_id
    left join lateral (select s.is_closed from pipeline_stages s
      join pipelines pl on pl.portal_id = s.portal_id and pl.pipeline_id = s.pipeline_id
      where s.portal_id = ${portalId} and s.stage_id = st.stage_id
      order by pl.display_order, pl.pipeline_id collate "C" limit 1) anyp on true
    where dd.portal_id = ${portalId} and dd.deal_id = r.deal_id
      and case when own.stage_id is not null then not own.is_closed
        when anyp.is_closed is not null then not anyp.is_closed
        when st.stage_id = r.stage_id then not dd.is_closed end)`;
}

const STAY_COLUMNS: RecordColumn[] = [
  { key: 'id', label: 'Deal', kind: 'id' },
  { key: 'name', label: 'Name', kind: 'text' },
  { key: 'pipeline', label: 'Pipeline', kind: 'text' },
  { key: 'stage', label: 'Current stage', kind: 'text' },
  { key: 'days_in_stage', label: 'Days in the stage (completed stays)', kind: 'number' },
];

/**
 * Deals with completed stays in deal stage `d.value`: the sample of the stage's median (the rule
 * of `insertDealRows`: consecutive history entries in one stage are one stay, a deal's completed
 * stays in a stage are summed, any pipeline).
 */
function stageStaysList(db: Executor, portalId: number, d: Drill, title: string): RecordList {
  const query = sql<Record<string, unknown>>`
    with hist as (
      select h.deal_id, h.stage_id, h.changed_at,
        lag(h.stage_id) over (partition by h.deal_id order by h.changed_at) as prev_stage
      from deal_stage_history h join kpi_deal_rows r on r.portal_id = h.portal_id and r.deal_id = h.deal_id
      where h.portal_id = ${portalId}
        and h.deal_id in (select deal_id from deal_stage_history where portal_id = ${portalId} and stage_id = ${d.value ?? ''})
    ),
    runs as (
      select deal_id, stage_id, changed_at as from_at,
        lead(changed_at) over (partition by deal_id order by changed_at) as to_at
      from hist where prev_stage is distinct from stage_id
    ),
    stays as (
      select deal_id, sum(greatest(0, extract(epoch from to_at) - extract(epoch from from_at)))::float8 / 86400 as days
      from runs where to_at is not null and stage_id = ${d.value ?? ''} group by deal_id
    )
    select r.deal_id as id, dl.name, coalesce(p.label, r.pipeline_id) as pipeline,
      coalesce(s.label, r.stage_id) as stage, st.days as days_in_stage
    from stays st
    join kpi_deal_rows r on r.portal_id = ${portalId} and r.deal_id = st.deal_id
    left join deals dl on dl.portal_id = r.portal_id and dl.deal_id = r.deal_id
    left join pipelines p on p.portal_id = r.portal_id and p.pipeline_id = r.pipeline_id
    left join pipeline_stages s on s.portal_id = r.portal_id and s.pipeline_id = r.pipeline_id and s.stage_id = r.stage_id
    order by r.deal_id`;
  return list(db, title, 'deal', STAY_COLUMNS, query);
}

const VELOCITY_COLUMNS: RecordColumn[] = [
  { key: 'id', label: 'Deal', kind: 'id' },
  { key: 'name', label: 'Name', kind: 'text' },
  { key: 'counts_as', label: 'Counts as', kind: 'text' },
  { key: 'outcome', label: 'Outcome', kind: 'text' },
  { key: 'source', label: 'Source', kind: 'text' },
  { key: 'owner', label: 'Owner', kind: 'text' },
  { key: 'amount', label: 'Amount (home currency)', kind: 'money' },
  { key: 'created', label: 'Created', kind: 'date' },
  { key: 'closed', label: 'Close date', kind: 'date' },
  { key: 'days_to_close', label: 'Days to close', kind: 'number' },
];

/**
 * Every deal behind a velocity figure: qualified in the period (the first factor), or closed in
 * the period in the pipeline (won: win rate, size and cycle; lost: the win rate's denominator).
 * The "counts as" column says which.
 */
function velocityList(db: Executor, portalId: number, d: Drill, title: string): RecordList {
  const breakdown =
    d.by === 'owner' && d.value !== undefined
      ? sql`and ${ownerFilter(sql.ref('r.owner_id'), d.value)}`
      : sql``;
  const query = sql<Record<string, unknown>>`
    select x.id, dl.name, x.counts_as, r.outcome, r.source, coalesce(r.owner_id, ${NO_OWNER}) as owner,
      r.amount_home as amount, r.created_at as created, r.close_date as closed, r.days_to_close
    from (
      select r.deal_id as id,
        concat_ws(', ',
          case when (true ${qualifiedFilter(portalId, d)}) then 'qualified' end,
          case when r.pipeline_id = ${d.pipeline ?? ''} and r.outcome in ('won', 'lost')
            ${periodFilter(sql.ref('r.close_date'), d)} then r.outcome end) as counts_as
      from kpi_deal_rows r
      where r.portal_id = ${portalId}
    ) x
    join kpi_deal_rows r on r.portal_id = ${portalId} and r.deal_id = x.id
    left join deals dl on dl.portal_id = r.portal_id and dl.deal_id = r.deal_id
    where x.counts_as <> '' ${breakdown}
    order by x.id`;
  return list(db, title, 'deal', VELOCITY_COLUMNS, query);
}

function list(
  db: Executor,
  title: string,
  object: RecordObject,
  columns: readonly RecordColumn[],
  query: RawBuilder<Record<string, unknown>>,
): RecordList {
  return {
    title,
    object,
    columns,
    async *stream() {
      // kysely streams through pg-cursor (set on the dialect): CHUNK rows in memory at a time.
      const compiled = query.compile(db);
      for await (const chunk of db.getExecutor().stream<Record<string, unknown>>(compiled, CHUNK))
        yield* chunk.rows;
    },
  };
}

/** The record list behind a figure. */
export function openRecordList(db: Executor, portalId: number, d: Drill): RecordList {
  const label = d.label ?? d.kind;
  switch (d.kind) {
    case 'won':
      return dealList(
        db,
        portalId,
        d,
        label,
        sql`and r.outcome = 'won' ${periodFilter(sql.ref('r.close_date'), d)}`,
      );
    case 'qualified':
      // The pipeline is the one whose stage was entered; the deal may have moved on since.
      return dealList(db, portalId, { ...d, pipeline: undefined }, label, qualifiedFilter(portalId, d));
    case 'closed':
      return dealList(
        db,
        portalId,
        d,
        label,
        sql`and r.outcome in ('won', 'lost') ${periodFilter(sql.ref('r.close_date'), d)}`,
      );
    case 'open':
      return dealList(db, portalId, d, label, sql`and r.outcome = 'open'`);
    case 'contacts':
      return contactList(db, portalId, d, label, periodFilter(sql.ref('r.created_at'), d));
    case 'customers':
      return contactList(db, portalId, d, label, periodFilter(sql.ref('r.customer_since'), d));
    case 'stage':
      return contactList(
        db,
        portalId,
        { ...d, by: undefined },
        label,
        d.value === undefined || d.value === '(no stage)'
          ? sql`and r.lifecycle_stage is null`
          : sql`and r.lifecycle_stage = ${d.value}`,
      );
    case 'velocity':
      return velocityList(db, portalId, d, label);
    case 'open_at':
      return dealList(db, portalId, d, label, openAtFilter(portalId, d));
    case 'stage_stays':
      return stageStaysList(db, portalId, d, label);
    case 'leads':
    case 'leads_answered':
      // Speed to lead: leads whose clock (first form conversion, else creation) started in the period.
      return contactList(
        db,
        portalId,
        d,
        label,
        sql`${periodFilter(sql.raw('coalesce(c.first_conversion_at, r.created_at)'), d)}
          ${d.kind === 'leads_answered' ? sql`and r.minutes_to_first_activity is not null` : sql``}`,
      );
    case 'lifecycle_cohort':
      return lifecycleList(db, portalId, d, label, false);
    case 'lifecycle_converted':
      return lifecycleList(db, portalId, d, label, true);
    case 'first_deal':
      // docs/kpis.md: customers whose first won deal closed in the period, with a usable day count.
      return contactList(
        db,
        portalId,
        d,
        label,
        sql`and r.days_to_deal is not null and exists (select 1 from deals fd where fd.portal_id = r.portal_id
          and fd.deal_id = r.first_won_deal_id ${periodFilter(sql.ref('fd.close_date'), d)})`,
      );
    case 'meetings': {
      const source =
        d.by === 'source' && d.value !== undefined
          ? sql`and coalesce(b.source_key, '(no source)') = ${d.value}`
          : sql``;
      const query = sql<Record<string, unknown>>`
        with booking as (
          select distinct on (mc.meeting_id) mc.meeting_id,
            case when btrim(coalesce(c.analytics_source, ''), E' \t\n\r') <> '' then c.analytics_source
              else '(no source)' end as source_key, c.contact_id
          from meeting_contacts mc join contacts c on c.portal_id = mc.portal_id and c.contact_id = mc.contact_id
          where mc.portal_id = ${portalId}
          order by mc.meeting_id, mc.contact_id
        )
        select m.meeting_id as id, coalesce(b.source_key, '(no source)') as source, b.contact_id as contact,
          m.created_at as booked, m.occurred_at as occurs
        from meetings m left join booking b on b.meeting_id = m.meeting_id
        where m.portal_id = ${portalId} and not m.archived and m.meeting_source = 'MEETINGS_PUBLIC'
          ${periodFilter(sql.ref('m.created_at'), d)}
          ${source}
        order by m.meeting_id`;
      return list(
        db,
        label,
        'meeting',
        [
          { key: 'id', label: 'Meeting', kind: 'id' },
          { key: 'source', label: 'Source of the booking contact', kind: 'text' },
          { key: 'contact', label: 'Booking contact', kind: 'text' },
          { key: 'booked', label: 'Booked', kind: 'date' },
          { key: 'occurs', label: 'Takes place', kind: 'date' },
        ],
        query,
      );
    }
    case 'visits': {
      const source = d.value !== undefined && d.by === 'source' ? sql`and w.source = ${d.value}` : sql``;
      const query = sql<Record<string, unknown>>`
        select w.day::text as id, w.source, w.visits
        from web_traffic_daily w
        join portals pt on pt.portal_id = w.portal_id
        where w.portal_id = ${portalId} ${source}
          ${
            d.start && d.end
              ? sql`and (w.day::timestamp at time zone coalesce(pt.time_zone, 'UTC')) >= ${d.start}
                 and (w.day::timestamp at time zone coalesce(pt.time_zone, 'UTC')) < ${d.end}`
              : sql``
          }
        order by w.day, w.source`;
      return list(
        db,
        label,
        null,
        [
          { key: 'id', label: 'Day', kind: 'text' },
          { key: 'source', label: 'Source', kind: 'text' },
          { key: 'visits', label: 'Visits', kind: 'number' },
        ],
        query,
      );
    }
    case 'credits': {
      const conv = d.conv ?? 'revenue';
      const m = CREDIT_MODELS.indexOf(d.model ?? 'linear') + 1;
      // The owner of a deal conversion is the deal's, of a contact conversion the contact's.
      const pipeline =
        conv === 'contact_create'
          ? d.owner !== undefined
            ? sql`and exists (select 1 from contacts c where c.portal_id = k.portal_id
                and c.contact_id = k.conversion_id and ${ownerFilter(sql.ref('c.owner_id'), d.owner)})`
            : sql``
          : d.owner !== undefined
            ? sql`and exists (select 1 from kpi_deal_rows r where r.portal_id = k.portal_id
                and r.deal_id = k.conversion_id and ${ownerFilter(sql.ref('r.owner_id'), d.owner)})`
            : d.pipeline
              ? sql`and exists (select 1 from kpi_deal_rows r where r.portal_id = k.portal_id
                  and r.deal_id = k.conversion_id and r.pipeline_id = ${d.pipeline})`
              : sql``;
      const query = sql<Record<string, unknown>>`
        select k.conversion_id as id, k.converted_at as converted, k.value,
          (select sum(k.credits[${m}::int][t.i]) from unnest(k.channels) with ordinality t(channel, i)
            where t.channel = ${d.value ?? ''}) as credit,
          array_to_string(k.channels, ' > ') as path
        from kpi_credits k
        where k.portal_id = ${portalId} and k.conversion_kind = ${conv} and ${d.value ?? ''} = any(k.channels)
          ${periodFilter(sql.ref('k.converted_at'), d)} ${pipeline}
        order by k.conversion_id`;
      return list(
        db,
        label,
        conv === 'contact_create' ? 'contact' : 'deal',
        [
          { key: 'id', label: conv === 'contact_create' ? 'Contact' : 'Deal', kind: 'id' },
          { key: 'converted', label: 'Converted', kind: 'date' },
          { key: 'value', label: 'Conversion value', kind: 'number' },
          { key: 'credit', label: `Credit to ${d.value ?? ''} (${d.model ?? 'linear'})`, kind: 'number' },
          { key: 'path', label: 'Touch channels in order', kind: 'text' },
        ],
        query,
      );
    }
  }
}
