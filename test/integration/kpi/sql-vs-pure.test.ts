import fc from 'fast-check';

import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Conversion, ConversionKind, Touch } from '../../../src/kpi/models/attribution';
import {
  ATTRIBUTION_MODELS,
  attributeConversion,
  buildMarkovModel,
  buildShapleyModel,
  createMarkovAccumulator,
  createShapleyAccumulator,
  selectCountedTouches,
} from '../../../src/kpi/models/attribution';
import type { Contact, Deal, DealStageChange, Pipeline } from '../../../src/kpi/models/metrics';
import {
  buildStageCatalog,
  computeFunnel,
  countContactsByLifecycleStage,
  DEFAULT_LIFECYCLE_ORDER,
  computeOpenPipeline,
  computePipelineVelocity,
  getDealOutcome,
  selectLeadContact,
  toSourceBucket,
} from '../../../src/kpi/models/metrics';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const CHANNELS = ['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING', 'DIRECT_TRAFFIC'];
const SOURCES = [null, '', 'ORGANIC_SEARCH', 'PAID_SEARCH', 'AI_REFERRALS'];

let ctx: TestContext;
let nextPortal = 1000;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

/** Times on a coarse grid (half days) so that ties between touches, and touches at a conversion instant, happen. */
const time = fc.integer({ min: 0, max: 400 }).map((h) => NOW - h * (DAY / 2));

