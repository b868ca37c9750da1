import {
  NO_SALES_ACTIVITY_REASON,
  SALES_ACTIVITY_KINDS,
  computeSpeedToLead,
} from '../../../../src/kpi/models/metrics/speed-to-lead';
import { getReason } from '../../../../src/kpi/models/metrics/stats';
import type { KpiResult } from '../../../../src/kpi/models/metrics/stats';
import { activity, at, makeContact, makeMeeting, month } from './fixtures';

describe('computeSpeedToLead', () => {
  const contacts = [
    makeContact({ id: 'L1', createdAt: at('2026-03-02T10:00:00Z') }),
    makeContact({ id: 'L2', createdAt: at('2026-03-03T10:00:00Z') }),
    makeContact({ id: 'L3', createdAt: at('2026-03-04T10:00:00Z') }),
    makeContact({ id: 'L4', createdAt: at('2026-03-05T10:00:00Z') }),
    makeContact({ id: 'L5', createdAt: at('2026-03-31T11:58:00Z') }),
    // Imported last year; converts on a form in March: the clock starts at the form.
    makeContact({
      id: 'L6',
      createdAt: at('2025-06-01T10:00:00Z'),
      firstConversionAt: at('2026-03-06T10:00:00Z'),
    }),
    makeContact({ id: 'L7', createdAt: at('2026-03-06T10:00:00Z'), deleted: true }),
    makeContact({ id: 'L8', createdAt: at('2026-02-28T10:00:00Z') }),
    makeContact({ id: 'L9', createdAt: at('2026-03-07T10:00:00Z') }),
  ];
  const activities = [
    activity('a1', 'L1', 'call', '2026-03-02T10:03:00Z'),
    activity('a2', 'L1', 'email', '2026-03-03T09:00:00Z'),
    activity('a3', 'L1', 'meeting', '2026-03-05T09:00:00Z'),
    activity('a4', 'L2', 'email', '2026-03-03T10:05:00Z'),
    activity('a5', 'L3', 'note', '2026-03-04T10:01:00Z'),
    activity('a6', 'L3', 'task', '2026-03-04T10:02:00Z'),
    activity('a7', 'L3', 'email', '2026-03-04T10:07:00Z'),
    activity('a8', 'L6', 'call', '2025-06-02T10:00:00Z'),
    activity('a9', 'L6', 'call', '2026-03-06T10:01:00Z'),
    activity('a10', 'L7', 'call', '2026-03-06T10:01:00Z'),
    activity('a11', 'L9', 'incoming_email', '2026-03-07T10:01:00Z'),
    activity('a12', 'L9', 'call', '2026-03-07T10:30:00Z'),
  ];
  const meetings = [
    makeMeeting({ id: 'm1', contactIds: ['L1'], createdAt: at('2026-03-04T12:00:00Z') }),
    makeMeeting({ id: 'm2', contactIds: ['L3'], createdAt: at('2026-03-01T12:00:00Z') }),
    makeMeeting({ id: 'm3', contactIds: ['L6'], createdAt: at('2026-03-06T10:01:00Z') }),
    makeMeeting({ id: 'm4', contactIds: ['L9'], createdAt: at('2026-03-08T10:00:00Z'), deleted: true }),
  ];
  const r = computeSpeedToLead({
    contacts,
    activities,
    meetings,
    period: month('2026-03'),
    now: at('2026-03-31T12:00:00Z'),
  });
  const lead = (id: string) => r.leads.find((l) => l.contactId === id);

  it.each<[string, string | null, number | null]>([
    ['L1', 'a1', 3],
    ['L2', 'a4', 5],
    ['L3', 'a7', 7], // notes and tasks are not sales activities
    ['L4', null, null],
    ['L5', null, null],
    ['L6', 'a9', 1], // prospecting before the clock started does not answer the lead
    ['L9', 'a12', 30], // an incoming email is the lead's move, not ours
  ])('%s: first activity %s after %s minutes', (id, activityId, minutes) => {
    expect(lead(id)).toMatchObject({ firstActivityId: activityId, minutesToFirstActivity: minutes });
  });

  it('leaves out deleted contacts and leads outside the period', () => {
    expect(r.leads.map((l) => l.contactId)).toEqual(['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L9']);
    expect(lead('L6')!.startedFrom).toBe('formConversion');
    expect(lead('L1')!.startedFrom).toBe('createdate');
  });

  it('summarises minutes over answered leads', () => {
    expect(r.minutesToFirstActivity.count).toBe(5);
    expect(r.minutesToFirstActivity.mean.value).toBeCloseTo(46 / 5, 12);
    expect(r.minutesToFirstActivity.median.value).toBe(5);
    expect(r.minutesToFirstActivity.p90.value).toBeCloseTo(20.8, 12);
  });

  it('share within 5 minutes (inclusive) over all leads of the period, and how many were answered', () => {
    expect(r.shareWithinTarget.value).toBe(3 / 7);
    expect(r.shareWithinTarget.inputs.numeratorIds).toEqual(['L1', 'L2', 'L6']);
    // L5 arrived 2 minutes before now without an answer: it counts as not answered (the spec).
    expect(r.shareWithinTarget.inputs.denominatorIds).toEqual(['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L9']);
    expect(r.answered.value).toBe(5);
    expect(r.answered.inputs.ids).toEqual(['L1', 'L2', 'L3', 'L6', 'L9']);
  });

  it('a portal without any activity or meeting gets null with the reason, never 0 %', () => {
    const none = computeSpeedToLead({
      contacts,
      activities: [],
      meetings: [],
      period: month('2026-03'),
      now: at('2026-03-31T12:00:00Z'),
    });
    for (const figure of [
      none.shareWithinTarget,
      none.answered,
      none.minutesToFirstActivity.median,
      none.followUpsBeforeFirstMeeting.mean,
    ] as KpiResult<unknown>[])
      expect(getReason(figure)).toBe(NO_SALES_ACTIVITY_REASON);
  });

  it('follow-ups before the first meeting booked after the clock started', () => {
    expect(lead('L1')).toMatchObject({
      firstMeetingId: 'm1',
      followUpsBeforeFirstMeeting: 2,
      followUpIds: ['a1', 'a2'],
    });
    expect(lead('L3')).toMatchObject({ firstMeetingId: null, followUpsBeforeFirstMeeting: null });
    expect(lead('L6')).toMatchObject({ firstMeetingId: 'm3', followUpsBeforeFirstMeeting: 0 });
    expect(lead('L9')).toMatchObject({ firstMeetingId: null }); // its meeting was deleted
    expect(r.followUpsBeforeFirstMeeting.count).toBe(2);
    expect(r.followUpsBeforeFirstMeeting.median.value).toBe(1);
  });

  it('an empty period is null with reasons', () => {
    const empty = computeSpeedToLead({
      contacts,
      activities,
      meetings,
      period: month('2026-01'),
      now: at('2026-03-31T12:00:00Z'),
    });
    expect(getReason(empty.minutesToFirstActivity.median)).toBe('no lead in period has had a sales activity');
    expect(getReason(empty.shareWithinTarget)).toBe('no leads in period');
    expect(empty.answered.value).toBe(0);
    expect(getReason(empty.followUpsBeforeFirstMeeting.mean)).toBe('no lead in period has booked a meeting');
  });

  it('the list of sales activity kinds can be replaced per portal', () => {
    expect(SALES_ACTIVITY_KINDS).not.toContain('note');
    const withNotes = computeSpeedToLead({
      contacts,
      activities,
      meetings,
      period: month('2026-03'),
      now: at('2026-03-31T12:00:00Z'),
      salesActivityKinds: [...SALES_ACTIVITY_KINDS, 'note'],
    });
    expect(withNotes.leads.find((l) => l.contactId === 'L3')!.minutesToFirstActivity).toBe(1);
  });
});
