import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import { findKeyTouches, selectCountedTouches } from '../kpi';
import type { Conversion } from '../kpi';
import type { Executor } from '../db';
import { NotFoundError } from '../platform/http/errors';
import { ATTRIBUTION_MODEL_IDS, CONTACT_LIST_CAP, LIFECYCLE_LIST_CAP, TOUCH_LIST_CAP } from './card.schemas';
import type {
  AttributionModelId,
  CardTouch,
  ContactCardResponse,
  DealCard,
  DealCardResponse,
  Figure,
  TouchRole,
} from './card.schemas';
import { createPortalStateCache, VELOCITY_FACTORS } from './portal-state';
import type { PortalState } from './portal-state';

/**
 * The data behind the deal and contact cards, read from the KPI tables the last computation
 * wrote and the CRM mirror: never from HubSpot, and never by starting a computation. Per request
 * one query for the record (its touches, contacts, credits and history as JSON aggregates) plus
 * the portal's shared state from a short-lived cache.
 */
export type CardsServiceDeps = {
  db: Executor;
  /**
   * Runs a statement as a named prepared statement (pg's `{ name, text, values }`), so that
   * Postgres plans each card query once per connection instead of on every request (planning
   * costs more than executing these lookups). Without it, queries go through Kysely unnamed.
   */
  prepared?: PreparedQuery;
  stateTtlMs?: number;
};

export type PreparedQuery = (name: string, text: string, values: readonly unknown[]) => Promise<unknown[]>;

export type CardsService = {
  dealCard(portalId: number, dealId: string): Promise<DealCardResponse>;
  contactCard(portalId: number, contactId: string): Promise<ContactCardResponse>;
  /** Drops the cached shared state of a portal (after a settings change). */
  invalidate(portalId: number): void;
};

const known = (value: number | null | undefined, reason: string): Figure =>
  value === null || value === undefined || !Number.isFinite(value)
    ? { value: null, reason }
    : { value, reason: null };
const iso = (value: string | Date): string => new Date(value).toISOString();
const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

type TouchTuple = [id: string, at: string, channel: string, kind: string, contactId: string];

/** Keeps every touch with a key role, then the most recent others, up to the cap; in time order. */
function capTouches(touches: CardTouch[]): { items: CardTouch[]; more: number } {
  if (touches.length <= TOUCH_LIST_CAP) return { items: touches, more: 0 };
  const keep = new Set<number>();
  touches.forEach((t, i) => {
    if (t.roles.length > 0) keep.add(i);
  });
  for (let i = touches.length - 1; i >= 0 && keep.size < TOUCH_LIST_CAP; i--) keep.add(i);
  const items = touches.filter((_, i) => keep.has(i));
  return { items, more: touches.length - items.length };
}

function toTouches(tuples: TouchTuple[]): CardTouch[] {
  return tuples.map(([id, at, channel, kind, contactId]) => ({
    id,
    at: iso(at),
    channel,
    kind,
    contactId: String(contactId),
    roles: [],
  }));
}

const ROLE_NAMES: [keyof ReturnType<typeof findKeyTouches>, TouchRole][] = [
  ['first', 'first'],
  ['leadCreation', 'lead_creation'],
  ['dealCreation', 'deal_creation'],
  ['closedWon', 'closed_won'],
];

/** Marks the key touches of the deal's conversion with the KPI feature's own rule. */
function markKeyTouches(touches: CardTouch[], conversion: Omit<Conversion, 'touches'>): void {
  const byId = new Map(touches.map((t) => [t.id, t]));
  const counted = selectCountedTouches({
    ...conversion,
    touches: touches.map((t) => ({ id: t.id, at: Date.parse(t.at), channel: t.channel })),
  });
  const roles = findKeyTouches({ ...conversion, touches: counted }, counted);
  for (const [key, role] of ROLE_NAMES) {
    const index = roles[key];
    if (index !== undefined) byId.get(counted[index]!.id)?.roles.push(role);
  }
}

type DealRow = {
  deal_id: string;
  pipeline_id: string;
  stage_id: string;
  source: string;
  outcome: 'open' | 'won' | 'lost';
  amount_home: string | null;
  created_at: Date;
  close_date: Date | null;
  age_days: number;
  days_to_close: number | null;
  days_in_stage: number | null;
  stage_median_days: number | null;
  pipeline_cycle_days: string | null;
  name: string | null;
  /** The deal's revenue conversion, else its deal creation: kind, value, channels[i], credits[model][i]. */
  attribution: [kind: string, value: number, channels: string[], credits: number[][]] | null;
  contacts: [id: string, email: string | null, createdAt: string, minutes: number | null][];
  touches: TouchTuple[];
};

