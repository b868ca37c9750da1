/**
 * Reporting periods: half-open intervals [start, end) of UTC instants whose boundaries are local
 * midnights in the portal's IANA time zone. Uses only Intl (no date library), so daylight-saving
 * changes are handled by the runtime's time-zone database: a March month in Europe/Berlin is one
 * hour shorter than 31 × 24 h, and a day whose midnight does not exist (America/Santiago in
 * September) starts at the first instant that exists.
 */

import type { EpochMs } from './types';

export type PeriodUnit =
  | { readonly kind: 'week' }
  | { readonly kind: 'month' }
  | { readonly kind: 'quarter' }
  | { readonly kind: 'trailingDays'; readonly days: number };

export interface Period {
  /** First instant inside the period. */
  readonly start: EpochMs;
  /** First instant after the period (exclusive). */
  readonly end: EpochMs;
  readonly unit: PeriodUnit;
  readonly timeZone: string;
  /** `2026-03` (month), `2026-Q1` (quarter), `2026-W13` (ISO week), `2026-03-01..2026-03-30` (trailing days). */
  readonly label: string;
}

/** A calendar date in the portal's time zone; month is 1–12. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export const MONTH: PeriodUnit = { kind: 'month' };
export const WEEK: PeriodUnit = { kind: 'week' };
export const QUARTER: PeriodUnit = { kind: 'quarter' };

export function trailingDays(days: number): PeriodUnit {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`trailing days must be a positive integer, got ${days}`);
  return { kind: 'trailingDays', days };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function getFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // Throws RangeError for an unknown zone: a configuration error, not a KPI condition.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function getWallClock(instant: EpochMs, timeZone: string): WallClock {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, bc: false };
  for (const part of getFormatter(timeZone).formatToParts(instant)) {
    switch (part.type) {
      case 'year':
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second':
        out[part.type] = Number(part.value);
        break;
      case 'era':
        out.bc = part.value === 'BC';
        break;
      default:
        break;
    }
  }
  const year = out.bc ? 1 - out.year : out.year;
  return { year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

function utcFromFields(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): EpochMs {
  const d = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  // setUTCFullYear keeps years 0–99 literal (Date.UTC would map them to 1900–1999).
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

/** Offset of the zone from UTC at `instant`, in ms (Berlin in winter: +3 600 000). */
export function getUtcOffset(instant: EpochMs, timeZone: string): number {
  const w = getWallClock(instant, timeZone);
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return utcFromFields(w.year, w.month, w.day, w.hour, w.minute, w.second) - wholeSecond;
}

