import fc from 'fast-check';

import {
  computeOpenPipeline,
  computeOpenPipelineSnapshots,
} from '../../../../src/kpi/models/metrics/open-pipeline';
import { ALL_SOURCES, NO_SOURCE } from '../../../../src/kpi/models/metrics/source';
import type { Deal, DealStageChange } from '../../../../src/kpi/models/metrics/types';
import { CUSTOM_PIPELINE, DAY, DEFAULT_PIPELINE, at, makeDeal, month, stages } from './fixtures';

describe('computeOpenPipeline', () => {
  const deals: Deal[] = [
    // Open through February, won on 10 March.
    makeDeal({
      id: 'd1',
      source: 'ORGANIC_SEARCH',
      stageId: 'closedwon',
      amountHome: 100,
      createdAt: at('2026-02-01T00:00:00Z'),
      closedAt: at('2026-03-10T00:00:00Z'),
    }),
    // Still open; no home-currency amount.
    makeDeal({
      id: 'd2',
      source: 'ORGANIC_SEARCH',
      stageId: 'qualifiedtobuy',
      amountHome: null,
      currency: 'USD',
      createdAt: at('2026-02-05T00:00:00Z'),
    }),
    // Created in March: not in the February snapshot.
    makeDeal({
      id: 'd3',
      source: null,
      stageId: 'appointmentscheduled',
      amountHome: 40,
      createdAt: at('2026-03-02T00:00:00Z'),
    }),
    // Deleted: never counted, not even in past snapshots.
    makeDeal({
      id: 'd4',
      source: 'PAID_SEARCH',
      stageId: 'qualifiedtobuy',
      amountHome: 5,
      createdAt: at('2026-02-01T00:00:00Z'),
      deleted: true,
    }),
    // Lost in February.
    makeDeal({
      id: 'd5',
      source: 'PAID_SEARCH',
      stageId: 'closedlost',
      amountHome: 7,
      createdAt: at('2026-02-01T00:00:00Z'),
      closedAt: at('2026-02-20T00:00:00Z'),
    }),
    // Custom pipeline: the id-looks-won stage is lost; a numeric open stage.
    makeDeal({
      id: 'd6',
      source: 'EMAIL_MARKETING',
      pipelineId: CUSTOM_PIPELINE.id,
      stageId: '1003',
      amountHome: 9,
      createdAt: at('2026-02-01T00:00:00Z'),
    }),
    // Was in a stage that no longer exists in any pipeline at the February end.
    makeDeal({
      id: 'd7',
      source: 'PAID_SEARCH',
      stageId: 'contractsent',
      amountHome: 3,
      createdAt: at('2026-02-01T00:00:00Z'),
    }),
  ];
  const changes: DealStageChange[] = [
    ...stages('d1', ['appointmentscheduled', '2026-02-01T00:00:00Z'], ['closedwon', '2026-03-10T00:00:00Z']),
    ...stages('d2', ['qualifiedtobuy', '2026-02-05T00:00:00Z']),
    ...stages('d5', ['appointmentscheduled', '2026-02-01T00:00:00Z'], ['closedlost', '2026-02-20T00:00:00Z']),
    ...stages('d6', ['1001', '2026-02-01T00:00:00Z'], ['1003', '2026-02-10T00:00:00Z']),
    ...stages('d7', ['deleted-stage', '2026-02-01T00:00:00Z'], ['contractsent', '2026-03-05T00:00:00Z']),
  ];
  const input = { deals, stageChanges: changes, pipelines: [DEFAULT_PIPELINE, CUSTOM_PIPELINE] };

  it.each<[string, string, string[], number]>([
    // asOf, source, open deal ids, amount
    ['2026-02-28T23:59:59.999Z', ALL_SOURCES, ['d1', 'd2', 'd6'], 109],
    ['2026-02-28T23:59:59.999Z', 'ORGANIC_SEARCH', ['d1', 'd2'], 100],
    ['2026-03-31T00:00:00Z', ALL_SOURCES, ['d2', 'd3', 'd6', 'd7'], 52],
    ['2026-03-31T00:00:00Z', NO_SOURCE, ['d3'], 40],
    ['2026-03-31T00:00:00Z', 'PAID_SEARCH', ['d7'], 3],
  ])('as of %s, %s: %j', (asOf, source, ids, amount) => {
    const r = computeOpenPipeline({ ...input, asOf: at(asOf) });
    const row = source === ALL_SOURCES ? r.total : r.bySource.find((x) => x.source === source)!;
    expect(row.count.inputs.ids).toEqual(ids);
    expect(row.amount.value).toBe(amount);
  });

  it('counts an open deal without a home-currency amount and lists it as excluded from the sum', () => {
    const r = computeOpenPipeline({ ...input, asOf: at('2026-03-31T00:00:00Z') });
    expect(r.total.count.value).toBe(4);
    expect(r.total.amount.inputs.excluded).toEqual([
      { id: 'd2', reason: 'no amount in the home currency (deal currency USD)' },
    ]);
  });

  it('reports a deal whose stage at that time is in no pipeline', () => {
    const r = computeOpenPipeline({ ...input, asOf: at('2026-02-28T00:00:00Z') });
    expect(r.unclassified).toEqual([{ id: 'd7', reason: 'stage at that time is unknown or in no pipeline' }]);
  });

  it('takes period-end snapshots at the last instant of each period', () => {
    const snaps = computeOpenPipelineSnapshots({ ...input, periods: [month('2026-02'), month('2026-03')] });
    expect(snaps.map((s) => s.snapshot.total.count.inputs.ids)).toEqual([
      ['d1', 'd2', 'd6'],
      ['d2', 'd3', 'd6', 'd7'],
    ]);
    expect(snaps[0]!.snapshot.asOf).toBe(at('2026-03-01T00:00:00Z') - 1);
  });

  it('an empty pipeline is a known 0', () => {
    const r = computeOpenPipeline({ deals: [], stageChanges: [], pipelines: [DEFAULT_PIPELINE], asOf: 0 });
    expect(r.total.count.value).toBe(0);
    expect(r.total.amount.value).toBe(0);
    expect(r.bySource).toEqual([]);
  });

  it('per-source counts and sums add up to the total (property)', () => {
    const ids = DEFAULT_PIPELINE.stages.map((s) => s.id);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: fc.constantFrom('A', 'B', '', null),
            stageId: fc.constantFrom(...ids),
            amount: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
            created: fc.integer({ min: 0, max: 30 * DAY }),
          }),
          { maxLength: 25 },
        ),
        fc.integer({ min: 0, max: 40 * DAY }),
        (raw, asOf) => {
          const ds = raw.map((x, i) =>
            makeDeal({
              id: `d${i}`,
              source: x.source,
              stageId: x.stageId,
              amountHome: x.amount,
              createdAt: x.created,
            }),
          );
          const r = computeOpenPipeline({ deals: ds, stageChanges: [], pipelines: [DEFAULT_PIPELINE], asOf });
          expect(r.bySource.reduce((a, x) => a + x.count.value!, 0)).toBe(r.total.count.value);
          expect(r.bySource.reduce((a, x) => a + x.amount.value!, 0)).toBe(r.total.amount.value);
        },
      ),
    );
  });
});
