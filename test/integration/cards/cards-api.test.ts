import { setTimeout as sleep } from 'node:timers/promises';
import {
  ATTRIBUTION_MODEL_IDS,
  contactCardResponseSchema,
  dealCardResponseSchema,
  settingsSchema,
  TOUCH_LIST_CAP,
} from '../../../src/cards';
import type { ContactCard, DealCard } from '../../../src/cards';
import { ATTRIBUTION_MODELS } from '../../../src/kpi';
import { getWritebackSettings } from '../../../src/writeback';
import { createKpiService } from '../../../src/kpi/kpi.service';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { startWorker } from '../../../src/main/worker';
import { hubspotSignedHeaders } from '../../helpers/hubspot-signing';
import { createTestContext, silentLogger, TEST_HUBSPOT_ENV } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from '../kpi/seed';
import type { SeedPortal } from '../kpi/seed';

const DAY = 86_400_000;
const NOW = Date.now();
const PUBLIC = 'https://kpi.test.example';

/** Portal 1 and 2 share HubSpot ids (ids are unique only within a portal); deal 300 of portal 1 has 500 touches. */
function portal(portalId: number, amount: number, source: string): SeedPortal {
  const many = Array.from({ length: 5 }, (_, i) => 10 + i);
  return {
    portalId,
    pipelines: [
      {
        id: 'default',
        stages: [
          { id: 'appointment', order: 0, closed: false, probability: 0.2 },
          { id: 'contract', order: 1, closed: false, probability: 0.8 },
          { id: 'won', order: 2, closed: true, probability: 1 },
          { id: 'lost', order: 3, closed: true, probability: 0 },
        ],
      },
    ],
    contacts: [
      { id: 1, createdAt: NOW - 60 * DAY, source, lifecycleStage: 'customer' },
      { id: 2, createdAt: NOW - 30 * DAY, source: 'PAID_SEARCH' },
      ...(portalId === 1
        ? many.map((id) => ({ id, createdAt: NOW - 50 * DAY, source: 'EMAIL_MARKETING' }))
        : []),
    ],
    deals: [
      {
        id: 100,
        pipelineId: 'default',
        stageId: 'won',
        amount,
        createdAt: NOW - 40 * DAY,
        closedAt: NOW - 10 * DAY,
        contactIds: [1, 2],
      },
      ...(portalId === 1
        ? [
            {
              id: 200,
              pipelineId: 'default',
              stageId: 'contract',
              amount: 5000,
              createdAt: NOW - 20 * DAY,
              closedAt: null,
              contactIds: [2],
            },
            {
              id: 300,
              pipelineId: 'default',
              stageId: 'appointment',
              amount: 900,
              createdAt: NOW - 5 * DAY,
              closedAt: null,
              contactIds: many,
            },
          ]
        : []),
    ],
    stageHistory: [
      { dealId: 100, stageId: 'appointment', at: NOW - 40 * DAY },
      { dealId: 100, stageId: 'contract', at: NOW - 30 * DAY },
      { dealId: 100, stageId: 'won', at: NOW - 10 * DAY },
      ...(portalId === 1
        ? [
            { dealId: 200, stageId: 'appointment', at: NOW - 20 * DAY },
            { dealId: 200, stageId: 'contract', at: NOW - 2 * DAY },
          ]
        : []),
    ],
    lifecycleHistory: [
      { contactId: 1, stage: 'lead', at: NOW - 60 * DAY },
      { contactId: 1, stage: 'opportunity', at: NOW - 40 * DAY },
      { contactId: 1, stage: 'customer', at: NOW - 10 * DAY },
    ],
    touches: [
      { id: 't1', contactId: 1, at: NOW - 70 * DAY, channel: source },
      { id: 't2', contactId: 1, at: NOW - 60 * DAY, channel: 'PAID_SEARCH' },
      { id: 't3', contactId: 2, at: NOW - 41 * DAY, channel: 'EMAIL_MARKETING' },
      { id: 't4', contactId: 1, at: NOW - 15 * DAY, channel: 'SOCIAL_MEDIA' },
      ...(portalId === 1
        ? many.flatMap((contactId) =>
            Array.from({ length: 100 }, (_, i) => ({
              id: `m${contactId}-${i}`,
              contactId,
              at: NOW - 49 * DAY + i * 3_600_000,
              channel: ['ORGANIC_SEARCH', 'PAID_SOCIAL', 'REFERRALS'][i % 3]!,
            })),
          )
        : []),
    ],
  };
}

