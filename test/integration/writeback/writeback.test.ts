import { sql } from 'kysely';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../src/platform/http/app';
import { createSyncAdminRouter } from '../../../src/sync/admin.routes';
import { creditPropertyName, formatWritebackStatus } from '../../../src/writeback';
import { silentLogger } from '../../helpers/test-context';
import { startWritebackWorld } from './world';
import type { WritebackWorld } from './world';

const MODELS = [
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
];

/** Property values of the simulated portal's live records, by id. */
function truth(world: WritebackWorld, objectType: 'deals' | 'contacts'): Map<string, Record<string, string>> {
  const gt = world.sim.groundTruth(world.portalId);
  return new Map(gt[objectType].map((r) => [String(r.id), r.properties]));
}

describe('write-back of a simulated portal', () => {
  let world: WritebackWorld;

  beforeAll(async () => {
    world = await startWritebackWorld();
  }, 120_000);
  afterAll(async () => {
    await world?.cleanup();
  });

  it('writes every deal and contact property as the KPI tables hold it, in batches of at most 100', async () => {
    const summary = await world.writeback.run(world.portalId);
    expect(summary.status).toBe('succeeded');
    const { db, portalId } = world;

    const dealRows = await db
      .selectFrom('kpi_deal_rows')
      .selectAll()
      .where('portal_id', '=', portalId)
      .execute();
    const contactRows = await db
      .selectFrom('kpi_contact_rows')
      .selectAll()
      .where('portal_id', '=', portalId)
      .execute();
    expect(dealRows.length).toBeGreaterThan(100);
    expect(summary.records.deals).toBe(dealRows.length);
    expect(summary.records.contacts).toBe(contactRows.length);
    const calls = world.batchCalls();
    expect(calls.every((c) => c.ids.length <= 100 && c.status === 200)).toBe(true);
    expect(world.batchCalls('deals')).toHaveLength(Math.ceil(dealRows.length / 100));
    expect(world.batchCalls('contacts')).toHaveLength(Math.ceil(contactRows.length / 100));

    // Expected channel per model and credit per channel, from the view the deal card reads.
    const attribution = await db
      .selectFrom('kpi_deal_attribution')
      .selectAll()
      .where('portal_id', '=', portalId)
      .execute();
    const byDeal = new Map<number, typeof attribution>();
    for (const a of attribution) byDeal.set(Number(a.deal_id), [...(byDeal.get(Number(a.deal_id)) ?? []), a]);

    const deals = truth(world, 'deals');
    const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
    let checkedTop = 0;
    for (const row of dealRows) {
      const p = deals.get(String(row.deal_id))!;
      expect(p).toBeDefined();
      const near = (actual: string | undefined, expected: number | null, digits: number) => {
        if (expected === null) expect(num(actual)).toBeNull();
        else expect(num(actual)).toBeCloseTo(expected, digits - 1);
      };
      near(p.kpibridge_days_to_close, row.days_to_close === null ? null : Number(row.days_to_close), 1);
      expect(num(p.kpibridge_deal_age_days)).toBe(Math.floor(Number(row.age_days)));
      expect(num(p.kpibridge_days_in_current_stage)).toBe(
        row.days_in_stage === null ? null : Math.floor(Number(row.days_in_stage)),
      );
      near(
        p.kpibridge_stage_median_days,
        row.stage_median_days === null ? null : Number(row.stage_median_days),
        1,
      );
      expect(p.kpibridge_kpis_updated_at).toBeTruthy();

      const credits = byDeal.get(Number(row.deal_id)) ?? [];
      for (const model of MODELS) {
        const mine = credits.filter((c) => c.model === model);
        const best = Math.max(...mine.map((c) => Number(c.credit)));
        const leaders = mine.filter((c) => Number(c.credit) >= best - 1e-9).map((c) => c.channel);
        if (mine.length === 0) expect(p[`kpibridge_attributed_source_${model}`] ?? '').toBe('');
        else {
          expect(leaders).toContain(p[`kpibridge_attributed_source_${model}`]);
          checkedTop++;
        }
      }
      const revenue = credits.filter((c) => c.model === 'w_shaped' && c.conversion_kind === 'revenue');
      for (const c of revenue) expect(num(p[creditPropertyName(c.channel)])).toBeCloseTo(Number(c.credit), 2);
      if (revenue.length === 0)
        for (const [name, value] of Object.entries(p))
          if (name.startsWith('kpibridge_credit_')) expect(value ?? '').toBe('');
    }
    expect(checkedTop).toBeGreaterThan(0);

    // Sum over deals of each credit property = the default model's revenue total, to the cent.
    const totals = await db
      .selectFrom('kpi_channel_totals')
      .select(['channel', 'credit'])
      .where('portal_id', '=', portalId)
      .where('conversion_kind', '=', 'revenue')
      .where('model', '=', 'w_shaped')
      .execute();
    expect(totals.length).toBeGreaterThan(0);
    for (const t of totals) {
      let cents = 0;
      for (const p of deals.values()) cents += Math.round((num(p[creditPropertyName(t.channel)]) ?? 0) * 100);
      expect(cents).toBe(Math.round(Number(t.credit) * 100));
    }

    const contacts = truth(world, 'contacts');
    for (const row of contactRows) {
      const p = contacts.get(String(row.contact_id))!;
      expect(p.kpibridge_first_touch_channel).toBe(
        row.first_touch_channel ?? (row.touches === 0 ? '(no touch)' : undefined),
      );
      expect(p.kpibridge_last_touch_channel).toBe(
        row.last_touch_channel ?? (row.touches === 0 ? '(no touch)' : undefined),
      );
      expect(num(p.kpibridge_touches_count)).toBe(row.touches);
      expect(num(p.kpibridge_won_revenue)).toBe(
        row.won_revenue === null ? null : Math.round(Number(row.won_revenue) * 100) / 100,
      );
      expect(num(p.kpibridge_open_pipeline_amount)).toBe(
        row.open_amount === null ? null : Math.round(Number(row.open_amount) * 100) / 100,
      );
      expect(p.kpibridge_customer_since ? Date.parse(p.kpibridge_customer_since) : null).toBe(
        row.customer_since?.getTime() ?? null,
      );
    }
  }, 60_000);

  it('re-run with unchanged KPIs makes no call at all; a changed value is sent alone', async () => {
    const before = Date.now();
    const again = await world.writeback.run(world.portalId);
    expect(again.calls).toBe(0);
    expect(again.propertyCalls).toBe(0);
    expect(world.sim.requestLog.count({ portalId: world.portalId, since: before })).toBe(0);

    // One deal's figure changes in the KPI tables: exactly one call, with that deal and property.
    const one = await world.db
      .selectFrom('kpi_deal_rows')
      .select('deal_id')
      .where('portal_id', '=', world.portalId)
      .orderBy('deal_id')
      .executeTakeFirstOrThrow();
    await sql`update kpi_deal_rows set stage_median_days = 12.34 where portal_id = ${world.portalId} and deal_id = ${one.deal_id}`.execute(
      world.db,
    );
    const since = Date.now();
    const third = await world.writeback.run(world.portalId);
    expect(third.calls).toBe(1);
    const [call] = world.batchCalls(undefined, since);
    expect(call!.ids).toEqual([String(one.deal_id)]);
    expect(truth(world, 'deals').get(String(one.deal_id))!.kpibridge_stage_median_days).toBe('12.3');
  }, 60_000);

  it('shows the last write-back in the status, per portal', async () => {
    const status = await world.writeback.status(world.portalId);
    expect(status.lastRun?.status).toBe('succeeded');
    expect(status.lastRun?.calls).toBe(1);
    const other = await world.writeback.status(world.portalId + 1);
    expect(other.lastRun).toBeNull();
    expect(formatWritebackStatus(status)).toMatch(
      /write-back: succeeded, .* 1 deals and 0 contacts written in 1 calls/,
    );

    // /admin/sync/status shows it beside the sync streams.
    const app = createApp({
      logger: silentLogger(),
      bodyLimit: '1mb',
      trustProxy: false,
      routers: [
        createSyncAdminRouter({
          db: world.db,
          adminToken: 'op',
          writebackStatus: (portalId) => world.writeback.status(portalId),
        }),
      ],
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const answer = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/sync/status?portalId=${world.portalId}`,
        { headers: { authorization: 'Bearer op' } },
      );
      const body = (await answer.json()) as { portals: { portalId: number; writeback: unknown }[] };
      expect(body.portals[0]!.writeback).toEqual(JSON.parse(JSON.stringify(status)));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
