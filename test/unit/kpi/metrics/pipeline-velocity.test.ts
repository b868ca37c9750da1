import fc from 'fast-check';

import {
  combineVelocity,
  comparePipelineVelocity,
  computePipelineVelocity,
  getQualifiedStageId,
} from '../../../../src/kpi/models/metrics/pipeline-velocity';
import { getReason } from '../../../../src/kpi/models/metrics/stats';
import type { Deal, DealStageChange } from '../../../../src/kpi/models/metrics/types';
import { CUSTOM_PIPELINE, DAY, DEFAULT_PIPELINE, at, makeDeal, month, stages } from './fixtures';

const noon = (day: string) => at(`${day}T12:00:00Z`);

// March 2026 scenario (UTC). Expected:
//   qualified = d1, d3 (created straight into a later stage), d6 (no history, won) = 3
//   win rate = won {d1, d2, d6} / closed {d1, d2, d3, d6} = 0.75
//   average won size = (1000 + 3000) / 2 = 2000 (d6 has no home-currency amount)
//   sales cycle = (18 + 28 + 10) / 3 days
const deals: Deal[] = [
  makeDeal({
    id: 'd1',
    stageId: 'closedwon',
    amountHome: 1000,
    createdAt: noon('2026-03-02'),
    closedAt: noon('2026-03-20'),
  }),
  makeDeal({
    id: 'd2',
    stageId: 'closedwon',
    amountHome: 3000,
    createdAt: noon('2026-02-10'),
    closedAt: noon('2026-03-10'),
  }),
  makeDeal({
    id: 'd3',
    stageId: 'closedlost',
    amountHome: 500,
    createdAt: noon('2026-03-05'),
    closedAt: noon('2026-03-25'),
  }),
  makeDeal({
    id: 'd4',
    stageId: 'closedwon',
    deleted: true,
    createdAt: noon('2026-03-03'),
    closedAt: noon('2026-03-04'),
  }),
  makeDeal({
    id: 'd5',
    pipelineId: CUSTOM_PIPELINE.id,
    stageId: '1900',
    createdAt: noon('2026-03-03'),
    closedAt: noon('2026-03-04'),
  }),
  makeDeal({
    id: 'd6',
    stageId: 'closedwon',
    amountHome: null,
    currency: 'USD',
    createdAt: noon('2026-03-01'),
    closedAt: noon('2026-03-11'),
  }),
  makeDeal({ id: 'd7', stageId: 'qualifiedtobuy', createdAt: noon('2026-04-02') }),
];
const stageChanges: DealStageChange[] = [
  ...stages('d1', ['appointmentscheduled', '2026-03-02T12:00:00Z'], ['closedwon', '2026-03-20T12:00:00Z']),
  ...stages(
    'd2',
    ['appointmentscheduled', '2026-02-10T12:00:00Z'],
    ['qualifiedtobuy', '2026-02-20T12:00:00Z'],
    ['closedwon', '2026-03-10T12:00:00Z'],
  ),
  ...stages('d3', ['presentationscheduled', '2026-03-05T12:00:00Z'], ['closedlost', '2026-03-25T12:00:00Z']),
  ...stages('d4', ['appointmentscheduled', '2026-03-03T12:00:00Z'], ['closedwon', '2026-03-04T12:00:00Z']),
  ...stages('d5', ['1001', '2026-03-03T12:00:00Z'], ['1900', '2026-03-04T12:00:00Z']),
  ...stages('d7', ['qualifiedtobuy', '2026-04-02T12:00:00Z']),
];

