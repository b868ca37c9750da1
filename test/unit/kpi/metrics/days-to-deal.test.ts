import {
  computeDaysToDeal,
  computeDealCycle,
  computeMedianDaysInStages,
  describeOpenDeal,
  listCustomerDaysToDeal,
} from '../../../../src/kpi/models/metrics/days-to-deal';
import { ALL_SOURCES, NO_SOURCE } from '../../../../src/kpi/models/metrics/source';
import { getReason } from '../../../../src/kpi/models/metrics/stats';
import type { Contact, Deal } from '../../../../src/kpi/models/metrics/types';
import { CUSTOM_PIPELINE, DAY, DEFAULT_PIPELINE, at, makeContact, makeDeal, month, stages } from './fixtures';

const T0 = at('2026-01-01T00:00:00Z');
const day = (n: number) => T0 + n * DAY;

describe('listCustomerDaysToDeal', () => {
  const contacts: Contact[] = [
    makeContact({ id: 'visit', firstVisitAt: day(0), createdAt: day(10) }),
    makeContact({ id: 'created', firstVisitAt: null, createdAt: day(5) }),
    makeContact({ id: 'two-deals', firstVisitAt: day(1) }),
    makeContact({ id: 'late-visit', firstVisitAt: day(50) }),
    makeContact({ id: 'no-won', firstVisitAt: day(0) }),
    makeContact({ id: 'gone', firstVisitAt: day(0), deleted: true }),
  ];
  const deals: Deal[] = [
    makeDeal({ id: 'w1', stageId: 'closedwon', closedAt: day(30), contactIds: ['visit', 'created'] }),
    makeDeal({ id: 'w2', stageId: 'closedwon', closedAt: day(40), contactIds: ['two-deals'] }),
    makeDeal({
      id: 'w3',
      stageId: 'closedwon',
      closedAt: day(20),
      contactIds: ['two-deals', 'late-visit', 'gone'],
    }),
    makeDeal({ id: 'lost', stageId: 'closedlost', closedAt: day(2), contactIds: ['no-won'] }),
    makeDeal({ id: 'orphan', stageId: 'closedwon', closedAt: day(3), contactIds: [] }),
    // Custom pipeline: metadata says lost despite the id.
    makeDeal({
      id: 'lookalike',
      pipelineId: CUSTOM_PIPELINE.id,
      stageId: 'closedwon_lookalike',
      isWon: true,
      closedAt: day(4),
      contactIds: ['no-won'],
    }),
  ];
  const r = listCustomerDaysToDeal({ contacts, deals, pipelines: [DEFAULT_PIPELINE, CUSTOM_PIPELINE] });

  it.each<[string, string, 'firstVisit' | 'createdate', number]>([
    ['visit', 'w1', 'firstVisit', 30],
    ['created', 'w1', 'createdate', 25],
    ['two-deals', 'w3', 'firstVisit', 19], // the first won deal by close date, not by list order
  ])('%s → deal %s from %s: %d days', (contactId, dealId, from, days) => {
    const c = r.customers.find((x) => x.contactId === contactId)!;
    expect(c).toMatchObject({ dealId, startedFrom: from, days });
  });

  it('leaves out non-customers and deleted contacts, and reports what it could not measure', () => {
    expect(r.customers.map((c) => c.contactId).sort()).toEqual(['created', 'two-deals', 'visit']);
    expect(r.excluded).toEqual([
      { id: 'orphan', reason: 'won deal without contact' },
      { id: 'late-visit', reason: 'firstVisit after the close of deal w3' },
    ]);
  });
});

