import fc from 'fast-check';

import {
  MONTH,
  QUARTER,
  WEEK,
  getLocalDate,
  getNextPeriod,
  getPeriodContaining,
  getPreviousPeriod,
  getSnapshotInstant,
  getStartOfLocalDay,
  getUtcOffset,
  isWithinPeriod,
  listPeriods,
  trailingDays,
} from '../../../../src/kpi/models/metrics/period';
import type { PeriodUnit } from '../../../../src/kpi/models/metrics/period';
import { at } from './fixtures';

const HOUR = 3_600_000;

describe('getPeriodContaining', () => {
  it.each<[string, string, PeriodUnit, string, string, string, number]>([
    // [zone, instant, unit, start, end, label, length in hours]
    ['UTC', '2026-03-15T12:00:00Z', MONTH, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z', '2026-03', 744],
    // Berlin springs forward on 29 March 2026: March is one hour short.
    [
      'Europe/Berlin',
      '2026-03-15T12:00:00Z',
      MONTH,
      '2026-02-28T23:00:00Z',
      '2026-03-31T22:00:00Z',
      '2026-03',
      743,
    ],
    // ...and falls back on 25 October: October is one hour long.
    [
      'Europe/Berlin',
      '2026-10-10T12:00:00Z',
      MONTH,
      '2026-09-30T22:00:00Z',
      '2026-10-31T23:00:00Z',
      '2026-10',
      745,
    ],
    // 1 March 00:30 Berlin is still 28 Feb in UTC: it belongs to March locally.
    [
      'Europe/Berlin',
      '2026-02-28T23:30:00Z',
      MONTH,
      '2026-02-28T23:00:00Z',
      '2026-03-31T22:00:00Z',
      '2026-03',
      743,
    ],
    [
      'America/New_York',
      '2026-11-15T12:00:00Z',
      MONTH,
      '2026-11-01T04:00:00Z',
      '2026-12-01T05:00:00Z',
      '2026-11',
      721,
    ],
    // Week with the Berlin DST change on its Sunday: 167 h, Monday to Monday, ISO week 13.
    [
      'Europe/Berlin',
      '2026-03-29T12:00:00Z',
      WEEK,
      '2026-03-22T23:00:00Z',
      '2026-03-29T22:00:00Z',
      '2026-W13',
      167,
    ],
    [
      'America/New_York',
      '2026-03-08T12:00:00Z',
      WEEK,
      '2026-03-02T05:00:00Z',
      '2026-03-09T04:00:00Z',
      '2026-W10',
      167,
    ],
    // ISO week-year: 1 January 2027 (Friday) is in week 53 of 2026.
    ['UTC', '2027-01-01T12:00:00Z', WEEK, '2026-12-28T00:00:00Z', '2027-01-04T00:00:00Z', '2026-W53', 168],
    ['UTC', '2026-02-10T00:00:00Z', QUARTER, '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z', '2026-Q1', 2160],
    [
      'America/New_York',
      '2026-12-31T12:00:00Z',
      QUARTER,
      '2026-10-01T04:00:00Z',
      '2027-01-01T05:00:00Z',
      '2026-Q4',
      2209,
    ],
    // Trailing 30 days includes the day of the instant.
    [
      'UTC',
      '2026-03-30T10:00:00Z',
      trailingDays(30),
      '2026-03-01T00:00:00Z',
      '2026-03-31T00:00:00Z',
      '2026-03-01..2026-03-30',
      720,
    ],
    // Santiago's clocks jump from 00:00 to 01:00 on 6 September 2026: that day starts at 01:00 local.
    [
      'America/Santiago',
      '2026-09-06T12:00:00Z',
      trailingDays(1),
      '2026-09-06T04:00:00Z',
      '2026-09-07T03:00:00Z',
      '2026-09-06..2026-09-06',
      23,
    ],
    // Half-hour zone.
    [
      'Asia/Kolkata',
      '2026-03-31T20:00:00Z',
      MONTH,
      '2026-03-31T18:30:00Z',
      '2026-04-30T18:30:00Z',
      '2026-04',
      720,
    ],
  ])('%s %s %o → [%s, %s) %s', (zone, instant, unit, start, end, label, hours) => {
    const p = getPeriodContaining(at(instant), unit, zone);
    expect(new Date(p.start).toISOString()).toBe(new Date(at(start)).toISOString());
    expect(new Date(p.end).toISOString()).toBe(new Date(at(end)).toISOString());
    expect(p.label).toBe(label);
    expect((p.end - p.start) / HOUR).toBe(hours);
    expect(p.timeZone).toBe(zone);
  });

  it('is half-open: start is inside, end belongs to the next period', () => {
    const march = getPeriodContaining(at('2026-03-15T00:00:00Z'), MONTH, 'Europe/Berlin');
    expect(isWithinPeriod(march.start, march)).toBe(true);
    expect(isWithinPeriod(march.end - 1, march)).toBe(true);
    expect(isWithinPeriod(march.end, march)).toBe(false);
    expect(getPeriodContaining(march.end, MONTH, 'Europe/Berlin').label).toBe('2026-04');
    expect(getSnapshotInstant(march)).toBe(march.end - 1);
  });

  it('rejects unknown zones and non-positive trailing windows', () => {
    expect(() => getPeriodContaining(0, MONTH, 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => trailingDays(0)).toThrow(RangeError);
    expect(() => trailingDays(1.5)).toThrow(RangeError);
  });
});

describe('previous, next and lists of periods', () => {
  it.each<[string, PeriodUnit, string, string]>([
    ['2026-01-15T12:00:00Z', QUARTER, '2025-Q4', '2026-Q2'],
    ['2026-01-15T12:00:00Z', MONTH, '2025-12', '2026-02'],
    ['2026-01-01T12:00:00Z', WEEK, '2025-W52', '2026-W02'],
    ['2026-03-30T10:00:00Z', trailingDays(30), '2026-01-30..2026-02-28', '2026-03-31..2026-04-29'],
  ])('around %s (%o): previous %s, next %s', (instant, unit, previous, next) => {
    const p = getPeriodContaining(at(instant), unit, 'Europe/Berlin');
    expect(getPreviousPeriod(p).label).toBe(previous);
    expect(getPreviousPeriod(p).end).toBe(p.start);
    expect(getNextPeriod(p).label).toBe(next);
    expect(getNextPeriod(p).start).toBe(p.end);
  });

  it('lists consecutive periods covering [from, to)', () => {
    const list = listPeriods(at('2026-01-20T00:00:00Z'), at('2026-04-01T00:00:00Z'), MONTH, 'UTC');
    expect(list.map((p) => p.label)).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(listPeriods(at('2026-04-01T00:00:00Z'), at('2026-04-01T00:00:00Z'), MONTH, 'UTC')).toEqual([]);
  });
});

describe('local days', () => {
  it('takes the first of two midnights and the end of a gap', () => {
    // Santiago falls back from 00:00 to 23:00 on 5 April 2026: midnight happens twice.
    expect(
      new Date(getStartOfLocalDay({ year: 2026, month: 4, day: 4 }, 'America/Santiago')).toISOString(),
    ).toBe('2026-04-04T03:00:00.000Z');
    expect(
      new Date(getStartOfLocalDay({ year: 2026, month: 9, day: 6 }, 'America/Santiago')).toISOString(),
    ).toBe('2026-09-06T04:00:00.000Z');
  });

  it('reports offsets and local dates', () => {
    expect(getUtcOffset(at('2026-01-15T00:00:00Z'), 'Europe/Berlin')).toBe(HOUR);
    expect(getUtcOffset(at('2026-07-15T00:00:00Z'), 'Europe/Berlin')).toBe(2 * HOUR);
    expect(getUtcOffset(at('2026-07-15T00:00:00Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(getLocalDate(at('2026-02-28T23:30:00Z'), 'Europe/Berlin')).toEqual({
      year: 2026,
      month: 3,
      day: 1,
    });
  });
});

describe('period invariants (property)', () => {
  const zones = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/Santiago',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Apia',
  ];
  const units: PeriodUnit[] = [WEEK, MONTH, QUARTER, trailingDays(1), trailingDays(7), trailingDays(30)];

  it('contains the instant, tiles time, and starts at a local day start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('1995-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }),
        fc.constantFrom(...zones),
        fc.constantFrom(...units),
        (t, zone, unit) => {
          const p = getPeriodContaining(t, unit, zone);
          expect(p.start).toBeLessThanOrEqual(t);
          expect(t).toBeLessThan(p.end);
          expect(getNextPeriod(p).start).toBe(p.end);
          expect(getPreviousPeriod(p).end).toBe(p.start);
          // The instant before the start is on an earlier local day.
          const first = getLocalDate(p.start, zone);
          const before = getLocalDate(p.start - 1, zone);
          expect([before.year, before.month, before.day]).not.toEqual([first.year, first.month, first.day]);
          if (unit.kind === 'month' || unit.kind === 'quarter') expect(first.day).toBe(1);
          if (unit.kind === 'week')
            expect(new Date(Date.UTC(first.year, first.month - 1, first.day)).getUTCDay()).toBe(1);
          // Any calendar day lasts between 22 and 26 hours, whatever the zone does.
          const days = unit.kind === 'trailingDays' ? unit.days : null;
          if (days !== null) {
            expect(p.end - p.start).toBeGreaterThanOrEqual(days * 22 * HOUR);
            expect(p.end - p.start).toBeLessThanOrEqual(days * 26 * HOUR);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