type ContactRow = {
  contact_id: string;
  source: string;
  lifecycle_stage: string | null;
  created_at: Date;
  customer_since: Date | null;
  days_to_deal: number | null;
  won_deals: number;
  won_revenue: string | null;
  open_deals: number;
  open_amount: string | null;
  minutes_to_first_activity: number | null;
  email: string | null;
  touches: TouchTuple[];
  lifecycle: [stage: string, at: string][];
};

function pendingPortal(state: PortalState): DealCardResponse & ContactCardResponse {
  return {
    state: 'portal_pending',
    phase: state.sync?.fullDone ? 'kpi' : 'sync',
    recordsSynced: state.sync?.recordsSynced ?? null,
    kpiStartedAt: state.runningSince ? iso(state.runningSince) : null,
  };
}

export function createCardsService(deps: CardsServiceDeps): CardsService {
  const { db } = deps;
  async function run<R>(name: string, query: RawBuilder<R>): Promise<R[]> {
    if (!deps.prepared) return (await query.execute(db)).rows;
    const compiled = query.compile(db);
    return (await deps.prepared(name, compiled.sql, compiled.parameters)) as R[];
  }
  const states = createPortalStateCache(db, { ttlMs: deps.stateTtlMs });

  async function portalState(portalId: number): Promise<PortalState> {
    const state = await states.get(portalId);
    if (!state.installed) throw new NotFoundError('portal not installed');
    return state;
  }

  /** 200 record_pending when the sync has the record but the last run does not; else 404. */
  async function pendingOrMissing(table: 'deals' | 'contacts', portalId: number, id: string) {
    const column = table === 'deals' ? 'deal_id' : 'contact_id';
    const { rows } = await sql<{ one: number }>`
      select 1 as one from ${sql.table(table)}
      where portal_id = ${portalId} and ${sql.ref(column)} = ${id}::bigint and not archived`.execute(db);
    if (rows.length === 0)
      throw new NotFoundError(
        `${table === 'deals' ? 'deal' : 'contact'} ${id} is not synced for this portal (new records appear within minutes)`,
      );
    return { state: 'record_pending' as const };
  }

  // The card statements read the per-run tables (`*_by_run`) at the portal's current run, not the
  // views over them: each view adds a probe of kpi_current_runs per reference, and through the
  // views the card API lost a fifth of its throughput at 1M contacts (1,637 → 1,351 cards/s).
  async function dealCard(portalId: number, dealId: string): Promise<DealCardResponse> {
    const state = await portalState(portalId);
    if (!state.lastRun) return pendingPortal(state);
    const rows = await run(
      'cards_deal',
      sql<DealRow>`
      with current_run as (select run_id from kpi_current_runs where portal_id = ${portalId}),
      live_contacts as (
        select c.contact_id, c.email, c.created_at, dc.is_primary
        from deal_contacts dc
        join contacts c on c.portal_id = dc.portal_id and c.contact_id = dc.contact_id
        where dc.portal_id = ${portalId} and dc.deal_id = ${dealId}::bigint and not c.archived and c.merged_into is null
      )
      select r.deal_id::text, r.pipeline_id, r.stage_id, r.source, r.outcome, r.amount_home, r.created_at,
        r.close_date, r.age_days, r.days_to_close, r.days_in_stage, r.stage_median_days, r.pipeline_cycle_days, d.name,
        (select json_build_array(k.conversion_kind, k.value, k.channels, k.credits) from kpi_credits_by_run k
          where k.portal_id = ${portalId} and k.conversion_id = ${dealId}::bigint
            and k.run_id = (select run_id from current_run)
            and k.conversion_kind in ('revenue', 'deal_create')
          order by k.conversion_kind = 'revenue' desc limit 1) as attribution,
        coalesce((select json_agg(json_build_array(lc.contact_id::text, lc.email, lc.created_at, cr.minutes_to_first_activity)
            order by lc.is_primary desc, lc.contact_id)
          from live_contacts lc
          left join kpi_contact_rows_by_run cr on cr.portal_id = ${portalId} and cr.contact_id = lc.contact_id
            and cr.run_id = (select run_id from current_run)), '[]') as contacts,
        coalesce((select json_agg(json_build_array(t.touch_id, t.occurred_at, t.channel, t.kind, t.contact_id::text)
            order by t.occurred_at, t.touch_id)
          from touches t where t.portal_id = ${portalId} and t.contact_id in (select contact_id from live_contacts)), '[]')
          as touches
      from kpi_deal_rows_by_run r
      join deals d on d.portal_id = r.portal_id and d.deal_id = r.deal_id
      where r.portal_id = ${portalId} and r.deal_id = ${dealId}::bigint
        and r.run_id = (select run_id from current_run)`,
    );
    const row = rows[0];
    if (!row) return pendingOrMissing('deals', portalId, dealId);
    return buildDealCard(state, row);
  }

  async function contactCard(portalId: number, contactId: string): Promise<ContactCardResponse> {
    const state = await portalState(portalId);
    if (!state.lastRun) return pendingPortal(state);
    const rows = await run(
      'cards_contact',
      sql<ContactRow>`
      select r.contact_id::text, r.source, r.lifecycle_stage, r.created_at, r.customer_since, r.days_to_deal,
        r.won_deals, r.won_revenue, r.open_deals, r.open_amount, r.minutes_to_first_activity, c.email,
        coalesce((select json_agg(json_build_array(t.touch_id, t.occurred_at, t.channel, t.kind, t.contact_id::text)
            order by t.occurred_at, t.touch_id)
          from touches t where t.portal_id = r.portal_id and t.contact_id = r.contact_id), '[]') as touches,
        coalesce((select json_agg(json_build_array(h.stage, h.changed_at) order by h.changed_at)
          from contact_lifecycle_history h
          where h.portal_id = r.portal_id and h.contact_id = r.contact_id and h.stage is not null), '[]') as lifecycle
      from kpi_contact_rows_by_run r
      join contacts c on c.portal_id = r.portal_id and c.contact_id = r.contact_id
      where r.portal_id = ${portalId} and r.contact_id = ${contactId}::bigint
        and r.run_id = (select run_id from kpi_current_runs where portal_id = ${portalId})`,
    );
    const row = rows[0];
    if (!row) return pendingOrMissing('contacts', portalId, contactId);
    return buildContactCard(state, row);
  }

  return { dealCard, contactCard, invalidate: (portalId) => states.invalidate(portalId) };
}