let ctx: TestContext;
let api: ApiHandle;

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_BASE_URL: PUBLIC });
  await seedPortal(ctx.db, portal(1, 1000, 'ORGANIC_SEARCH'));
  await seedPortal(ctx.db, portal(2, 7777, 'DIRECT_TRAFFIC'));
  await seedPortal(ctx.db, { portalId: 3, pipelines: [], contacts: [], deals: [], touches: [] });
  const kpi = createKpiService({ db: ctx.db, logger: silentLogger() });
  await kpi.recompute(1, { now: NOW });
  await kpi.recompute(2, { now: NOW });
  api = await startApi(ctx);
  // Two KPI runs and 500 touches: give a busy machine time.
}, 90_000);
afterAll(async () => {
  await api.close();
  await ctx.cleanup();
});

/** A request as hubspot.fetch makes it: HubSpot's query parameters appended, signed by the SDK. */
async function hubspotFetch(path: string, portalId: number, init: { method?: string; body?: unknown } = {}) {
  const method = init.method ?? 'GET';
  const sep = path.includes('?') ? '&' : '?';
  const full = `${path}${sep}portalId=${portalId}&userId=77&userEmail=rep@example.com&appId=1000001`;
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const headers = {
    ...hubspotSignedHeaders({
      clientSecret: TEST_HUBSPOT_ENV.HUBSPOT_CLIENT_SECRET,
      method,
      url: `${PUBLIC}${full}`,
      body,
    }),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const res = await fetch(`${api.url}${full}`, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    bytes: Buffer.byteLength(text),
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

async function kpiRunCount(): Promise<number> {
  const rows = await ctx.db.selectFrom('kpi_runs').select('run_id').execute();
  return rows.length;
}

describe('GET /cards/deal', () => {
  it('answers a won deal from the stored figures: stage timing, attribution under every model, key touches, contacts', async () => {
    const res = await hubspotFetch('/cards/deal?dealId=100', 1);
    expect(res.status).toBe(200);
    const card = dealCardResponseSchema.parse(res.body) as DealCard;
    expect(card.state).toBe('ready');
    expect(card.deal).toMatchObject({ id: '100', outcome: 'won', amount: 1000, stage: { id: 'won' } });
    expect(card.currency).toBe('EUR');
    expect(card.timing.daysInStage).toEqual({ value: null, reason: 'the deal is closed' });
    expect(card.attribution.kind).toBe('revenue');
    if (card.attribution.kind !== 'revenue') throw new Error('unreachable');
    expect(card.attribution.defaultModel).toBe('w_shaped');
    expect(card.attribution.models.map((m) => m.model)).toEqual([
      'first_touch',
      'last_touch',
      'linear',
      'u_shaped',
      'w_shaped',
      'full_path',
      'time_decay',
      'j_shaped',
      'inverse_j',
      'markov',
      'shapley',
    ]);
    // The contract lists the models in the order the KPI run packs their credits.
    expect(ATTRIBUTION_MODEL_IDS).toEqual(ATTRIBUTION_MODELS);
    for (const m of card.attribution.models)
      expect(m.channels.reduce((s, c) => s + c.credit, 0)).toBeCloseTo(1000, 2);
    const firstTouch = card.attribution.models.find((m) => m.model === 'first_touch')!;
    expect(firstTouch.channels).toEqual([{ channel: 'ORGANIC_SEARCH', credit: 1000 }]);
    // t1 first, t2 at contact 1's creation (lead), t3 the last before the deal's creation, t4 the last before the win.
    const roles = Object.fromEntries(card.touches.items.map((t) => [t.id, t.roles]));
    expect(roles).toEqual({
      t1: ['first'],
      t2: ['lead_creation'],
      t3: ['deal_creation'],
      t4: ['closed_won'],
    });
    expect(card.contacts.items.map((c) => c.id)).toEqual(['1', '2']);
    expect(card.contacts.items[0]!.minutesToFirstActivity).toEqual({
      value: null,
      reason: 'no sales activity on this contact yet',
    });
  });

  it('shows an open deal against its stage median and flags it as stuck when it sits longer', async () => {
    const card = dealCardResponseSchema.parse(
      (await hubspotFetch('/cards/deal?dealId=200', 1)).body,
    ) as DealCard;
    expect(card.deal.outcome).toBe('open');
    expect(card.timing.daysInStage.value).toBeCloseTo(2, 1);
    // Only deal 100 left "contract": 20 days there.
    expect(card.timing.stageMedianDays.value).toBeCloseTo(20, 5);
    expect(card.timing.stuck).toBe(false);
    expect(card.velocity.factors.map((f) => f.key)).toEqual([
      'qualified_opportunities',
      'win_rate',
      'average_won_deal_size',
      'sales_cycle_days',
    ]);
    expect(card.velocity.factors.find((f) => f.key === 'win_rate')!.value).toEqual({
      value: 1,
      reason: null,
    });
  });

  it('caps a deal with 500 touches to the key touches and the latest ones, "and N more", under 64 KB', async () => {
    const res = await hubspotFetch('/cards/deal?dealId=300', 1);
    const card = dealCardResponseSchema.parse(res.body) as DealCard;
    expect(card.touches.items).toHaveLength(TOUCH_LIST_CAP);
    expect(card.touches.more).toBe(500 - TOUCH_LIST_CAP);
    expect(card.touches.items.some((t) => t.roles.includes('first'))).toBe(true);
    expect(res.bytes).toBeLessThan(64 * 1024);
  });

  it('another portal’s record is a 404 and the same id in this portal is this portal’s', async () => {
    expect((await hubspotFetch('/cards/deal?dealId=200', 2)).status).toBe(404);
    const card = dealCardResponseSchema.parse(
      (await hubspotFetch('/cards/deal?dealId=100', 2)).body,
    ) as DealCard;
    expect(card.deal.amount).toBe(7777);
  });

  it('a missing or malformed id is a 400 naming it', async () => {
    for (const path of [
      '/cards/deal',
      '/cards/deal?dealId=abc',
      '/cards/deal?dealId=-1',
      '/cards/deal?dealId=1e5',
    ]) {
      const res = await hubspotFetch(path, 1);
      expect(res.status).toBe(400);
      expect((res.body.error as { message: string }).message).toContain('dealId');
    }
    expect((await hubspotFetch('/cards/contact?contactId=', 1)).status).toBe(400);
  });

  it('refuses unsigned, forged and stale requests (401)', async () => {
    const path = '/cards/deal?dealId=100&portalId=1';
    expect((await fetch(`${api.url}${path}`)).status).toBe(401);
    const forged = hubspotSignedHeaders({ clientSecret: 'not-ours', method: 'GET', url: `${PUBLIC}${path}` });
    expect((await fetch(`${api.url}${path}`, { headers: forged })).status).toBe(401);
    const stale = hubspotSignedHeaders({
      clientSecret: TEST_HUBSPOT_ENV.HUBSPOT_CLIENT_SECRET,
      method: 'GET',
      url: `${PUBLIC}${path}`,
      timestamp: Date.now() - 6 * 60_000,
    });
    expect((await fetch(`${api.url}${path}`, { headers: stale })).status).toBe(401);
    const otherPortal = hubspotSignedHeaders({
      clientSecret: TEST_HUBSPOT_ENV.HUBSPOT_CLIENT_SECRET,
      method: 'GET',
      url: `${PUBLIC}${path}`,
    });
    expect(
      (await fetch(`${api.url}/cards/deal?dealId=100&portalId=2`, { headers: otherPortal })).status,
    ).toBe(401);
  });

  it('a deal synced after the last run is record_pending; a portal without a finished run is portal_pending', async () => {
    await ctx.db
      .insertInto('deals')
      .values({
        portal_id: 1,
        deal_id: 400,
        pipeline_id: 'default',
        stage_id: 'appointment',
        created_at: new Date(),
        updated_at: new Date(),
      })
      .execute();
    expect((await hubspotFetch('/cards/deal?dealId=400', 1)).body).toEqual({ state: 'record_pending' });
    const pending = await hubspotFetch('/cards/deal?dealId=1', 3);
    expect(pending.status).toBe(200);
    expect(dealCardResponseSchema.parse(pending.body)).toEqual({
      state: 'portal_pending',
      phase: 'sync',
      recordsSynced: null,
      kpiStartedAt: null,
    });
    expect((await hubspotFetch('/cards/deal?dealId=1', 999)).status).toBe(404);
  });
});

describe('GET /cards/contact', () => {
  it('answers touches, first and last touch, lifecycle entries, speed to lead, days to deal, revenue', async () => {
    const res = await hubspotFetch('/cards/contact?contactId=1', 1);
    expect(res.status).toBe(200);
    const card = contactCardResponseSchema.parse(res.body) as ContactCard;
    expect(card.firstTouch).toMatchObject({ id: 't1', channel: 'ORGANIC_SEARCH', roles: ['first'] });
    expect(card.lastTouch).toMatchObject({ id: 't4', channel: 'SOCIAL_MEDIA', roles: ['last'] });
    expect(card.touches).toMatchObject({ more: 0 });
    expect(card.touches.items.map((t) => t.id)).toEqual(['t1', 't2', 't4']);
    expect(card.lifecycle.items.map((e) => e.stage)).toEqual(['lead', 'opportunity', 'customer']);
    expect(card.wonRevenue).toEqual({ value: 1000, reason: null });
    expect(card.wonDeals).toBe(1);
    expect(card.daysToDeal.value).toBeCloseTo(50, 5);
    expect(card.speedToLead).toEqual({
      minutes: { value: null, reason: 'no sales activity on this contact yet' },
      withinFiveMinutes: null,
    });
  });

  it('another portal’s contact is a 404', async () => {
    expect((await hubspotFetch('/cards/contact?contactId=12', 2)).status).toBe(404);
  });
});

describe('settings', () => {
  it('never starts a KPI run from a card or a settings read', async () => {
    const before = await kpiRunCount();
    await hubspotFetch('/cards/deal?dealId=100', 1);
    await hubspotFetch('/cards/contact?contactId=1', 1);
    await hubspotFetch('/settings', 1);
    expect(await ctx.producer.queue('kpi').getJobCounts('delayed', 'waiting', 'active')).toMatchObject({
      delayed: 0,
      waiting: 0,
      active: 0,
    });
    expect(await kpiRunCount()).toBe(before);
  });

  it('GET shows defaults, the pipelines with their stages, time zone and currency', async () => {
    const res = await hubspotFetch('/settings', 1);
    const s = settingsSchema.parse(res.body);
    expect(s.defaultModels).toEqual({
      revenue: 'w_shaped',
      deal_create: 'w_shaped',
      contact_create: 'u_shaped',
    });
    expect(s.pipelines).toEqual([
      expect.objectContaining({
        id: 'default',
        qualifiedStageId: null,
        effectiveQualifiedStageId: 'appointment',
      }),
    ]);
    expect(s).toMatchObject({
      timeZone: 'UTC',
      currency: 'EUR',
      updatedAt: null,
      figuresReflectSettings: true,
    });
  });

  it.each([
    [{ defaultModels: { revenue: 'shapely' } }, 'defaultModels.revenue'],
    [{ clvOverrides: { ordersPerYear: -2 } }, 'clvOverrides.ordersPerYear'],
    [{ qualifiedStages: { nope: 'appointment' } }, 'qualifiedStages.nope'],
    [{ qualifiedStages: { default: 'won' } }, 'qualifiedStages.default'],
    [{ timeZone: 'Europe/Berlin' }, 'timeZone'],
    [{ writeback: { creditModel: 'shapely' } }, 'writeback.creditModel'],
    [{ writeback: { channelModels: ['markov', 'markov'] } }, 'writeback.channelModels'],
    [{ writeback: { deals: 'yes' } }, 'writeback.deals'],
  ])('PUT %j is a 400 naming %s and changes nothing', async (body, field) => {
    const res = await hubspotFetch('/settings', 1, { method: 'PUT', body });
    expect(res.status).toBe(400);
    expect((res.body.error as { message: string }).message).toContain(field);
    expect(await ctx.db.selectFrom('portal_settings').selectAll().execute()).toEqual([]);
    expect(await ctx.db.selectFrom('writeback_settings').selectAll().execute()).toEqual([]);
  });

  it('PUT stores a change, queues a KPI run, and the page shows when the figures reflect it', async () => {
    const workers = startWorker(ctx, { queues: ['kpi'] });
    try {
      const before = await kpiRunCount();
      const res = await hubspotFetch('/settings', 1, {
        method: 'PUT',
        body: {
          defaultModels: { revenue: 'markov' },
          qualifiedStages: { default: 'contract' },
          clvOverrides: { yearsAsCustomer: 4 },
        },
      });
      expect(res.status).toBe(200);
      const saved = settingsSchema.parse(res.body);
      expect(saved.defaultModels.revenue).toBe('markov');
      expect(saved.pipelines[0]).toMatchObject({
        qualifiedStageId: 'contract',
        effectiveQualifiedStageId: 'contract',
      });
      expect(saved.clvOverrides).toEqual({
        averageOrderValue: null,
        ordersPerYear: null,
        yearsAsCustomer: 4,
      });
      expect(saved.figuresReflectSettings).toBe(false);
      // Another portal's settings are untouched.
      expect(settingsSchema.parse((await hubspotFetch('/settings', 2)).body).defaultModels.revenue).toBe(
        'w_shaped',
      );

      const deadline = Date.now() + 20_000;
      let after = saved;
      while (!after.figuresReflectSettings && Date.now() < deadline) {
        await sleep(200);
        after = settingsSchema.parse((await hubspotFetch('/settings', 1)).body);
      }
      expect(after.figuresReflectSettings).toBe(true);
      expect(await kpiRunCount()).toBe(before + 1);
      const card = dealCardResponseSchema.parse(
        (await hubspotFetch('/cards/deal?dealId=100', 1)).body,
      ) as DealCard;
      expect(card.attribution.kind === 'revenue' && card.attribution.defaultModel).toBe('markov');
      // The run used the override: years as customer 4, and CLV is the product with the measured factors.
      const clv = Object.fromEntries(
        (
          await ctx.db
            .selectFrom('kpi_snapshots')
            .select(['kpi', 'value', 'inputs'])
            .where('portal_id', '=', 1)
            .where('kpi', 'in', [
              'clv_average_order_value',
              'clv_orders_per_year',
              'clv_years_as_customer',
              'customer_lifetime_value',
            ])
            .where('period_unit', '=', 'now')
            .execute()
        ).map((r) => [r.kpi, r]),
      );
      expect(clv.clv_years_as_customer).toMatchObject({ value: 4, inputs: { overridden: true } });
      expect(clv.clv_orders_per_year?.inputs).toMatchObject({ overridden: false });
      expect(Number(clv.customer_lifetime_value?.value)).toBeCloseTo(
        Number(clv.clv_average_order_value?.value) * Number(clv.clv_orders_per_year?.value) * 4,
        6,
      );
    } finally {
      await workers.close(5_000);
    }
  }, 30_000);

  it('GET shows the write-back settings (defaults: everything on) and PUT stores them for that portal only', async () => {
    const before = settingsSchema.parse((await hubspotFetch('/settings', 2)).body).writeback;
    expect(before).toEqual({
      deals: true,
      contacts: true,
      channelModels: [...ATTRIBUTION_MODELS],
      creditModel: 'w_shaped',
    });
    const res = await hubspotFetch('/settings', 2, {
      method: 'PUT',
      body: { writeback: { contacts: false, channelModels: ['w_shaped', 'shapley'], creditModel: 'markov' } },
    });
    expect(res.status).toBe(200);
    const expected = {
      deals: true,
      contacts: false,
      channelModels: ['w_shaped', 'shapley'],
      creditModel: 'markov',
    };
    expect(settingsSchema.parse(res.body).writeback).toEqual(expected);
    // The write-back feature reads what the page stored.
    expect(await getWritebackSettings(ctx.db, 2)).toEqual(expected);
    expect(settingsSchema.parse((await hubspotFetch('/settings', 1)).body).writeback).toEqual(before);
  });
});
