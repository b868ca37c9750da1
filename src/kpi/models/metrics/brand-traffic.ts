/**
 * Brand building (the "is anything happening?" question), measured by reach rather than by
 * activity counts: direct-traffic visits, organic-search visits and contacts whose original
 * source is DIRECT_TRAFFIC, per period with the change against the previous period, plus an
 * optional uploaded branded-search series.
 */

import type { Period } from './period';
import { getPreviousPeriod, isWithinPeriod } from './period';
import type { CountInputs, KpiResult, PeriodChange } from './stats';
import { computeChange, countRecords, makeKnown, makeUnknown } from './stats';
import type { VisitInputs } from './traffic';
import { selectTrafficInPeriod, sumVisits } from './traffic';
import type { BrandedSearchPoint, Contact, TrafficPoint } from './types';

export const DIRECT_TRAFFIC = 'DIRECT_TRAFFIC';
export const ORGANIC_SEARCH = 'ORGANIC_SEARCH';

export interface BrandTrafficInput {
  readonly traffic: readonly TrafficPoint[];
  readonly contacts: readonly Contact[];
  readonly period: Period;
  /** Uploaded branded search volume; absent when the portal has not uploaded one. */
  readonly brandedSearch?: readonly BrandedSearchPoint[];
}

export interface BrandedSearchInputs {
  /** Uploaded points summed, as ISO start instants. */
  readonly rows: readonly string[];
}

export interface BrandTrafficFigures {
  readonly directVisits: KpiResult<VisitInputs>;
  readonly organicVisits: KpiResult<VisitInputs>;
  /** Contacts created in the period whose original source is DIRECT_TRAFFIC. */
  readonly directTrafficContacts: KpiResult<CountInputs>;
  readonly brandedSearchVolume: KpiResult<BrandedSearchInputs>;
}

export type BrandTrafficFigure = keyof BrandTrafficFigures;

export interface BrandTraffic {
  readonly period: Period;
  readonly current: BrandTrafficFigures;
  readonly previous: BrandTrafficFigures;
  readonly change: Readonly<Record<BrandTrafficFigure, PeriodChange>>;
}

function computeFigures(input: BrandTrafficInput, period: Period): BrandTrafficFigures {
  const points = selectTrafficInPeriod(input.traffic, period);
  const hasData = points.length > 0;
  let brandedSearchVolume: KpiResult<BrandedSearchInputs>;
  if (input.brandedSearch === undefined) {
    brandedSearchVolume = makeUnknown('no branded search series uploaded', { rows: [] });
  } else {
    const inPeriod = input.brandedSearch.filter((p) => isWithinPeriod(p.periodStart, period));
    const rows = inPeriod.map((p) => new Date(p.periodStart).toISOString());
    brandedSearchVolume =
      inPeriod.length === 0
        ? makeUnknown('no branded search data for period', { rows })
        : makeKnown(
            inPeriod.reduce((sum, p) => sum + p.volume, 0),
            { rows },
          );
  }
  return {
    directVisits: sumVisits(
      points.filter((p) => p.source === DIRECT_TRAFFIC),
      hasData,
    ),
    organicVisits: sumVisits(
      points.filter((p) => p.source === ORGANIC_SEARCH),
      hasData,
    ),
    directTrafficContacts: countRecords(
      input.contacts
        .filter((c) => !c.deleted && c.source === DIRECT_TRAFFIC && isWithinPeriod(c.createdAt, period))
        .map((c) => c.id),
    ),
    brandedSearchVolume,
  };
}

/**
 * Brand reach of `period` and of the period before it, with each figure's change.
 * Visits sum the analytics rows of the source whose bucket starts in the period: null when the
 * report has no row at all for the period, 0 when it has rows but none for that source.
 * DIRECT_TRAFFIC contacts are counted by `createdate` (0 when none). Branded search is null
 * unless a series was uploaded and has points in the period.
 */
export function computeBrandTraffic(input: BrandTrafficInput): BrandTraffic {
  const current = computeFigures(input, input.period);
  const previous = computeFigures(input, getPreviousPeriod(input.period));
  const figures: BrandTrafficFigure[] = [
    'directVisits',
    'organicVisits',
    'directTrafficContacts',
    'brandedSearchVolume',
  ];
  const change = Object.fromEntries(
    figures.map((f) => [f, computeChange(current[f], previous[f])]),
  ) as Record<BrandTrafficFigure, PeriodChange>;
  return { period: input.period, current, previous, change };
}