function buildDealCard(state: PortalState, row: DealRow): DealCard {
  const open = row.outcome === 'open';
  const stageLabel = state.stageLabels.get(`${row.pipeline_id}\u0000${row.stage_id}`) ?? row.stage_id;
  const daysInStage = open
    ? known(row.days_in_stage, 'the stage history does not reach the current stage')
    : known(null, 'the deal is closed');
  const stageMedianDays = known(
    row.stage_median_days,
    open ? `no deal has left stage ${stageLabel} yet` : 'the deal is closed',
  );
  const stuck =
    daysInStage.value !== null && stageMedianDays.value !== null
      ? daysInStage.value > stageMedianDays.value
      : null;

  const pipeline = state.velocity.get(row.pipeline_id);
  const figure = (kpi: string): Figure =>
    pipeline?.figures.get(kpi) ?? { value: null, reason: 'no velocity figures for this pipeline yet' };
  const factors = VELOCITY_FACTORS.map((key) => ({
    key,
    value: figure(key),
    changeRelative: figure(`${key}_change_relative`),
  }));
  // A longer sales cycle lowers velocity (it divides); every other factor lowers it by falling.
  let movedAgainst: (typeof VELOCITY_FACTORS)[number] | null = null;
  let worst = 0;
  for (const f of factors) {
    if (f.changeRelative.value === null) continue;
    const effect = f.key === 'sales_cycle_days' ? -f.changeRelative.value : f.changeRelative.value;
    if (effect < worst) [worst, movedAgainst] = [effect, f.key];
  }

  const touches = toTouches(row.touches);
  const lead = row.contacts[0];
  const won = row.outcome === 'won' && row.close_date !== null;
  markKeyTouches(touches, {
    id: row.deal_id,
    kind: won ? 'revenue' : 'deal_create',
    convertedAt: (won ? row.close_date! : row.created_at).getTime(),
    contactCreatedAt: lead ? Date.parse(lead[2]) : undefined,
    dealCreatedAt: row.created_at.getTime(),
  });

  return {
    state: 'ready',
    asOf: iso(state.lastRun!.asOf),
    currency: state.currency,
    deal: {
      id: row.deal_id,
      name: row.name,
      pipeline: { id: row.pipeline_id, label: state.pipelineLabels.get(row.pipeline_id) ?? row.pipeline_id },
      stage: { id: row.stage_id, label: stageLabel },
      outcome: row.outcome,
      amount: num(row.amount_home),
      source: row.source,
      createdAt: iso(row.created_at),
      closeDate: row.close_date ? iso(row.close_date) : null,
    },
    timing: {
      ageDays: row.age_days,
      daysInStage,
      stageMedianDays,
      stuck,
      salesCycleDays: known(
        num(row.pipeline_cycle_days),
        'no deal of this pipeline was won in the last 90 days',
      ),
    },
    velocity: {
      periodLabel: pipeline?.periodLabel ?? null,
      value: figure('pipeline_velocity'),
      changeRelative: figure('pipeline_velocity_change_relative'),
      factors,
      movedAgainst,
    },
    attribution: buildAttribution(state, row),
    touches: capTouches(touches),
    contacts: {
      items: row.contacts.slice(0, CONTACT_LIST_CAP).map(([id, email, , minutes]) => ({
        id: String(id),
        email,
        minutesToFirstActivity: known(minutes, 'no sales activity on this contact yet'),
        withinFiveMinutes: minutes === null ? null : minutes <= 5,
      })),
      more: Math.max(0, row.contacts.length - CONTACT_LIST_CAP),
    },
  };
}

