import { sql } from 'kysely';
import type { Database, Executor } from '../db';
import { HUBSPOT_PATHS } from '../hubspot/endpoints';
import { HubSpotApiError } from '../hubspot/errors';
import { analyticsSourcesDailySchema } from '../hubspot/schemas';
import type { SyncDeps } from './sync-deps';
import type { AnalyticsAccessStatus } from './traffic.tables';

/**
 * Web visits per source and day from HubSpot's analytics sources report into
 * `web_traffic_daily`, incrementally:
 * - the first load goes back to the oldest contact's first visit (at most `MAX_HISTORY_DAYS`), later
 *   loads re-read the last `REREAD_DAYS` days (today is partial, and HubSpot revises recent
 *   days), in windows of `WINDOW_DAYS`; a re-read day replaces what was stored for it;
 * - the report is tier-gated: a 403 is an answer, recorded once in `analytics_access` as
 *   unavailable (with HubSpot's message) and not asked again for `RECHECK_DAYS` (a portal may
 *   upgrade); such portals upload traffic instead (`kpi-bridge import traffic`);
 * - any other failure leaves what was loaded and is reported, never failing the CRM sync.
 * Days are the portal's local days (HubSpot reports in the account's time zone).
 */
export const REREAD_DAYS = 3;
export const WINDOW_DAYS = 90;
export const MAX_HISTORY_DAYS = 3 * 366;
export const RECHECK_DAYS = 7;

/** The report's breakdown keys → original source names (`hs_analytics_source`). */
export const REPORT_BREAKDOWN_SOURCES: Readonly<Record<string, string>> = {
  organic: 'ORGANIC_SEARCH',
  paid: 'PAID_SEARCH',
  email: 'EMAIL_MARKETING',
  social: 'SOCIAL_MEDIA',
  'paid-social': 'PAID_SOCIAL',
  referrals: 'REFERRALS',
  direct: 'DIRECT_TRAFFIC',
  'other-campaigns': 'OTHER_CAMPAIGNS',
  offline: 'OFFLINE',
  'ai-referrals': 'AI_REFERRALS',
};

/** A breakdown key as a source name; a key we do not know is kept (upper-cased), never dropped. */
export function sourceOfBreakdown(breakdown: string): string {
  return REPORT_BREAKDOWN_SOURCES[breakdown.toLowerCase()] ?? breakdown.toUpperCase().replace(/-/g, '_');
}

export type TrafficLoadResult =
  | { status: 'loaded'; from: string; to: string; rows: number }
  | { status: 'unavailable'; reason: string; asked: boolean }
  | { status: 'failed'; reason: string };

export type AnalyticsAccess = {
  status: AnalyticsAccessStatus;
  reason: string | null;
  checkedAt: Date;
  loadedThrough: string | null;
};

const DAY_MS = 86_400_000;

function localDay(timeZone: string, at: number): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(at));
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** What the portal's analytics access is, as last recorded (null: never asked). */
export async function readAnalyticsAccess(db: Executor, portalId: number): Promise<AnalyticsAccess | null> {
  const row = await db
    .selectFrom('analytics_access')
    .select(['status', 'reason', 'checked_at', sql<string | null>`loaded_through::text`.as('loaded_through')])
    .where('portal_id', '=', portalId)
    .executeTakeFirst();
  return row
    ? { status: row.status, reason: row.reason, checkedAt: row.checked_at, loadedThrough: row.loaded_through }
    : null;
}

async function recordAccess(
  db: Executor,
  portalId: number,
  status: AnalyticsAccessStatus,
  reason: string | null,
  now: number,
  loadedThrough: string | null,
): Promise<void> {
  await db
    .insertInto('analytics_access')
    .values({ portal_id: portalId, status, reason, checked_at: new Date(now), loaded_through: loadedThrough })
    .onConflict((oc) =>
      oc.column('portal_id').doUpdateSet({
        status,
        reason,
        checked_at: new Date(now),
        loaded_through: loadedThrough,
      }),
    )
    .execute();
}