describe('computeDaysToDeal', () => {
  // Ten ORGANIC customers closing in March with 1..10 days, one PAID in February.
  const contacts = [
    ...Array.from({ length: 10 }, (_, i) =>
      makeContact({ id: `o${i + 1}`, source: 'ORGANIC_SEARCH', firstVisitAt: at('2026-03-01T00:00:00Z') }),
    ),
    makeContact({ id: 'p1', source: 'PAID_SEARCH', firstVisitAt: at('2026-02-01T00:00:00Z') }),
    makeContact({ id: 'n1', source: null, firstVisitAt: at('2026-03-01T00:00:00Z') }),
  ];
  const deals = [
    ...Array.from({ length: 10 }, (_, i) =>
      makeDeal({
        id: `d${i + 1}`,
        stageId: 'closedwon',
        closedAt: at('2026-03-01T00:00:00Z') + (i + 1) * DAY,
        contactIds: [`o${i + 1}`],
      }),
    ),
    makeDeal({ id: 'dp', stageId: 'closedwon', closedAt: at('2026-02-03T00:00:00Z'), contactIds: ['p1'] }),
    makeDeal({ id: 'dn', stageId: 'closedwon', closedAt: at('2026-03-05T00:00:00Z'), contactIds: ['n1'] }),
  ];

  it('mean, median and p90 (PERCENTILE.INC) per source for the close month', () => {
    const r = computeDaysToDeal({ contacts, deals, pipelines: [DEFAULT_PIPELINE], period: month('2026-03') });
    const organic = r.bySource.find((x) => x.source === 'ORGANIC_SEARCH')!.days;
    expect(organic.count).toBe(10);
    expect(organic.mean.value).toBe(5.5);
    expect(organic.median.value).toBe(5.5);
    expect(organic.p90.value).toBeCloseTo(9.1, 12);
    expect(organic.p90.inputs.samples.map((s) => s.id)).toContain('o10');
    expect(r.bySource.map((x) => x.source)).toEqual([NO_SOURCE, 'ORGANIC_SEARCH']);
    expect(r.total.source).toBe(ALL_SOURCES);
    expect(r.total.days.count).toBe(11);
  });

  it('an empty close month is null with a reason', () => {
    const r = computeDaysToDeal({ contacts, deals, pipelines: [DEFAULT_PIPELINE], period: month('2026-05') });
    expect(r.bySource).toEqual([]);
    expect(getReason(r.total.days.median)).toBe('no customer closed a first deal in period');
  });

  it('close month follows the portal time zone', () => {
    // Closed 31 March 23:30 UTC = 1 April in Berlin.
    const late = [
      makeDeal({
        id: 'late',
        stageId: 'closedwon',
        closedAt: at('2026-03-31T23:30:00Z'),
        contactIds: ['o1'],
      }),
    ];
    const april = computeDaysToDeal({
      contacts,
      deals: late,
      pipelines: [DEFAULT_PIPELINE],
      period: month('2026-04', 'Europe/Berlin'),
    });
    expect(april.total.days.count).toBe(1);
  });
});

describe('computeDealCycle', () => {
  const deal = makeDeal({ id: 'd', stageId: 'closedwon', createdAt: day(0), closedAt: day(20) });
  const changes = [
    ...stages(
      'd',
      ['appointmentscheduled', '2026-01-01T00:00:00Z'],
      ['presentationscheduled', '2026-01-03T00:00:00Z'], // skips qualifiedtobuy
      ['appointmentscheduled', '2026-01-06T00:00:00Z'], // moved back
      ['contractsent', '2026-01-07T00:00:00Z'],
      ['closedwon', '2026-01-21T00:00:00Z'],
    ),
    ...stages('other-deal', ['qualifiedtobuy', '2026-01-01T00:00:00Z']),
  ];

  it('days to close and days in every stage, skipped stages at 0, repeated stays added', () => {
    const r = computeDealCycle({ deal, stageChanges: changes, pipeline: DEFAULT_PIPELINE, now: day(100) });
    expect(r.daysToClose.value).toBe(20);
    expect(r.stages).toEqual([
      { stageId: 'appointmentscheduled', days: 3, passed: true, skipped: false, current: false },
      { stageId: 'qualifiedtobuy', days: 0, passed: true, skipped: true, current: false },
      { stageId: 'presentationscheduled', days: 3, passed: true, skipped: false, current: false },
      { stageId: 'decisionmakerboughtin', days: 0, passed: true, skipped: true, current: false },
      { stageId: 'contractsent', days: 14, passed: true, skipped: false, current: false },
      { stageId: 'closedwon', days: null, passed: true, skipped: false, current: true },
      { stageId: 'closedlost', days: null, passed: false, skipped: false, current: false },
    ]);
  });

  it.each<[string, Deal, string]>([
    ['open', makeDeal({ id: 'd', createdAt: day(0) }), 'deal is open'],
    [
      'no closedate',
      makeDeal({ id: 'd', stageId: 'closedlost', closedAt: null }),
      'closed deal without closedate',
    ],
    [
      'closed before created',
      makeDeal({ id: 'd', stageId: 'closedwon', createdAt: day(5), closedAt: day(1) }),
      'closedate before createdate',
    ],
  ])('days to close unknown when %s', (_name, d, reason) => {
    expect(
      getReason(
        computeDealCycle({ deal: d, stageChanges: [], pipeline: DEFAULT_PIPELINE, now: day(9) }).daysToClose,
      ),
    ).toBe(reason);
  });

  it('counts an open deal’s current stay up to now', () => {
    const open = makeDeal({ id: 'o', stageId: 'qualifiedtobuy', createdAt: day(0) });
    const r = computeDealCycle({
      deal: open,
      stageChanges: stages(
        'o',
        ['appointmentscheduled', '2026-01-01T00:00:00Z'],
        ['qualifiedtobuy', '2026-01-02T00:00:00Z'],
      ),
      pipeline: DEFAULT_PIPELINE,
      now: day(5.5),
    });
    expect(r.stages.find((s) => s.stageId === 'qualifiedtobuy')).toEqual({
      stageId: 'qualifiedtobuy',
      days: 4.5,
      passed: true,
      skipped: false,
      current: true,
    });
  });
});