describe('computePipelineVelocity', () => {
  const march = computePipelineVelocity({
    pipeline: DEFAULT_PIPELINE,
    deals,
    stageChanges,
    period: month('2026-03'),
  });

  it('computes each factor with the records behind it', () => {
    expect(march.qualifiedOpportunities).toEqual({
      value: 3,
      inputs: { ids: ['d1', 'd3', 'd6'], qualifiedStageId: 'appointmentscheduled' },
    });
    expect(march.winRate.value).toBe(0.75);
    expect(march.winRate.inputs).toMatchObject({
      numeratorIds: ['d1', 'd2', 'd6'],
      denominatorIds: ['d1', 'd2', 'd6', 'd3'],
    });
    expect(march.averageWonDealSize.value).toBe(2000);
    expect(march.averageWonDealSize.inputs.excluded).toEqual([
      { id: 'd6', reason: 'no amount in the home currency (deal currency USD)' },
    ]);
    expect(march.salesCycleDays.value).toBeCloseTo(56 / 3, 12);
    expect(march.salesCycleDays.inputs.samples.map((s) => s.id)).toEqual(['d1', 'd2', 'd6']);
  });

  it('velocity = qualified × win rate × average won size ÷ cycle days (currency per day)', () => {
    expect(march.velocity.value).toBeCloseTo((3 * 0.75 * 2000) / (56 / 3), 9);
    expect(march.velocity.inputs).toEqual({
      qualifiedOpportunities: 3,
      winRate: 0.75,
      averageWonDealSize: 2000,
      salesCycleDays: march.salesCycleDays.value,
    });
  });

  it('an empty period: count 0, every average null with its reason, velocity null', () => {
    const jan = computePipelineVelocity({
      pipeline: DEFAULT_PIPELINE,
      deals,
      stageChanges,
      period: month('2026-01'),
    });
    expect(jan.qualifiedOpportunities.value).toBe(0);
    expect(getReason(jan.winRate)).toBe('no closed deals in period');
    expect(getReason(jan.averageWonDealSize)).toBe('no deals won in period');
    expect(getReason(jan.salesCycleDays)).toBe('no deals won in period');
    expect(getReason(jan.velocity)).toBe('win rate unknown: no closed deals in period');
  });

  it('only lost deals: win rate 0, velocity unknown because no deal was won', () => {
    const lostOnly = deals.filter((d) => d.id === 'd3');
    const r = computePipelineVelocity({
      pipeline: DEFAULT_PIPELINE,
      deals: lostOnly,
      stageChanges,
      period: month('2026-03'),
    });
    expect(r.winRate.value).toBe(0);
    expect(getReason(r.velocity)).toBe('average won deal size unknown: no deals won in period');
  });

  it('all won deals lack a home-currency amount: size unknown, said so', () => {
    const r = computePipelineVelocity({
      pipeline: DEFAULT_PIPELINE,
      deals: deals.filter((d) => d.id === 'd6'),
      stageChanges,
      period: month('2026-03'),
    });
    expect(getReason(r.averageWonDealSize)).toBe('no deal won in period has an amount in the home currency');
  });

  it('honours a configured qualified stage (a won deal passed it when it was won)', () => {
    const pipeline = { ...DEFAULT_PIPELINE, qualifiedStageId: 'presentationscheduled' };
    expect(getQualifiedStageId(pipeline)).toBe('presentationscheduled');
    const r = computePipelineVelocity({ pipeline, deals, stageChanges, period: month('2026-03') });
    expect(r.qualifiedOpportunities.inputs.ids).toEqual(['d1', 'd2', 'd3', 'd6']);
  });

  it('a qualified stage that is not in the pipeline makes the count unknown', () => {
    const r = computePipelineVelocity({
      pipeline: { ...DEFAULT_PIPELINE, qualifiedStageId: 'nope' },
      deals,
      stageChanges,
      period: month('2026-03'),
    });
    expect(getReason(r.qualifiedOpportunities)).toBe(
      'qualified stage nope is not a stage of pipeline default',
    );
    expect(r.velocity.value).toBeNull();
  });

  it('custom pipeline: numeric stages, outcome from metadata only', () => {
    const custom: Deal[] = [
      makeDeal({
        id: 'c1',
        pipelineId: CUSTOM_PIPELINE.id,
        stageId: '1900',
        amountHome: 10,
        createdAt: noon('2026-03-01'),
        closedAt: noon('2026-03-03'),
      }),
      makeDeal({
        id: 'c2',
        pipelineId: CUSTOM_PIPELINE.id,
        stageId: 'closedwon_lookalike',
        isWon: true,
        createdAt: noon('2026-03-01'),
        closedAt: noon('2026-03-02'),
      }),
    ];
    const changes = [
      ...stages('c1', ['1001', '2026-03-01T12:00:00Z'], ['1900', '2026-03-03T12:00:00Z']),
      ...stages('c2', ['1002', '2026-03-01T12:00:00Z'], ['closedwon_lookalike', '2026-03-02T12:00:00Z']),
    ];
    const r = computePipelineVelocity({
      pipeline: CUSTOM_PIPELINE,
      deals: custom,
      stageChanges: changes,
      period: month('2026-03'),
    });
    // qualified stage 1002: c1 passed it when won, c2 entered it directly.
    expect(r.qualifiedOpportunities.inputs.ids).toEqual(['c1', 'c2']);
    expect(r.winRate.inputs.numeratorIds).toEqual(['c1']);
    expect(r.winRate.value).toBe(0.5);
    expect(r.velocity.value).toBeCloseTo((2 * 0.5 * 10) / 2, 12);
  });

  it('excludes and reports closed deals without closedate and won deals closed before created', () => {
    const odd = [
      makeDeal({ id: 'x1', stageId: 'closedwon', closedAt: null }),
      makeDeal({
        id: 'x2',
        stageId: 'closedwon',
        createdAt: noon('2026-03-20'),
        closedAt: noon('2026-03-10'),
      }),
    ];
    const r = computePipelineVelocity({
      pipeline: DEFAULT_PIPELINE,
      deals: odd,
      stageChanges: [],
      period: month('2026-03'),
    });
    expect(r.winRate.inputs.excluded).toEqual([{ id: 'x1', reason: 'won deal without closedate' }]);
    expect(r.salesCycleDays.inputs.excluded).toEqual([{ id: 'x2', reason: 'closedate before createdate' }]);
    expect(getReason(r.salesCycleDays)).toBe('no won deal has a usable cycle');
  });

  it('a 0-day mean cycle makes velocity unknown rather than infinite', () => {
    const instant = [
      makeDeal({
        id: 'z',
        stageId: 'closedwon',
        createdAt: noon('2026-03-05'),
        closedAt: noon('2026-03-05'),
      }),
    ];
    const r = computePipelineVelocity({
      pipeline: DEFAULT_PIPELINE,
      deals: instant,
      stageChanges: [],
      period: month('2026-03'),
    });
    expect(r.salesCycleDays.value).toBe(0);
    expect(getReason(r.velocity)).toBe('mean sales cycle is 0 days');
  });
});