/** The first day to load when nothing was loaded yet: the oldest contact's first visit (or creation), at most MAX_HISTORY_DAYS back. */
async function firstDay(db: Database, portalId: number, timeZone: string, today: string): Promise<string> {
  const oldest = await db
    .selectFrom('contacts')
    .select(sql<Date | null>`least(min(first_visit_at), min(created_at))`.as('at'))
    .where('portal_id', '=', portalId)
    .executeTakeFirst();
  const floor = addDays(today, -MAX_HISTORY_DAYS);
  if (!oldest?.at) return addDays(today, -WINDOW_DAYS + 1);
  const day = localDay(timeZone, new Date(oldest.at).getTime());
  return day < floor ? floor : day;
}

export async function loadTraffic(
  deps: SyncDeps,
  portalId: number,
  options: { now?: number; signal?: AbortSignal } = {},
): Promise<TrafficLoadResult> {
  const { db } = deps;
  const now = options.now ?? Date.now();
  const log = deps.logger.child({ name: 'traffic', portalId });
  const access = await readAnalyticsAccess(db, portalId);
  if (access?.status === 'unavailable' && now - access.checkedAt.getTime() < RECHECK_DAYS * DAY_MS)
    return { status: 'unavailable', reason: access.reason ?? 'not available on this portal', asked: false };

  const portal = await db
    .selectFrom('portals')
    .select('time_zone')
    .where('portal_id', '=', portalId)
    .executeTakeFirst();
  const timeZone = portal?.time_zone ?? 'UTC';
  const today = localDay(timeZone, now);
  const from = access?.loadedThrough
    ? addDays(access.loadedThrough, -REREAD_DAYS)
    : await firstDay(db, portalId, timeZone, today);
  const client = deps.hubspot.forPortal(portalId);
  let rows = 0;
  try {
    for (let start = from; start <= today; start = addDays(start, WINDOW_DAYS)) {
      const end = addDays(start, WINDOW_DAYS - 1) < today ? addDays(start, WINDOW_DAYS - 1) : today;
      const report = await client.request(
        {
          method: 'GET',
          path: HUBSPOT_PATHS.analyticsSources('daily'),
          query: { start: start.replace(/-/g, ''), end: end.replace(/-/g, '') },
          kind: 'standard',
          ...(options.signal ? { signal: options.signal } : {}),
        },
        analyticsSourcesDailySchema,
      );
      const visits = new Map<string, number>();
      for (const [day, breakdowns] of Object.entries(report)) {
        if (day < start || day > end) continue;
        for (const b of breakdowns) {
          const key = `${day}|${sourceOfBreakdown(b.breakdown)}`;
          visits.set(key, (visits.get(key) ?? 0) + b.visits);
        }
      }
      const values = [...visits.entries()]
        .filter(([, v]) => v > 0)
        .map(([key, v]) => {
          const [day, source] = key.split('|') as [string, string];
          return { portal_id: portalId, day, source, visits: v };
        });
      await db.transaction().execute(async (trx) => {
        // The window is what HubSpot reports now: a source gone from a re-read day had no visits.
        await trx
          .deleteFrom('web_traffic_daily')
          .where('portal_id', '=', portalId)
          .where(sql<boolean>`day between ${start}::date and ${end}::date`)
          .execute();
        if (values.length > 0) await trx.insertInto('web_traffic_daily').values(values).execute();
        await recordAccess(trx, portalId, 'available', null, now, end);
      });
      rows += values.length;
    }
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 403) {
      const reason = `analytics sources report not available on this portal (HubSpot 403: ${error.message.slice(0, 300)})`;
      await recordAccess(db, portalId, 'unavailable', reason, now, access?.loadedThrough ?? null);
      log.info({ reason }, 'analytics report not available; traffic can be uploaded instead');
      return { status: 'unavailable', reason, asked: true };
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log.warn({ err: error }, 'traffic load failed; the next sync retries from the last loaded day');
    return { status: 'failed', reason };
  }
  log.info({ from, to: today, rows }, 'traffic loaded');
  return { status: 'loaded', from, to: today, rows };
}
