import { sql } from 'kysely';
import { ATTRIBUTION_MODELS } from '../kpi';
import type { AttributionModel } from '../kpi';
import type { Executor } from '../db';
import type { PropertySet } from './properties';
import { CHANNEL_PREFIX, PROPERTY_PREFIX } from './properties';
import type { WritebackSettings } from './settings';
import type { Canonical, InvalidReason } from './values';
import { canonicalDatetime, canonicalFloor, canonicalNumber, canonicalText } from './values';
import type { WrittenValues } from './writeback.tables';

/**
 * What each record should carry in HubSpot, read from the KPI tables of the latest run in pages
 * of record ids (keyset), together with what we wrote last: memory stays one page whatever the
 * portal's size.
 */
export type RecordValues = {
  readonly id: number;
  /** Canonical value per property ('' = empty). */
  readonly desired: WrittenValues;
  readonly written: WrittenValues;
  readonly failed: WrittenValues | null;
  /** Values that could not be sent (written as empty instead), with the reason. */
  readonly invalid: readonly { property: string; reason: InvalidReason }[];
};

export type MonthFactors = readonly {
  pipelineId: string;
  start: number;
  end: number;
  velocity: number | null;
  winRate: number | null;
}[];

/** Velocity and win rate per pipeline and month of the latest KPI run (13 months × pipelines: small). */
export async function loadMonthFactors(db: Executor, portalId: number): Promise<MonthFactors> {
  const rows = await sql<{
    pipeline_id: string;
    period_start: Date;
    period_end: Date;
    velocity: number | null;
    win_rate: number | null;
  }>`
    select pipeline_id, period_start, period_end,
      max(value) filter (where kpi = 'pipeline_velocity') as velocity,
      max(value) filter (where kpi = 'win_rate') as win_rate
    from kpi_snapshots
    where portal_id = ${portalId} and period_unit = 'month' and breakdown = 'all'
      and kpi in ('pipeline_velocity', 'win_rate')
    group by pipeline_id, period_start, period_end`.execute(db);
  return rows.rows.map((r) => ({
    pipelineId: r.pipeline_id,
    start: r.period_start.getTime(),
    end: r.period_end.getTime(),
    velocity: r.velocity === null ? null : Number(r.velocity),
    winRate: r.win_rate === null ? null : Number(r.win_rate),
  }));
}

class ValueCollector {
  readonly desired: WrittenValues = {};
  readonly invalid: { property: string; reason: InvalidReason }[] = [];
  set(property: string, c: Canonical): void {
    this.desired[property] = c.value;
    if (c.invalid) this.invalid.push({ property, reason: c.invalid });
  }
}

/** Credits per channel under one model for one conversion's packed row. */
function creditsByChannel(channels: readonly string[], credits: readonly number[]): Map<string, number> {
  const sums = new Map<string, number>();
  channels.forEach((channel, i) => sums.set(channel, (sums.get(channel) ?? 0) + Number(credits[i] ?? 0)));
  return sums;
}

/** The channel with the largest credit; ties go to the channel first in byte order (stable across runs). */
function topChannel(sums: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  let bestCredit = -Infinity;
  for (const [channel, credit] of sums) {
    // Credits are sums of cents or shares: a difference below 1e-9 is rounding, not a lead.
    if (
      credit > bestCredit + 1e-9 ||
      (Math.abs(credit - bestCredit) <= 1e-9 && best !== null && channel < best)
    ) {
      best = channel;
      bestCredit = credit;
    }
  }
  return best;
}

function channelValue(set: PropertySet, channel: string | null): Canonical {
  if (channel === null) return { value: '' };
  const c = canonicalText(channel);
  return c.invalid || set.channelValues.has(c.value) ? c : { value: '', invalid: 'UNKNOWN_OPTION' };
}

export type PageArgs = {
  readonly portalId: number;
  readonly after: number;
  readonly limit: number;
  readonly asOf: number;
  readonly settings: WritebackSettings;
  readonly set: PropertySet;
  readonly factors: MonthFactors;
};

type DealRow = {
  deal_id: number;
  pipeline_id: string;
  outcome: string;
  close_date: Date | null;
  age_days: number;
  days_to_close: number | null;
  days_in_stage: number | null;
  stage_median_days: number | null;
  conversion_kind: string | null;
  channels: string[] | null;
  credits: number[][] | null;
  written: WrittenValues | null;
  failed: WrittenValues | null;
};

