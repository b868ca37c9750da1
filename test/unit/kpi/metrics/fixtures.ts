// Builders for the metrics tests: readable defaults, overridden per case.
import type {
  Activity,
  Contact,
  Deal,
  DealStageChange,
  LifecycleChange,
  Meeting,
  Pipeline,
  TrafficPoint,
} from '../../../../src/kpi/models/metrics/types';
import type { Period } from '../../../../src/kpi/models/metrics/period';
import { MONTH, getPeriodContaining } from '../../../../src/kpi/models/metrics/period';

/** ISO string → epoch ms; throws on a typo so a fixture can never silently be NaN. */
export function at(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad date ${iso}`);
  return t;
}

export const DAY = 86_400_000;

/** A calendar month in UTC, e.g. month('2026-03'). */
export function month(yyyyMm: string, timeZone = 'UTC'): Period {
  return getPeriodContaining(at(`${yyyyMm}-15T12:00:00Z`), MONTH, timeZone);
}

/** HubSpot's default sales pipeline with its default stage ids. */
export const DEFAULT_PIPELINE: Pipeline = {
  id: 'default',
  stages: [
    { id: 'appointmentscheduled', displayOrder: 0, isClosed: false, probability: 0.2 },
    { id: 'qualifiedtobuy', displayOrder: 1, isClosed: false, probability: 0.4 },
    { id: 'presentationscheduled', displayOrder: 2, isClosed: false, probability: 0.6 },
    { id: 'decisionmakerboughtin', displayOrder: 3, isClosed: false, probability: 0.8 },
    { id: 'contractsent', displayOrder: 4, isClosed: false, probability: 0.9 },
    { id: 'closedwon', displayOrder: 5, isClosed: true, probability: 1 },
    { id: 'closedlost', displayOrder: 6, isClosed: true, probability: 0 },
  ],
};

/**
 * A custom pipeline with numeric stage ids, stages listed out of order, the won stage sorted
 * between open stages, and a lost stage whose id reads like a win: only metadata may decide.
 */
export const CUSTOM_PIPELINE: Pipeline = {
  id: '7654321',
  qualifiedStageId: '1002',
  stages: [
    { id: '1003', displayOrder: 3, isClosed: false, probability: 0.7 },
    { id: '1001', displayOrder: 1, isClosed: false, probability: 0.1 },
    { id: '1900', displayOrder: 2, isClosed: true, probability: 1 },
    { id: '1002', displayOrder: 2, isClosed: false, probability: 0.3 },
    { id: 'closedwon_lookalike', displayOrder: 9, isClosed: true, probability: 0 },
  ],
};

export function makeDeal(overrides: Partial<Deal> & { id: string }): Deal {
  return {
    pipelineId: 'default',
    stageId: 'appointmentscheduled',
    amountHome: 1000,
    currency: 'EUR',
    ownerId: 'owner-1',
    source: 'ORGANIC_SEARCH',
    createdAt: at('2026-03-01T12:00:00Z'),
    closedAt: null,
    isClosed: false,
    isWon: false,
    deleted: false,
    contactIds: [],
    ...overrides,
  };
}

export function makeContact(overrides: Partial<Contact> & { id: string }): Contact {
  return {
    createdAt: at('2026-03-01T12:00:00Z'),
    firstVisitAt: null,
    firstConversionAt: null,
    source: 'ORGANIC_SEARCH',
    lifecycleStage: 'lead',
    becameCustomerAt: null,
    ownerId: 'owner-1',
    deleted: false,
    ...overrides,
  };
}

export function makeMeeting(overrides: Partial<Meeting> & { id: string }): Meeting {
  return {
    contactIds: [],
    at: at('2026-03-10T10:00:00Z'),
    source: 'MEETINGS_PUBLIC',
    createdAt: at('2026-03-05T10:00:00Z'),
    deleted: false,
    ...overrides,
  };
}

/** Stage history of one deal from [stageId, iso] pairs. */
export function stages(dealId: string, ...entries: [string, string][]): DealStageChange[] {
  return entries.map(([stageId, iso]) => ({ dealId, stageId, at: at(iso) }));
}

/** Lifecycle history of one contact from [stage, iso] pairs. */
export function lifecycle(contactId: string, ...entries: [string | null, string][]): LifecycleChange[] {
  return entries.map(([stage, iso]) => ({ contactId, stage, at: at(iso) }));
}

export function activity(id: string, contactId: string, kind: string, iso: string): Activity {
  return { id, contactId, kind, at: at(iso) };
}

export function traffic(source: string, isoDay: string, visits: number): TrafficPoint {
  return { source, periodStart: at(`${isoDay}T00:00:00Z`), visits };
}
