import fc from 'fast-check';

import {
  buildDealTimeline,
  buildLifecycleTimeline,
  buildStageCatalog,
  buildTimeline,
  classifyStage,
  computeDealStageEntries,
  computeLifecycleEntries,
  findStageAt,
  getDealOutcome,
  listOpenStages,
  listStays,
} from '../../../../src/kpi/models/metrics/stage-history';
import { DEFAULT_LIFECYCLE_ORDER } from '../../../../src/kpi/models/metrics/lifecycle';
import { CUSTOM_PIPELINE, DEFAULT_PIPELINE, at, makeContact, makeDeal, stages } from './fixtures';

describe('findStageAt', () => {
  const timeline = buildTimeline([
    { stage: 'lead', at: 100 },
    { stage: 'customer', at: 300 },
    { stage: 'opportunity', at: 200 },
    { stage: null, at: 400 },
    { stage: 'evangelist', at: 500 },
    { stage: 'other', at: 500 },
  ]);
  it.each<[number, string | null]>([
    [99, null], // before any history
    [100, 'lead'], // at or before: inclusive
    [199, 'lead'],
    [200, 'opportunity'], // input order did not matter
    [350, 'customer'],
    [400, null], // value cleared
    [500, 'other'], // same instant: the later entry in input order wins
    [10_000, 'other'],
  ])('at %d → %s', (t, stage) => {
    expect(findStageAt(timeline, t)).toBe(stage);
  });
});

describe('stage outcomes come from metadata, never names', () => {
  it.each([
    [{ id: 'x', displayOrder: 0, isClosed: false, probability: 1 }, 'open'],
    [{ id: 'closedlost', displayOrder: 0, isClosed: true, probability: 1 }, 'won'],
    [{ id: 'closedwon', displayOrder: 0, isClosed: true, probability: 0 }, 'lost'],
    [{ id: 'x', displayOrder: 0, isClosed: true, probability: null }, 'lost'],
  ] as const)('%o → %s', (stage, outcome) => {
    expect(classifyStage(stage)).toBe(outcome);
  });

  it('uses the deal flags only when the stage is missing from the pipelines', () => {
    const catalog = buildStageCatalog([DEFAULT_PIPELINE, CUSTOM_PIPELINE]);
    expect(
      getDealOutcome(makeDeal({ id: 'd', pipelineId: CUSTOM_PIPELINE.id, stageId: '1900' }), catalog),
    ).toBe('won');
    expect(
      getDealOutcome(
        makeDeal({
          id: 'd',
          pipelineId: CUSTOM_PIPELINE.id,
          stageId: 'closedwon_lookalike',
          isWon: true,
          isClosed: true,
        }),
        catalog,
      ),
    ).toBe('lost');
    expect(getDealOutcome(makeDeal({ id: 'd', stageId: 'gone', isClosed: true, isWon: true }), catalog)).toBe(
      'won',
    );
    expect(getDealOutcome(makeDeal({ id: 'd', stageId: 'gone', isClosed: true }), catalog)).toBe('lost');
    expect(getDealOutcome(makeDeal({ id: 'd', stageId: 'gone' }), catalog)).toBe('open');
  });

  it('sorts open stages by displayOrder, not by listing order', () => {
    expect(listOpenStages(CUSTOM_PIPELINE).map((s) => s.id)).toEqual(['1001', '1002', '1003']);
  });
});