describe('deal card: describeOpenDeal with the pipeline medians', () => {
  const peers: Deal[] = ['a', 'b', 'c'].map((id) =>
    makeDeal({ id, stageId: 'presentationscheduled', createdAt: day(0) }),
  );
  const peerChanges = [
    ...stages(
      'a',
      ['qualifiedtobuy', '2026-01-01T00:00:00Z'],
      ['presentationscheduled', '2026-01-03T00:00:00Z'],
    ),
    ...stages(
      'b',
      ['qualifiedtobuy', '2026-01-01T00:00:00Z'],
      ['presentationscheduled', '2026-01-05T00:00:00Z'],
    ),
    ...stages(
      'c',
      ['qualifiedtobuy', '2026-01-01T00:00:00Z'],
      ['presentationscheduled', '2026-01-11T00:00:00Z'],
    ),
    // The deal on the card: still in qualifiedtobuy since 2 January.
    ...stages(
      'card',
      ['appointmentscheduled', '2026-01-01T00:00:00Z'],
      ['qualifiedtobuy', '2026-01-02T00:00:00Z'],
    ),
  ];
  const card = makeDeal({ id: 'card', stageId: 'qualifiedtobuy', createdAt: day(0) });
  const now = day(7);
  const medians = computeMedianDaysInStages({
    pipeline: DEFAULT_PIPELINE,
    deals: [...peers, card],
    stageChanges: peerChanges,
    now,
  });

  it('medians use completed stays only; stages nobody left are null', () => {
    const q = medians.get('qualifiedtobuy')!;
    expect(q.value).toBe(4); // 2, 4, 10 days; the card's ongoing stay is not a sample
    expect(q.inputs.samples.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(medians.get('appointmentscheduled')!.value).toBe(1);
    expect(getReason(medians.get('presentationscheduled')!)).toBe(
      'no deal has left stage presentationscheduled yet',
    );
    expect(medians.has('closedwon')).toBe(false);
  });

  it('shows age, days in current stage and the median for that stage', () => {
    const view = describeOpenDeal({
      deal: card,
      stageChanges: peerChanges,
      pipeline: DEFAULT_PIPELINE,
      medians,
      now,
    });
    expect(view.ageDays.value).toBe(7);
    expect(view.daysInCurrentStage).toEqual({ value: 6, inputs: { enteredAt: day(1) } });
    expect(view.medianDaysInStage.value).toBe(4);
  });

  it.each<[string, Deal, string]>([
    ['closed', makeDeal({ id: 'card', stageId: 'closedwon' }), 'deal is closed'],
    ['deleted', { ...card, deleted: true }, 'deal is deleted'],
  ])('a %s deal gets nulls with the reason', (_n, d, reason) => {
    const view = describeOpenDeal({
      deal: d,
      stageChanges: peerChanges,
      pipeline: DEFAULT_PIPELINE,
      medians,
      now,
    });
    expect(getReason(view.ageDays)).toBe(reason);
    expect(getReason(view.daysInCurrentStage)).toBe(reason);
  });

  it('history that has not caught up with the current stage: days in stage unknown', () => {
    const moved = { ...card, stageId: 'contractsent' };
    const view = describeOpenDeal({
      deal: moved,
      stageChanges: peerChanges,
      pipeline: DEFAULT_PIPELINE,
      medians,
      now,
    });
    expect(getReason(view.daysInCurrentStage)).toBe('stage history does not reach the current stage yet');
    expect(getReason(view.medianDaysInStage)).toBe('no deal has left stage contractsent yet');
  });
});