// The page of records is taken first (keyset, in its own subquery), then every lookup is by a
// whole primary key, one index probe per record, whatever the planner's statistics say (the KPI
// run has just rewritten the tables, which may not be analyzed yet). `limit 1` keeps each lateral
// a per-record probe: a plain subquery is pulled up into a join the planner may make a merge join
// (it sorted all the portal's last-written rows per page). A credit lookup by (portal_id,
// conversion_id) alone skips the key's middle column and scanned the portal's whole index per
// deal: 0.8 ms each at 20,000 deals, 0.9 s a page, which stalled the first window's calls.
export async function readDealPage(db: Executor, args: PageArgs): Promise<RecordValues[]> {
  const rows = await sql<DealRow>`
    select r.deal_id, r.pipeline_id, r.outcome, r.close_date, r.age_days, r.days_to_close, r.days_in_stage,
      r.stage_median_days, c.conversion_kind, c.channels, c.credits, lw.written, lw.failed
    from (
      select * from kpi_deal_rows
      where portal_id = ${args.portalId} and deal_id > ${args.after}
      order by deal_id
      limit ${args.limit}) r
    left join lateral (
      select k.conversion_kind, k.channels, k.credits from kpi_credits k
      where k.portal_id = r.portal_id and k.conversion_kind = 'revenue' and k.conversion_id = r.deal_id
      union all
      select k.conversion_kind, k.channels, k.credits from kpi_credits k
      where k.portal_id = r.portal_id and k.conversion_kind = 'deal_create' and k.conversion_id = r.deal_id
      limit 1) c on true
    left join lateral (
      select w.written, w.failed from writeback_last_written w
      where w.portal_id = r.portal_id and w.object_type = 'deals' and w.record_id = r.deal_id
      limit 1) lw on true
    order by r.deal_id`.execute(db);
  const modelIndex = (m: AttributionModel) => ATTRIBUTION_MODELS.indexOf(m);
  return rows.rows.map((r) => {
    const v = new ValueCollector();
    const id = Number(r.deal_id);
    const channels = r.channels ?? [];
    const credits = r.credits ?? [];
    // A model without its property (a model newer than the manifest) is skipped, never sent.
    for (const model of args.settings.channelModels.filter((m) => args.set.channelModels.has(m))) {
      const row = credits[modelIndex(model)];
      const top = row ? topChannel(creditsByChannel(channels, row)) : null;
      v.set(`${CHANNEL_PREFIX}${model}`, channelValue(args.set, top));
    }
    // Credit properties carry money: only a revenue conversion (a won deal) has any.
    const creditRow =
      r.conversion_kind === 'revenue' ? credits[modelIndex(args.settings.creditModel)] : undefined;
    const sums = creditRow ? creditsByChannel(channels, creditRow) : new Map<string, number>();
    for (const [channel, property] of args.set.creditProperty) {
      const credit = sums.get(channel);
      v.set(property, credit === undefined ? { value: '' } : canonicalNumber(credit, 2));
    }
    v.set(`${PROPERTY_PREFIX}days_to_close`, canonicalNumber(r.days_to_close, 1));
    v.set(`${PROPERTY_PREFIX}days_in_current_stage`, canonicalFloor(r.days_in_stage));
    v.set(`${PROPERTY_PREFIX}stage_median_days`, canonicalNumber(r.stage_median_days, 1));
    v.set(`${PROPERTY_PREFIX}deal_age_days`, canonicalFloor(r.age_days));
    // The month the deal closed in; open deals: the month of the KPI run.
    const at = r.outcome !== 'open' && r.close_date ? r.close_date.getTime() : args.asOf;
    const month = args.factors.find((f) => f.pipelineId === r.pipeline_id && f.start <= at && at < f.end);
    v.set(`${PROPERTY_PREFIX}pipeline_velocity`, canonicalNumber(month?.velocity ?? null, 2));
    v.set(
      `${PROPERTY_PREFIX}pipeline_win_rate`,
      canonicalNumber(month?.winRate == null ? null : month.winRate * 100, 1),
    );
    return { id, desired: v.desired, written: r.written ?? {}, failed: r.failed, invalid: v.invalid };
  });
}

type ContactRow = {
  contact_id: number;
  touches: number;
  first_touch_channel: string | null;
  last_touch_channel: string | null;
  minutes_to_first_activity: number | null;
  days_to_deal: number | null;
  won_revenue: number | null;
  open_amount: number | null;
  customer_since: Date | null;
  written: WrittenValues | null;
  failed: WrittenValues | null;
};

export async function readContactPage(db: Executor, args: PageArgs): Promise<RecordValues[]> {
  const rows = await sql<ContactRow>`
    select r.contact_id, r.touches, r.first_touch_channel, r.last_touch_channel, r.minutes_to_first_activity,
      r.days_to_deal, r.won_revenue, r.open_amount, r.customer_since, lw.written, lw.failed
    from (
      select * from kpi_contact_rows
      where portal_id = ${args.portalId} and contact_id > ${args.after}
      order by contact_id
      limit ${args.limit}) r
    left join lateral (
      select w.written, w.failed from writeback_last_written w
      where w.portal_id = r.portal_id and w.object_type = 'contacts' and w.record_id = r.contact_id
      limit 1) lw on true
    order by r.contact_id`.execute(db);
  const noTouch = (channel: string | null, touches: number) =>
    channel ?? (Number(touches) === 0 ? '(no touch)' : null);
  return rows.rows.map((r) => {
    const v = new ValueCollector();
    v.set(
      `${PROPERTY_PREFIX}first_touch_channel`,
      channelValue(args.set, noTouch(r.first_touch_channel, r.touches)),
    );
    v.set(
      `${PROPERTY_PREFIX}last_touch_channel`,
      channelValue(args.set, noTouch(r.last_touch_channel, r.touches)),
    );
    v.set(`${PROPERTY_PREFIX}touches_count`, canonicalNumber(r.touches, 0));
    v.set(`${PROPERTY_PREFIX}speed_to_lead_minutes`, canonicalNumber(r.minutes_to_first_activity, 1));
    v.set(`${PROPERTY_PREFIX}days_to_deal`, canonicalNumber(r.days_to_deal, 1));
    v.set(`${PROPERTY_PREFIX}won_revenue`, canonicalNumber(r.won_revenue, 2));
    v.set(`${PROPERTY_PREFIX}open_pipeline_amount`, canonicalNumber(r.open_amount, 2));
    v.set(`${PROPERTY_PREFIX}customer_since`, canonicalDatetime(r.customer_since));
    return {
      id: Number(r.contact_id),
      desired: v.desired,
      written: r.written ?? {},
      failed: r.failed,
      invalid: v.invalid,
    };
  });
}
