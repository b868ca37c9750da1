import fc from 'fast-check';

import { computeMeetingsBooked } from '../../../../src/kpi/models/metrics/meetings-booked';
import { ALL_SOURCES, NO_SOURCE } from '../../../../src/kpi/models/metrics/source';
import { DAY, at, makeContact, makeMeeting, month } from './fixtures';

describe('computeMeetingsBooked', () => {
  const contacts = [
    makeContact({ id: 'c1', source: 'ORGANIC_SEARCH' }),
    makeContact({ id: 'c2', source: null }),
    makeContact({ id: 'c3', source: 'PAID_SEARCH', deleted: true, createdAt: at('2026-01-01T00:00:00Z') }),
    makeContact({ id: 'c4', source: 'PAID_SOCIAL', createdAt: at('2026-02-01T00:00:00Z') }),
  ];
  const meetings = [
    makeMeeting({ id: 'm1', contactIds: ['c1'], createdAt: at('2026-03-05T10:00:00Z') }),
    makeMeeting({ id: 'm2', contactIds: ['c2'], createdAt: at('2026-03-06T10:00:00Z') }),
    makeMeeting({ id: 'm3', contactIds: [], createdAt: at('2026-03-07T10:00:00Z') }),
    makeMeeting({ id: 'm4', contactIds: ['c3'], createdAt: at('2026-03-08T10:00:00Z') }),
    makeMeeting({ id: 'm5', contactIds: ['c1'], source: 'CRM_UI', createdAt: at('2026-03-09T10:00:00Z') }),
    makeMeeting({ id: 'm6', contactIds: ['c1'], deleted: true, createdAt: at('2026-03-09T10:00:00Z') }),
    // Booked in February for a March date: counted in February.
    makeMeeting({
      id: 'm7',
      contactIds: ['c1'],
      createdAt: at('2026-02-28T10:00:00Z'),
      at: at('2026-03-03T10:00:00Z'),
    }),
    // 31 March 23:00 UTC is 1 April in Berlin.
    makeMeeting({ id: 'm8', contactIds: ['c1'], createdAt: at('2026-03-31T23:00:00Z') }),
    // Of several contacts, the booking contact is the one created first (c4), wherever it is listed,
    makeMeeting({ id: 'm9', contactIds: ['c1', 'c4'], createdAt: at('2026-03-10T10:00:00Z') }),
    makeMeeting({ id: 'm10', contactIds: ['unknown-contact'], createdAt: at('2026-03-10T10:00:00Z') }),
    // a deleted contact takes no part (c3 was created before c4),
    makeMeeting({ id: 'm11', contactIds: ['c3', 'c4'], createdAt: at('2026-03-11T10:00:00Z') }),
    // and of contacts created at the same instant, the lowest id (c1).
    makeMeeting({ id: 'm12', contactIds: ['c2', 'c1'], createdAt: at('2026-03-12T10:00:00Z') }),
  ];

  it.each<[string, string, string[]]>([
    ['UTC', ALL_SOURCES, ['m1', 'm2', 'm3', 'm4', 'm8', 'm9', 'm10', 'm11', 'm12']],
    ['UTC', 'ORGANIC_SEARCH', ['m1', 'm8', 'm12']],
    ['UTC', NO_SOURCE, ['m2', 'm3', 'm4', 'm10']],
    ['UTC', 'PAID_SOCIAL', ['m9', 'm11']],
    ['Europe/Berlin', 'ORGANIC_SEARCH', ['m1', 'm12']],
  ])('%s %s: %j', (zone, source, ids) => {
    const r = computeMeetingsBooked({ meetings, contacts, period: month('2026-03', zone) });
    const row = source === ALL_SOURCES ? r.total : r.bySource.find((x) => x.source === source)!;
    expect(row.meetings).toEqual({ value: ids.length, inputs: { ids } });
  });

  it('an empty period is a known 0', () => {
    const r = computeMeetingsBooked({ meetings, contacts, period: month('2026-05') });
    expect(r.total.meetings.value).toBe(0);
    expect(r.bySource).toEqual([]);
  });

  it('per-source counts add up to the total (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            contact: fc.option(fc.constantFrom('c1', 'c2', 'c3', 'c4', 'zz'), { nil: undefined }),
            source: fc.constantFrom('MEETINGS_PUBLIC', 'CRM_UI', null),
            day: fc.integer({ min: 0, max: 60 }),
          }),
          { maxLength: 30 },
        ),
        (raw) => {
          const ms = raw.map((x, i) =>
            makeMeeting({
              id: `m${i}`,
              contactIds: x.contact === undefined ? [] : [x.contact],
              source: x.source,
              createdAt: at('2026-02-15T00:00:00Z') + x.day * DAY,
            }),
          );
          const r = computeMeetingsBooked({ meetings: ms, contacts, period: month('2026-03') });
          expect(r.bySource.reduce((a, x) => a + x.meetings.value!, 0)).toBe(r.total.meetings.value);
        },
      ),
    );
  });
});