/** The calendar date of `instant` in the zone. */
export function getLocalDate(instant: EpochMs, timeZone: string): LocalDate {
  const { year, month, day } = getWallClock(instant, timeZone);
  return { year, month, day };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(utcFromFields(date.year, date.month, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/**
 * First instant of a local calendar day: its midnight, the first of two midnights when clocks fall
 * back across it, or the end of the gap when clocks jump over midnight.
 */
export function getStartOfLocalDay(date: LocalDate, timeZone: string): EpochMs {
  const wall = utcFromFields(date.year, date.month, date.day);
  const offsets = new Set(
    [wall - 2 * 86_400_000, wall, wall + 2 * 86_400_000].map((t) => getUtcOffset(t, timeZone)),
  );
  let best: EpochMs | null = null;
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (getUtcOffset(candidate, timeZone) === offset && (best === null || candidate < best)) best = candidate;
  }
  if (best !== null) return best;
  // Midnight falls in a gap: the day starts at the transition, the first instant whose date is `date`.
  let lo = wall - Math.max(...offsets);
  let hi = wall - Math.min(...offsets);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (compareDates(getLocalDate(mid, timeZone), date) >= 0) hi = mid;
    else lo = mid;
  }
  return hi;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function formatLocalDate(date: LocalDate): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}

function getWeekday(date: LocalDate): number {
  return new Date(utcFromFields(date.year, date.month, date.day)).getUTCDay();
}

function getIsoWeekLabel(monday: LocalDate): string {
  const thursday = addDays(monday, 3);
  const dayOfYear =
    (utcFromFields(thursday.year, thursday.month, thursday.day) - utcFromFields(thursday.year, 1, 1)) /
      86_400_000 +
    1;
  return `${pad(thursday.year, 4)}-W${pad(Math.floor((dayOfYear - 1) / 7) + 1)}`;
}

function makePeriod(
  first: LocalDate,
  afterLast: LocalDate,
  unit: PeriodUnit,
  timeZone: string,
  label: string,
): Period {
  return {
    start: getStartOfLocalDay(first, timeZone),
    end: getStartOfLocalDay(afterLast, timeZone),
    unit,
    timeZone,
    label,
  };
}

/**
 * The period of the given unit that contains `instant`, in `timeZone`.
 * - week: Monday 00:00 to the next Monday 00:00 (ISO weeks, labelled `YYYY-Www`);
 * - month, quarter: calendar months and quarters (Q1 = January–March);
 * - trailingDays N: the N local calendar days ending with the day that contains `instant`
 *   (so "trailing 30 days" on 30 March is 1–30 March, today included).
 */
export function getPeriodContaining(instant: EpochMs, unit: PeriodUnit, timeZone: string): Period {
  const date = getLocalDate(instant, timeZone);
  switch (unit.kind) {
    case 'week': {
      const monday = addDays(date, -((getWeekday(date) + 6) % 7));
      return makePeriod(monday, addDays(monday, 7), unit, timeZone, getIsoWeekLabel(monday));
    }
    case 'month': {
      const first = { year: date.year, month: date.month, day: 1 };
      const next =
        date.month === 12 ? { year: date.year + 1, month: 1, day: 1 } : { ...first, month: date.month + 1 };
      return makePeriod(first, next, unit, timeZone, `${pad(date.year, 4)}-${pad(date.month)}`);
    }
    case 'quarter': {
      const q = Math.floor((date.month - 1) / 3);
      const first = { year: date.year, month: q * 3 + 1, day: 1 };
      const next = q === 3 ? { year: date.year + 1, month: 1, day: 1 } : { ...first, month: q * 3 + 4 };
      return makePeriod(first, next, unit, timeZone, `${pad(date.year, 4)}-Q${q + 1}`);
    }
    case 'trailingDays': {
      trailingDays(unit.days); // the unit may be a literal that bypassed validation
      const first = addDays(date, -(unit.days - 1));
      return makePeriod(
        first,
        addDays(date, 1),
        unit,
        timeZone,
        `${formatLocalDate(first)}..${formatLocalDate(date)}`,
      );
    }
  }
}

/** The period of the same unit that ends where `period` starts. */
export function getPreviousPeriod(period: Period): Period {
  return getPeriodContaining(period.start - 1, period.unit, period.timeZone);
}

/** The period of the same unit that starts where `period` ends. */
export function getNextPeriod(period: Period): Period {
  const { unit, timeZone } = period;
  if (unit.kind !== 'trailingDays') return getPeriodContaining(period.end, unit, timeZone);
  // A trailing window is anchored on its last day: the next one ends N days after this one does.
  const lastDay = addDays(getLocalDate(period.end, timeZone), unit.days - 1);
  return getPeriodContaining(getStartOfLocalDay(lastDay, timeZone), unit, timeZone);
}

/** Consecutive periods covering [from, to): the first contains `from`, the last starts before `to`. */
export function listPeriods(from: EpochMs, to: EpochMs, unit: PeriodUnit, timeZone: string): Period[] {
  const periods: Period[] = [];
  if (to <= from) return periods;
  for (let p = getPeriodContaining(from, unit, timeZone); p.start < to; p = getNextPeriod(p)) periods.push(p);
  return periods;
}

/** start ≤ instant < end. */
export function isWithinPeriod(instant: EpochMs, period: Period): boolean {
  return instant >= period.start && instant < period.end;
}

/**
 * The instant a period-end snapshot is taken at: the last millisecond inside the period, so a
 * change stamped exactly at `end` belongs to the next period's snapshot.
 */
export function getSnapshotInstant(period: Period): EpochMs {
  return period.end - 1;
}