describe('computeDealStageEntries (skip rule)', () => {
  const entriesOf = (history: [string, string][], pipeline = DEFAULT_PIPELINE) => {
    const deal = makeDeal({ id: 'd', pipelineId: pipeline.id });
    const map = computeDealStageEntries(buildDealTimeline(deal, stages('d', ...history)), pipeline);
    return Object.fromEntries([...map].map(([k, v]) => [k, new Date(v).toISOString().slice(0, 10)]));
  };

  it.each<[string, [string, string][], Record<string, string>]>([
    [
      'a skipped stage is passed when the later one is entered',
      [
        ['appointmentscheduled', '2026-03-01'],
        ['decisionmakerboughtin', '2026-03-05'],
      ],
      {
        appointmentscheduled: '2026-03-01',
        qualifiedtobuy: '2026-03-05',
        presentationscheduled: '2026-03-05',
        decisionmakerboughtin: '2026-03-05',
      },
    ],
    [
      'a deal created in a later stage passed the earlier ones at creation',
      [['presentationscheduled', '2026-03-02']],
      {
        appointmentscheduled: '2026-03-02',
        qualifiedtobuy: '2026-03-02',
        presentationscheduled: '2026-03-02',
      },
    ],
    [
      'won passes every open stage',
      [
        ['qualifiedtobuy', '2026-03-01'],
        ['closedwon', '2026-03-09'],
      ],
      {
        appointmentscheduled: '2026-03-01',
        qualifiedtobuy: '2026-03-01',
        presentationscheduled: '2026-03-09',
        decisionmakerboughtin: '2026-03-09',
        contractsent: '2026-03-09',
        closedwon: '2026-03-09',
      },
    ],
    [
      'lost passes nothing beyond what was reached, although closedlost sorts last',
      [
        ['appointmentscheduled', '2026-03-01'],
        ['closedlost', '2026-03-04'],
      ],
      { appointmentscheduled: '2026-03-01', closedlost: '2026-03-04' },
    ],
    [
      'moving back keeps the first entry',
      [
        ['presentationscheduled', '2026-03-01'],
        ['appointmentscheduled', '2026-03-02'],
        ['presentationscheduled', '2026-03-03'],
      ],
      {
        appointmentscheduled: '2026-03-01',
        qualifiedtobuy: '2026-03-01',
        presentationscheduled: '2026-03-01',
      },
    ],
  ])('%s', (_name, history, expected) => {
    expect(entriesOf(history)).toEqual(expected);
  });

  it('custom pipeline: numeric ids, won stage sorted among open stages, misleading ids', () => {
    expect(
      entriesOf(
        [
          ['1001', '2026-03-01'],
          ['1900', '2026-03-02'],
        ],
        CUSTOM_PIPELINE,
      ),
    ).toEqual({ '1001': '2026-03-01', '1002': '2026-03-02', '1003': '2026-03-02', '1900': '2026-03-02' });
    expect(
      entriesOf(
        [
          ['1001', '2026-03-01'],
          ['closedwon_lookalike', '2026-03-02'],
        ],
        CUSTOM_PIPELINE,
      ),
    ).toEqual({ '1001': '2026-03-01', closedwon_lookalike: '2026-03-02' });
  });

  it('ignores stages of another pipeline (the deal moved in later)', () => {
    expect(
      entriesOf([
        ['1001', '2026-02-01'],
        ['qualifiedtobuy', '2026-03-01'],
      ]),
    ).toEqual({ appointmentscheduled: '2026-03-01', qualifiedtobuy: '2026-03-01' });
  });

  it('without any history the deal sat in its current stage since createdate', () => {
    const deal = makeDeal({ id: 'd', stageId: 'qualifiedtobuy', createdAt: at('2026-03-07T00:00:00Z') });
    expect(buildDealTimeline(deal, undefined)).toEqual([{ stage: 'qualifiedtobuy', at: deal.createdAt }]);
    expect(buildDealTimeline(deal, [])).toEqual([{ stage: 'qualifiedtobuy', at: deal.createdAt }]);
  });

  it('an entered later open stage implies every earlier open stage, entered no later (property)', () => {
    const ids = DEFAULT_PIPELINE.stages.map((s) => s.id);
    const open = listOpenStages(DEFAULT_PIPELINE).map((s) => s.id);
    fc.assert(
      fc.property(
        fc.array(fc.record({ stage: fc.constantFrom(...ids), at: fc.integer({ min: 0, max: 1000 }) }), {
          maxLength: 12,
        }),
        (events) => {
          const entries = computeDealStageEntries(buildTimeline(events), DEFAULT_PIPELINE);
          for (let j = 0; j < open.length; j++) {
            const later = entries.get(open[j]!);
            if (later === undefined) continue;
            for (let i = 0; i < j; i++) {
              const earlier = entries.get(open[i]!);
              expect(earlier).toBeDefined();
              expect(earlier!).toBeLessThanOrEqual(later);
            }
          }
        },
      ),
    );
  });
});

describe('lifecycle entries', () => {
  const order = ['subscriber', 'lead', '123456789', 'marketingqualifiedlead', 'customer'];
  it('skips pass the stages in between, custom numeric stages included', () => {
    const entries = computeLifecycleEntries(
      buildTimeline([
        { stage: 'subscriber', at: 1 },
        { stage: 'customer', at: 5 },
      ]),
      order,
    );
    expect(Object.fromEntries(entries)).toEqual({
      subscriber: 1,
      lead: 5,
      '123456789': 5,
      marketingqualifiedlead: 5,
      customer: 5,
    });
  });

  it('a stage outside the order (other) implies nothing', () => {
    const entries = computeLifecycleEntries(
      buildTimeline([
        { stage: 'lead', at: 1 },
        { stage: 'other', at: 2 },
        { stage: null, at: 3 },
      ]),
      DEFAULT_LIFECYCLE_ORDER,
    );
    expect(Object.fromEntries(entries)).toEqual({ subscriber: 1, lead: 1, other: 2 });
  });

  it('without history a contact holds its current stage since createdate; without a stage, nothing', () => {
    const c = makeContact({ id: 'c', lifecycleStage: 'lead', createdAt: 10 });
    expect(buildLifecycleTimeline(c, undefined)).toEqual([{ stage: 'lead', at: 10 }]);
    expect(buildLifecycleTimeline({ ...c, lifecycleStage: null }, [])).toEqual([]);
  });
});

describe('listStays', () => {
  it('merges repeated values and leaves the last stay open', () => {
    expect(
      listStays(
        buildTimeline([
          { stage: 'a', at: 1 },
          { stage: 'a', at: 2 },
          { stage: 'b', at: 4 },
          { stage: 'a', at: 7 },
        ]),
      ),
    ).toEqual([
      { stage: 'a', from: 1, to: 4 },
      { stage: 'b', from: 4, to: 7 },
      { stage: 'a', from: 7, to: null },
    ]);
    expect(listStays([])).toEqual([]);
  });
});
