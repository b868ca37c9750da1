import { Router } from 'express';
import { ANALYTICS_SOURCES, type AnalyticsSource } from './catalog';
import type { SimulatorContext } from './context';
import { createErrorBody, SimHttpError, validationError } from './errors';
import { apiLocals, guardApi, singleParam } from './http-support';
import type { Portal } from './portal';
import type { Random } from './random';

/**
 * HubSpot's legacy analytics sources report (`GET /analytics/v2/reports/sources/{time_period}`,
 * not date-versioned), per portal: visits per source and day in the portal's time zone. The
 * report is tier-gated in HubSpot (Marketing Hub): a portal configured without it answers 403.
 *
 * Visits are made up from the portal's own contacts (each brought some visits on the day of its
 * first visit) plus a background of visits that converted nobody, so the funnel's visit → contact
 * rate is plausible. The report names sources with its own short keys (`REPORT_BREAKDOWNS`).
 */
export const ANALYTICS_PATH = '/analytics/v2/reports/sources/:timePeriod';

/** The report's breakdown key of each original source. */
export const REPORT_BREAKDOWNS: Readonly<Record<AnalyticsSource, string>> = {
  ORGANIC_SEARCH: 'organic',
  PAID_SEARCH: 'paid',
  EMAIL_MARKETING: 'email',
  SOCIAL_MEDIA: 'social',
  PAID_SOCIAL: 'paid-social',
  REFERRALS: 'referrals',
  DIRECT_TRAFFIC: 'direct',
  OTHER_CAMPAIGNS: 'other-campaigns',
  OFFLINE: 'offline',
  AI_REFERRALS: 'ai-referrals',
};

type AnalyticsState = {
  available: boolean;
  /** Local day (YYYY-MM-DD) → source → visits; only non-zero entries. */
  days: Map<string, Map<AnalyticsSource, number>>;
};

const states = new WeakMap<Portal, AnalyticsState>();
const DAY = 86_400_000;

function localDay(timeZone: string, at: number): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(at));
}

/**
 * Generates the portal's traffic from its contacts (drawn from `random` after everything else).
 * `available: false` makes the report answer 403, as on a portal whose subscription lacks it.
 */
export function populateTraffic(
  portal: Portal,
  random: Random,
  anchor: number,
  options: { available: boolean },
): number {
  const schema = portal.schemas.contacts;
  const sourceProperty = schema.require('hs_analytics_source');
  const firstVisit = schema.require('hs_analytics_first_timestamp');
  const days = new Map<string, Map<AnalyticsSource, number>>();
  const known = new Set<string>(ANALYTICS_SOURCES.map(([s]) => s));
  const add = (day: string, source: AnalyticsSource, visits: number) => {
    if (visits <= 0) return;
    let perSource = days.get(day);
    if (!perSource) days.set(day, (perSource = new Map<AnalyticsSource, number>()));
    perSource.set(source, (perSource.get(source) ?? 0) + visits);
  };
  const timeZone = portal.account.timeZone;
  let first = anchor;
  for (const contact of portal.stores.contacts.records) {
    const source = contact.values[sourceProperty.index];
    if (typeof source !== 'string' || !known.has(source) || source === 'OFFLINE') continue;
    const seen = contact.values[firstVisit.index];
    const at = typeof seen === 'number' ? seen : contact.createdAt;
    if (at > anchor) continue;
    first = Math.min(first, at);
    add(localDay(timeZone, at), source as AnalyticsSource, random.int(8, 60));
  }
  // Background traffic on every day since the first visit: direct and organic every day.
  for (let at = first; at <= anchor; at += DAY) {
    const day = localDay(timeZone, at);
    add(day, 'DIRECT_TRAFFIC', random.int(3, 40));
    add(day, 'ORGANIC_SEARCH', random.int(5, 70));
    if (random.chance(0.5)) add(day, 'REFERRALS', random.int(1, 15));
    if (random.chance(0.3)) add(day, 'SOCIAL_MEDIA', random.int(1, 10));
  }
  states.set(portal, { available: options.available, days });
  let rows = 0;
  for (const perSource of days.values()) rows += perSource.size;
  return rows;
}

/** The traffic the report serves, as (day, source, visits) rows in day then source order. */
export function describeTraffic(portal: Portal): {
  available: boolean;
  rows: { day: string; source: AnalyticsSource; visits: number }[];
} {
  const state = states.get(portal);
  if (!state) return { available: false, rows: [] };
  const rows = [...state.days.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .flatMap(([day, perSource]) =>
      [...perSource.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([source, visits]) => ({ day, source, visits })),
    );
  return { available: state.available, rows };
}

function parseReportDate(raw: string | undefined, name: string): string {
  if (raw === undefined || !/^\d{8}$/.test(raw)) throw validationError(`${name} is required, as YYYYMMDD`);
  const day = `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}`;
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw validationError(`${name} is not a date`);
  return day;
}

/**
 * `GET /analytics/v2/reports/sources/daily?start=YYYYMMDD&end=YYYYMMDD`: an object keyed by day,
 * each day a list of `{breakdown, visits, …}` per source that had visits (days without any are
 * left out). Only `daily` is served; a portal without the report gets 403.
 */
export function createAnalyticsRouter(context: SimulatorContext): Router {
  const router = Router();
  router.get(ANALYTICS_PATH, guardApi(context, 'general'), (req, res) => {
    const state = states.get(apiLocals(res).runtime.portal);
    if (!state?.available)
      throw new SimHttpError(
        403,
        createErrorBody(
          'FORBIDDEN',
          "This portal's subscription does not include the analytics sources report.",
        ),
      );
    if (req.params.timePeriod !== 'daily')
      throw validationError('The simulator serves the daily sources report only.');
    const start = parseReportDate(singleParam(req.query.start), 'start');
    const end = parseReportDate(singleParam(req.query.end), 'end');
    if (end < start) throw validationError('end is before start');
    const body: Record<string, { breakdown: string; visits: number; contacts: number }[]> = {};
    for (const [day, perSource] of state.days) {
      if (day < start || day > end) continue;
      body[day] = [...perSource.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([source, visits]) => ({ breakdown: REPORT_BREAKDOWNS[source], visits, contacts: 0 }));
    }
    res.json(body);
  });
  return router;
}
