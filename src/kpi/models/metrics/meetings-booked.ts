/**
 * Business generation (the "what does marketing deliver?" question): meetings booked on the web,
 * i.e. meetings whose `hs_meeting_source` is `MEETINGS_PUBLIC`, per period and per original
 * source of the booking contact.
 */

import { selectLeadContact } from './lead-contact';
import type { Period } from './period';
import { isWithinPeriod } from './period';
import { ALL_SOURCES, groupBySource, listBuckets } from './source';
import type { CountInputs, KpiResult } from './stats';
import { countRecords } from './stats';
import type { Contact, Meeting } from './types';

export const WEB_MEETING_SOURCE = 'MEETINGS_PUBLIC';

export interface MeetingsBookedRow {
  readonly source: string;
  /** Meeting ids. */
  readonly meetings: KpiResult<CountInputs>;
}

export interface MeetingsBooked {
  readonly period: Period;
  readonly bySource: readonly MeetingsBookedRow[];
  /** Equal to the sum of the rows. */
  readonly total: MeetingsBookedRow;
}

/**
 * Count of non-deleted meetings with `hs_meeting_source = MEETINGS_PUBLIC` booked
 * (`hs_createdate`) in the period, per original source of the booking contact: of a meeting with
 * several contacts, its lead contact (`selectLeadContact`: the associated live contact created
 * first, ties to the lowest id). A meeting without a live contact is kept, in the `NO_SOURCE`
 * bucket. Counts are 0 when nothing was booked.
 */
export function computeMeetingsBooked(input: {
  readonly meetings: readonly Meeting[];
  readonly contacts: readonly Contact[];
  readonly period: Period;
}): MeetingsBooked {
  const contacts = new Map(input.contacts.filter((c) => !c.deleted).map((c) => [c.id, c]));
  const booked = input.meetings.filter(
    (m) => !m.deleted && m.source === WEB_MEETING_SOURCE && isWithinPeriod(m.createdAt, input.period),
  );
  const bySource = groupBySource(booked, (m) => selectLeadContact(m.contactIds, contacts)?.source ?? null);
  return {
    period: input.period,
    bySource: listBuckets(bySource).map((source) => ({
      source,
      meetings: countRecords((bySource.get(source) ?? []).map((m) => m.id)),
    })),
    total: { source: ALL_SOURCES, meetings: countRecords(booked.map((m) => m.id)) },
  };
}