const portalArb = fc
  .record({
    pipelineCount: fc.integer({ min: 1, max: 2 }),
    qualifiedSecond: fc.boolean(),
    contacts: fc.array(
      fc.record({
        createdAt: time,
        source: fc.constantFrom(...SOURCES),
        archived: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    deals: fc.array(
      fc.record({
        pipeline: fc.integer({ min: 0, max: 1 }),
        stage: fc.integer({ min: 0, max: 4 }),
        amount: fc.option(
          fc.integer({ min: 1, max: 1_000_000 }).map((c) => c / 100),
          { freq: 5 },
        ),
        source: fc.constantFrom(...SOURCES),
        owner: fc.constantFrom(null, 'o1', 'o2'),
        createdAt: time,
        closeAfterDays: fc.integer({ min: -2, max: 120 }),
        contacts: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }),
        history: fc.uniqueArray(
          fc.record({ stage: fc.integer({ min: 0, max: 4 }), afterDays: fc.integer({ min: 0, max: 90 }) }),
          {
            maxLength: 3,
            selector: (h) => h.afterDays,
          },
        ),
      }),
      { maxLength: 8 },
    ),
    touches: fc.array(
      fc.record({
        contact: fc.integer({ min: 0, max: 7 }),
        at: time,
        channel: fc.constantFrom(...CHANNELS),
        id: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', 'c', 'Z') }),
      }),
      { maxLength: 20 },
    ),
  })
  .map((r): SeedPortal => {
    const portalId = nextPortal++;
    const pipelines = Array.from({ length: r.pipelineCount }, (_, p) => ({
      id: p === 0 ? 'default' : `p${p}`,
      qualifiedStageId: r.qualifiedSecond && p === 0 ? `s${p}-1` : null,
      stages: [
        { id: `s${p}-0`, order: 0, closed: false, probability: 0.1 },
        { id: `s${p}-1`, order: 1, closed: false, probability: 0.3 },
        { id: `s${p}-2`, order: 2, closed: false, probability: 0.6 },
        { id: `s${p}-won`, order: 3, closed: true, probability: 1 },
        { id: `s${p}-lost`, order: 4, closed: true, probability: 0 },
      ],
    }));
    const stageOf = (p: number, s: number) => pipelines[Math.min(p, pipelines.length - 1)]!.stages[s]!.id;
    const contacts = r.contacts.map((c, i) => ({
      id: i + 1,
      createdAt: c.createdAt,
      source: c.source,
      archived: c.archived,
    }));
    const deals = r.deals.map((d, i) => {
      const stageId = stageOf(d.pipeline, d.stage);
      const closed = d.stage >= 3;
      return {
        id: 100 + i,
        pipelineId: pipelines[Math.min(d.pipeline, pipelines.length - 1)]!.id,
        stageId,
        amount: d.amount,
        source: d.source,
        ownerId: d.owner,
        createdAt: d.createdAt,
        closedAt: closed ? d.createdAt + d.closeAfterDays * DAY : null,
        contactIds: [...d.contacts]
          .filter((c) => c < contacts.length)
          .sort((a, b) => a - b)
          .map((c) => c + 1),
      };
    });
    const stageHistory = r.deals.flatMap((d, i) =>
      d.history.map((h) => ({
        dealId: 100 + i,
        stageId: stageOf(d.pipeline, h.stage),
        at: d.createdAt + h.afterDays * DAY,
      })),
    );
    const seen = new Set<string>();
    const touches = r.touches
      .filter((t) => t.contact < contacts.length)
      .map((t) => ({ id: t.id, contactId: t.contact + 1, at: t.at, channel: t.channel }))
      .filter((t) => !seen.has(t.id) && seen.add(t.id) !== undefined);
    return { portalId, pipelines, contacts, deals, stageHistory, touches };
  });

interface Reference {
  pipelines: Pipeline[];
  deals: Deal[];
  changes: DealStageChange[];
  conversions: Conversion[];
  nulls: Map<ConversionKind, string[][]>;
}

/** The same rows as the pure models see them (what a loader would build). */
function buildReference(portal: SeedPortal): Reference {
  const pipelines: Pipeline[] = portal.pipelines.map((p) => ({
    id: p.id,
    qualifiedStageId: p.qualifiedStageId ?? null,
    stages: p.stages.map((s) => ({
      id: s.id,
      displayOrder: s.order,
      isClosed: s.closed,
      probability: s.probability,
    })),
  }));
  const live = new Map(portal.contacts.filter((c) => !c.archived).map((c) => [c.id, c]));
  const liveById = new Map([...live.values()].map((c) => [String(c.id), { ...c, id: String(c.id) }]));
  const touchesOf = (contactId: number): Touch[] =>
    portal.touches
      .filter((t) => t.contactId === contactId)
      .map((t) => ({ id: t.id, at: t.at, channel: t.channel }));
  const deals: Deal[] = portal.deals.map((d) => {
    const contactIds = d.contactIds.filter((c) => live.has(c));
    const primary = selectLeadContact(contactIds.map(String), liveById);
    const nonBlank = (s: string | null | undefined) =>
      s !== null && s !== undefined && s.trim() !== '' ? s : null;
    return {
      id: String(d.id),
      pipelineId: d.pipelineId,
      stageId: d.stageId,
      amountHome: d.amount,
      currency: null,
      ownerId: d.ownerId ?? null,
      source: nonBlank(d.source) ?? nonBlank(primary?.source) ?? null,
      createdAt: d.createdAt,
      closedAt: d.closedAt,
      isClosed: false,
      isWon: false,
      deleted: false,
      contactIds: contactIds.map(String),
    };
  });
  const changes = (portal.stageHistory ?? []).map((h) => ({
    dealId: String(h.dealId),
    stageId: h.stageId,
    at: h.at,
  }));
  const catalog = buildStageCatalog(pipelines);
  const conversions: Conversion[] = [];
  const nulls = new Map<ConversionKind, string[][]>([
    ['deal_create', []],
    ['revenue', []],
  ]);
  for (const c of live.values()) {
    conversions.push({
      id: String(c.id),
      kind: 'contact_create',
      convertedAt: c.createdAt,
      contactCreatedAt: c.createdAt,
      touches: touchesOf(c.id),
    });
  }
  const withDeal = new Set<string>();
  for (const d of deals) {
    const touches = d.contactIds.flatMap((c) => touchesOf(Number(c)));
    d.contactIds.forEach((c) => withDeal.add(c));
    const contactCreatedAt = selectLeadContact(d.contactIds, liveById)?.createdAt;
    conversions.push({
      id: d.id,
      kind: 'deal_create',
      convertedAt: d.createdAt,
      contactCreatedAt,
      dealCreatedAt: d.createdAt,
      touches,
    });
    const outcome = getDealOutcome(d, catalog);
    if (outcome === 'won' && d.closedAt !== null && d.amountHome !== null) {
      conversions.push({
        id: d.id,
        kind: 'revenue',
        value: d.amountHome,
        convertedAt: d.closedAt,
        contactCreatedAt,
        dealCreatedAt: d.createdAt,
        touches,
      });
    } else if (outcome === 'lost') {
      nulls.get('revenue')!.push(
        touches
          .filter((t) => d.closedAt === null || t.at <= d.closedAt)
          .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
          .map((t) => t.channel),
      );
    }
  }
  for (const c of live.values()) {
    if (!withDeal.has(String(c.id)))
      nulls.get('deal_create')!.push(
        selectCountedTouches({
          id: '',
          kind: 'contact_create',
          convertedAt: Infinity,
          touches: touchesOf(c.id),
        }).map((t) => t.channel),
      );
  }
  return { pipelines, deals, changes, conversions, nulls };
}

test('the SQL path gives the pure models’ figures and credits on the same rows', async () => {
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  await fc.assert(
    fc.asyncProperty(portalArb, async (portal) => {
      await seedPortal(ctx.db, portal);
      await service.recompute(portal.portalId, { now: NOW });
      const ref = buildReference(portal);
      const snapshots = await ctx.db
        .selectFrom('kpi_snapshots')
        .selectAll()
        .where('portal_id', '=', portal.portalId)
        .execute();
      const find = (
        kpi: string,
        unit: string,
        start: number,
        pipelineId: string,
        breakdown = 'all',
        value = '',
      ) =>
        snapshots.find(
          (s) =>
            s.kpi === kpi &&
            s.period_unit === unit &&
            s.period_start.getTime() === start &&
            s.pipeline_id === pipelineId &&
            s.breakdown === breakdown &&
            (breakdown === 'all' || s.breakdown_value === value),
        );
      const close = (actual: number | null | undefined, expected: number | null) => {
        if (expected === null) expect(actual ?? null).toBeNull();
        else expect(Number(actual)).toBeCloseTo(expected, 6);
      };

      for (const { unit, period } of listSnapshotPeriods(NOW, 'UTC').filter(
        (p) => p.unit === 'trailing_90d' || p.unit === 'month',
      )) {
        for (const pipeline of ref.pipelines) {
          const v = computePipelineVelocity({
            pipeline,
            deals: ref.deals,
            stageChanges: ref.changes,
            period,
          });
          close(
            find('qualified_opportunities', unit, period.start, pipeline.id)?.value,
            v.qualifiedOpportunities.value,
          );
          close(find('win_rate', unit, period.start, pipeline.id)?.value, v.winRate.value);
          close(
            find('average_won_deal_size', unit, period.start, pipeline.id)?.value,
            v.averageWonDealSize.value,
          );
          close(find('sales_cycle_days', unit, period.start, pipeline.id)?.value, v.salesCycleDays.value);
          close(find('pipeline_velocity', unit, period.start, pipeline.id)?.value, v.velocity.value);
        }
      }

      const open = computeOpenPipeline({
        deals: ref.deals,
        stageChanges: ref.changes,
        pipelines: ref.pipelines,
        asOf: NOW,
      });
      close(find('open_deals', 'now', NOW, '', 'all')?.value, open.total.count.value);
      close(find('open_amount', 'now', NOW, '', 'all')?.value, open.total.amount.value);
      for (const row of open.bySource)
        close(find('open_amount', 'now', NOW, '', 'source', row.source)?.value, row.amount.value);

      // Credits: same rows, same numbers; each conversion's credits sum to its value.
      const credits = await ctx.db
        .selectFrom('kpi_credit_rows')
        .selectAll()
        .where('portal_id', '=', portal.portalId)
        .execute();
      const byKey = new Map(credits.map((c) => [`${c.conversion_kind}|${c.conversion_id}|${c.touch_id}`, c]));
      const chains = new Map<
        ConversionKind,
        { markov: ReturnType<typeof buildMarkovModel>; shapley: ReturnType<typeof buildShapleyModel> }
      >();
      for (const kind of ['contact_create', 'deal_create', 'revenue'] as const) {
        const acc = createMarkovAccumulator();
        const game = createShapleyAccumulator();
        for (const c of ref.conversions.filter((x) => x.kind === kind)) {
          const path = selectCountedTouches(c).map((t) => t.channel);
          acc.add(path, 1, c.value ?? 1, 0);
          game.add(path, 1, 0);
        }
        for (const path of ref.nulls.get(kind) ?? []) {
          acc.add(path, 0, 0, 1);
          game.add(path, 0, 1);
        }
        chains.set(kind, {
          markov: buildMarkovModel(acc.snapshot()),
          shapley: buildShapleyModel(game.snapshot()),
        });
      }
      let expectedRows = 0;
      for (const conversion of ref.conversions) {
        const expected = attributeConversion(conversion, chains.get(conversion.kind));
        for (const model of ATTRIBUTION_MODELS) {
          const mine = expected.filter((c) => c.model === model);
          if (model === 'first_touch') expectedRows += mine.length;
          let sum = 0;
          for (const credit of mine) {
            const row = byKey.get(`${conversion.kind}|${conversion.id}|${credit.touchId ?? ''}`);
            expect(row).toBeDefined();
            expect(row![model]).toBeCloseTo(credit.credit, 6);
            sum += Number(row![model]);
          }
          expect(sum).toBeCloseTo(
            conversion.kind === 'revenue' ? Math.round((conversion.value ?? 0) * 100) / 100 : 1,
            6,
          );
        }
      }
      expect(credits).toHaveLength(expectedRows);
      // Revenue per source over the trailing 90 days.
      const trailing = listSnapshotPeriods(NOW, 'UTC').find((p) => p.unit === 'trailing_90d')!.period;
      const catalog = buildStageCatalog(ref.pipelines);
      const won = ref.deals.filter(
        (d) =>
          d.closedAt !== null &&
          d.closedAt >= trailing.start &&
          d.closedAt < trailing.end &&
          getDealOutcome(d, catalog) === 'won',
      );
      for (const source of new Set(won.map((d) => toSourceBucket(d.source)))) {
        const deals = won.filter((d) => toSourceBucket(d.source) === source);
        const amounts = deals.filter((d) => d.amountHome !== null);
        const expected = amounts.length === 0 ? null : amounts.reduce((s, d) => s + d.amountHome!, 0);
        close(find('won_revenue', 'trailing_90d', trailing.start, '', 'source', source)?.value, expected);
      }
    }),
    { numRuns: 25 },
  );
}, 120_000);

const LIFECYCLE = ['subscriber', 'lead', 'opportunity', 'customer', 'evangelist', 'custom-7', null];

const lifecyclePortalArb = fc
  .record({
    contacts: fc.array(
      fc.record({
        createdAt: time,
        source: fc.constantFrom(...SOURCES),
        archived: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
        stage: fc.constantFrom(...LIFECYCLE),
      }),
      { minLength: 1, maxLength: 10 },
    ),
    history: fc.uniqueArray(
      fc.record({
        contact: fc.integer({ min: 0, max: 9 }),
        // Some changes after NOW: the stage "now" must ignore them.
        at: fc.integer({ min: -4, max: 400 }).map((h) => NOW - h * (DAY / 2)),
        stage: fc.constantFrom(...LIFECYCLE),
      }),
      { maxLength: 25, selector: (h) => `${h.contact}|${h.at}` },
    ),
  })
  .map((r): SeedPortal => {
    const portalId = nextPortal++;
    const contacts = r.contacts.map((c, i) => ({
      id: i + 1,
      createdAt: c.createdAt,
      source: c.source,
      archived: c.archived,
      lifecycleStage: c.stage,
    }));
    const lifecycleHistory = r.history
      .filter((h) => h.contact < contacts.length)
      .map((h) => ({ contactId: h.contact + 1, stage: h.stage, at: h.at }));
    return { portalId, pipelines: [], contacts, deals: [], touches: [], lifecycleHistory };
  });

test('the SQL path gives the pure models’ new customers, new contacts and lifecycle counts', async () => {
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  await fc.assert(
    fc.asyncProperty(lifecyclePortalArb, async (portal) => {
      await seedPortal(ctx.db, portal);
      await service.recompute(portal.portalId, { now: NOW });
      const contacts: Contact[] = portal.contacts.map((c) => ({
        id: String(c.id),
        createdAt: c.createdAt,
        firstVisitAt: null,
        firstConversionAt: null,
        source: c.source !== null && c.source.trim() !== '' ? c.source : null,
        lifecycleStage: c.lifecycleStage ?? null,
        becameCustomerAt: null,
        ownerId: null,
        deleted: c.archived === true,
      }));
      const changes = (portal.lifecycleHistory ?? []).map((h) => ({
        contactId: String(h.contactId),
        stage: h.stage,
        at: h.at,
      }));
      const snapshots = await ctx.db
        .selectFrom('kpi_snapshots')
        .select(['kpi', 'period_unit', 'period_start', 'breakdown', 'breakdown_value', 'value'])
        .where('portal_id', '=', portal.portalId)
        .where('kpi', 'in', ['new_customers', 'new_contacts', 'contacts_in_stage'])
        .execute();
      const value = (kpi: string, unit: string, start: number, breakdown: string, breakdownValue: string) =>
        Number(
          snapshots.find(
            (s) =>
              s.kpi === kpi &&
              s.period_unit === unit &&
              s.period_start.getTime() === start &&
              s.breakdown === breakdown &&
              s.breakdown_value === breakdownValue,
          )?.value ?? 0,
        );

      for (const { unit, period } of listSnapshotPeriods(NOW, 'UTC').filter(
        (p) => p.unit === 'trailing_90d' || p.unit === 'month' || p.unit === 'week',
      )) {
        const funnel = computeFunnel({
          period,
          traffic: [],
          contacts,
          lifecycleChanges: changes,
          lifecycleOrder: DEFAULT_LIFECYCLE_ORDER,
        });
        expect(value('new_customers', unit, period.start, 'all', '(all sources)')).toBe(
          funnel.total.customers.value,
        );
        expect(value('new_contacts', unit, period.start, 'all', '(all sources)')).toBe(
          funnel.total.contacts.value,
        );
        for (const row of funnel.bySource) {
          expect(value('new_customers', unit, period.start, 'source', row.source)).toBe(row.customers.value);
          expect(value('new_contacts', unit, period.start, 'source', row.source)).toBe(row.contacts.value);
        }
      }

      const counts = countContactsByLifecycleStage({
        contacts,
        changes,
        order: DEFAULT_LIFECYCLE_ORDER,
        at: NOW,
      });
      for (const row of counts.byStage)
        expect(value('contacts_in_stage', 'now', NOW, 'stage', row.stage)).toBe(row.count.value);
      expect(value('contacts_in_stage', 'now', NOW, 'stage', '(no stage)')).toBe(counts.withoutStage.value);
    }),
    { numRuns: 25 },
  );
}, 120_000);
