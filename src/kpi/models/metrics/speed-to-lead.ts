/**
 * Speed to lead: minutes from contact creation (or form conversion) to the first sales activity
 * on the contact, the share answered within 5 minutes, and the number of follow-up activities
 * before the first meeting.
 */

import type { Period } from './period';
import { isWithinPeriod } from './period';
import type { CountInputs, DistributionSummary, KpiResult, RateInputs, Sample } from './stats';
import { computeRate, countRecords, makeUnknown, MS_PER_MINUTE, summarizeSamples } from './stats';
import type { Activity, Contact, EpochMs, Meeting } from './types';

/**
 * Activity kinds that count as a sales activity (the spec's list). The loader gives `email` only
 * to one-to-one emails sent to the contact (`hs_email_direction` = `EMAIL`) and `meeting` only to
 * meetings the contact did not book itself (`hs_meeting_source` ≠ `MEETINGS_PUBLIC`, at their
 * creation time); notes, tasks and incoming emails reach the loader under other kinds, if at all.
 */
export const SALES_ACTIVITY_KINDS: readonly string[] = ['call', 'email', 'meeting'];

/** Why every speed-to-lead figure is null on a portal where no activity was ever synced. */
export const NO_SALES_ACTIVITY_REASON = 'no calls, emails or meetings synced';

/** The target the share is measured against, in minutes (inclusive). */
export const ANSWER_TARGET_MINUTES = 5;

export interface SpeedToLeadInput {
  readonly contacts: readonly Contact[];
  /** Every activity synced for the portal (of any kind; only sales kinds count). */
  readonly activities: readonly Activity[];
  /** Every meeting synced for the portal (the first one ends the follow-ups). */
  readonly meetings: readonly Meeting[];
  readonly period: Period;
  /** Computation time: leads younger than the target without an answer are not judged yet. */
  readonly now: EpochMs;
  /** Overrides `SALES_ACTIVITY_KINDS`. */
  readonly salesActivityKinds?: readonly string[];
}

export interface LeadResponse {
  readonly contactId: string;
  /** `first_conversion_date` when set, else `createdate`. */
  readonly clockStartedAt: EpochMs;
  readonly startedFrom: 'formConversion' | 'createdate';
  readonly firstActivityId: string | null;
  readonly minutesToFirstActivity: number | null;
  readonly firstMeetingId: string | null;
  /** Sales activities other than meetings from the clock start until the first meeting was booked. */
  readonly followUpsBeforeFirstMeeting: number | null;
  readonly followUpIds: readonly string[];
}

export interface SpeedToLead {
  readonly period: Period;
  /** Over answered leads; samples keyed by contact id. */
  readonly minutesToFirstActivity: DistributionSummary;
  /** Leads answered within 5 minutes ÷ all leads of the period (not answered yet = not answered). */
  readonly shareWithinTarget: KpiResult<RateInputs>;
  /** Leads answered at all (ids of the answered leads). */
  readonly answered: KpiResult<CountInputs>;
  /** Over leads that have booked a meeting; samples keyed by contact id. */
  readonly followUpsBeforeFirstMeeting: DistributionSummary;
  readonly leads: readonly LeadResponse[];
}

function groupByContact<T>(items: readonly T[], getIds: (item: T) => readonly string[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    for (const id of getIds(item)) {
      const list = map.get(id);
      if (list === undefined) map.set(id, [item]);
      else list.push(item);
    }
  }
  return map;
}