function buildAttribution(state: PortalState, row: DealRow): DealCard['attribution'] {
  if (!row.attribution)
    return {
      kind: 'none',
      reason:
        row.outcome === 'won'
          ? 'the won deal has no close date or no amount in the home currency, so it was not credited'
          : 'the deal has no credited conversion yet',
    };
  // Read from kpi_credits directly (what the view kpi_deal_attribution sums): one row, no plan
  // with a grouped view per request. credits[m] follows the KPI feature's model order, which is
  // ATTRIBUTION_MODEL_IDS (the migration spells it out).
  const [storedKind, value, channels, credits] = row.attribution;
  const kind = storedKind === 'revenue' ? 'revenue' : 'deal_create';
  return {
    kind,
    value,
    defaultModel: state.defaultModels[kind],
    // A run from before a model existed has no credits row for it: that model is left out.
    models: ATTRIBUTION_MODEL_IDS.flatMap((model: AttributionModelId, m) => {
      if (credits[m] === undefined) return [];
      const byChannel = new Map<string, number>();
      channels.forEach((channel, i) =>
        byChannel.set(channel, (byChannel.get(channel) ?? 0) + (credits[m]?.[i] ?? 0)),
      );
      return [
        {
          model,
          channels: [...byChannel]
            // A channel on the path that a model gives nothing is left out of that model's split.
            .filter(([, credit]) => Math.abs(credit) >= 1e-9)
            .map(([channel, credit]) => ({ channel, credit }))
            .sort((a, b) => b.credit - a.credit || (a.channel < b.channel ? -1 : 1)),
        },
      ];
    }),
  };
}

function buildContactCard(state: PortalState, row: ContactRow): ContactCardResponse {
  const touches = toTouches(row.touches);
  const first = touches[0] ?? null;
  const last = touches.at(-1) ?? null;
  if (first) first.roles.push('first');
  if (last) last.roles.push('last');

  // Stage entries: a repeated value is not a new entry.
  const entries: { stage: string; label: string; enteredAt: string }[] = [];
  for (const [stage, at] of row.lifecycle) {
    if (entries.at(-1)?.stage === stage) continue;
    entries.push({ stage, label: state.lifecycleLabels.get(stage) ?? stage, enteredAt: iso(at) });
  }
  const minutes = row.minutes_to_first_activity;
  const wonRevenue = num(row.won_revenue);
  const openAmount = num(row.open_amount);
  return {
    state: 'ready',
    asOf: iso(state.lastRun!.asOf),
    currency: state.currency,
    contact: {
      id: row.contact_id,
      email: row.email,
      source: row.source,
      lifecycleStage: row.lifecycle_stage,
      createdAt: iso(row.created_at),
      customerSince: row.customer_since ? iso(row.customer_since) : null,
    },
    firstTouch: first,
    lastTouch: last,
    touches: capTouches(touches),
    lifecycle: {
      // The latest stages matter most on a card.
      items: entries.slice(-LIFECYCLE_LIST_CAP),
      more: Math.max(0, entries.length - LIFECYCLE_LIST_CAP),
    },
    speedToLead: {
      minutes: known(minutes, 'no sales activity on this contact yet'),
      withinFiveMinutes: minutes === null ? null : minutes <= 5,
    },
    daysToDeal: known(
      row.days_to_deal,
      row.won_deals === 0 ? 'no won deal yet' : 'the first visit is after the first won deal closed',
    ),
    wonRevenue:
      row.won_deals === 0
        ? known(0, '')
        : known(wonRevenue, 'no won deal has an amount in the home currency'),
    wonDeals: row.won_deals,
    openPipeline:
      row.open_deals === 0
        ? known(0, '')
        : known(openAmount, 'no open deal has an amount in the home currency'),
    openDeals: row.open_deals,
  };
}