describe('comparePipelineVelocity', () => {
  it('reports each factor against the previous period', () => {
    const r = comparePipelineVelocity({
      pipeline: DEFAULT_PIPELINE,
      deals,
      stageChanges,
      period: month('2026-03'),
    });
    expect(r.previous.period.label).toBe('2026-02');
    expect(r.previous.qualifiedOpportunities.inputs.ids).toEqual(['d2']);
    expect(r.change.qualifiedOpportunities.absolute.value).toBe(2);
    expect(r.change.qualifiedOpportunities.relative.value).toBe(2);
    expect(getReason(r.change.winRate.absolute)).toBe('previous period unknown: no closed deals in period');
    expect(r.change.velocity.relative.value).toBeNull();
  });
});

describe('velocity invariants (property)', () => {
  const ids = DEFAULT_PIPELINE.stages.map((s) => s.id);
  const start = at('2026-02-01T00:00:00Z');
  const dealArb = fc
    .record({
      stageId: fc.constantFrom(...ids),
      createdOffset: fc.integer({ min: 0, max: 80 * DAY }),
      cycle: fc.integer({ min: 0, max: 60 * DAY }),
      amount: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
      deleted: fc.boolean(),
      history: fc.array(
        fc.record({ stage: fc.constantFrom(...ids), offset: fc.integer({ min: 0, max: 60 * DAY }) }),
        {
          maxLength: 4,
        },
      ),
    })
    .map((r) => r);

  it('velocity equals the product of its factors and win rate stays within [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(dealArb, { maxLength: 25 }), (raw) => {
        const ds = raw.map((r, i) =>
          makeDeal({
            id: `d${i}`,
            stageId: r.stageId,
            createdAt: start + r.createdOffset,
            closedAt: ['closedwon', 'closedlost'].includes(r.stageId)
              ? start + r.createdOffset + r.cycle
              : null,
            amountHome: r.amount,
            deleted: r.deleted,
          }),
        );
        const changes = raw.flatMap((r, i) =>
          r.history.map((h) => ({
            dealId: `d${i}`,
            stageId: h.stage,
            at: start + r.createdOffset + h.offset,
          })),
        );
        const v = computePipelineVelocity({
          pipeline: DEFAULT_PIPELINE,
          deals: ds,
          stageChanges: changes,
          period: month('2026-03'),
        });
        expect(combineVelocity(v)).toEqual(v.velocity);
        const factors = [v.qualifiedOpportunities, v.winRate, v.averageWonDealSize, v.salesCycleDays].map(
          (f) => f.value,
        );
        const [q, w, a, s] = factors;
        if (factors.some((f) => f === null) || s === 0) {
          expect(v.velocity.value).toBeNull();
        } else {
          expect(v.velocity.value).toBeCloseTo((q! * w! * a!) / s!, 6);
        }
        if (v.winRate.value !== null) {
          expect(v.winRate.value).toBeGreaterThanOrEqual(0);
          expect(v.winRate.value).toBeLessThanOrEqual(1);
        }
        const deletedIds = new Set(ds.filter((d) => d.deleted).map((d) => d.id));
        for (const id of v.qualifiedOpportunities.inputs.ids) expect(deletedIds.has(id)).toBe(false);
      }),
    );
  });
});