/**
 * Speed to lead for leads whose clock started in `period` (and not after `now`):
 * - clock start: the contact's first form conversion (`first_conversion_date`) when it has one,
 *   else `createdate`, so an old imported contact that converts today is timed from today;
 * - first sales activity: the earliest activity of a `SALES_ACTIVITY_KINDS` kind at or after the
 *   clock start (earlier prospecting does not answer the lead); minutes = Δt ÷ 60 000 ms;
 * - share within target: answered within ≤ 5 minutes ÷ all leads of the period (a lead without
 *   an activity yet counts as not answered); null when the period has no lead;
 * - answered: the leads with a first sales activity;
 * - follow-ups: sales activities other than meetings in [clock start, first meeting booked), the
 *   first meeting being the earliest non-deleted meeting booked (`hs_createdate`) at or after the
 *   clock start; leads without a meeting are not samples.
 * Deleted contacts are ignored. Empty populations give null statistics with a reason. When the
 * portal has no activity and no meeting at all, every figure is null with
 * `NO_SALES_ACTIVITY_REASON` ("0 % answered" would be a claim about activities never seen).
 */
export function computeSpeedToLead(input: SpeedToLeadInput): SpeedToLead {
  const kinds = new Set(input.salesActivityKinds ?? SALES_ACTIVITY_KINDS);
  const activities = groupByContact(
    input.activities.filter((a) => kinds.has(a.kind)),
    (a) => [a.contactId],
  );
  const meetings = groupByContact(
    input.meetings.filter((m) => !m.deleted),
    (m) => m.contactIds,
  );
  const leads: LeadResponse[] = [];
  const minuteSamples: Sample[] = [];
  const followUpSamples: Sample[] = [];
  const leadIds: string[] = [];
  const answeredIds: string[] = [];
  const withinTarget: string[] = [];
  for (const contact of input.contacts) {
    if (contact.deleted) continue;
    const clockStartedAt = contact.firstConversionAt ?? contact.createdAt;
    if (!isWithinPeriod(clockStartedAt, input.period) || clockStartedAt > input.now) continue;
    const own = (activities.get(contact.id) ?? [])
      .filter((a) => a.at >= clockStartedAt && a.at <= input.now)
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const first = own[0];
    const minutes = first === undefined ? null : (first.at - clockStartedAt) / MS_PER_MINUTE;
    leadIds.push(contact.id);
    if (minutes !== null) {
      minuteSamples.push({ id: contact.id, value: minutes });
      answeredIds.push(contact.id);
      if (minutes <= ANSWER_TARGET_MINUTES) withinTarget.push(contact.id);
    }
    const meeting = (meetings.get(contact.id) ?? [])
      .filter((m) => m.createdAt >= clockStartedAt && m.createdAt <= input.now)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
    const followUps =
      meeting === undefined ? [] : own.filter((a) => a.kind !== 'meeting' && a.at < meeting.createdAt);
    if (meeting !== undefined) followUpSamples.push({ id: contact.id, value: followUps.length });
    leads.push({
      contactId: contact.id,
      clockStartedAt,
      startedFrom: contact.firstConversionAt !== null ? 'formConversion' : 'createdate',
      firstActivityId: first?.id ?? null,
      minutesToFirstActivity: minutes,
      firstMeetingId: meeting?.id ?? null,
      followUpsBeforeFirstMeeting: meeting === undefined ? null : followUps.length,
      followUpIds: followUps.map((a) => a.id),
    });
  }
  if (input.activities.length === 0 && input.meetings.length === 0) {
    const none = summarizeSamples([], NO_SALES_ACTIVITY_REASON);
    return {
      period: input.period,
      minutesToFirstActivity: none,
      shareWithinTarget: makeUnknown(NO_SALES_ACTIVITY_REASON, {
        numerator: 0,
        denominator: leadIds.length,
        numeratorIds: [],
        denominatorIds: leadIds,
      }),
      answered: makeUnknown(NO_SALES_ACTIVITY_REASON, { count: 0, ids: [] }),
      followUpsBeforeFirstMeeting: none,
      leads,
    };
  }
  return {
    period: input.period,
    minutesToFirstActivity: summarizeSamples(minuteSamples, 'no lead in period has had a sales activity'),
    shareWithinTarget: computeRate(withinTarget, leadIds, 'no leads in period'),
    answered: countRecords(answeredIds),
    followUpsBeforeFirstMeeting: summarizeSamples(followUpSamples, 'no lead in period has booked a meeting'),
    leads,
  };
}
