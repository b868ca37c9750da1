import { sql } from 'kysely';
import { z } from 'zod';
import { HUBSPOT_PATHS } from '../../../src/hubspot';
import { startWritebackWorld } from './world';
import type { WritebackWorld } from './world';

const ids = async (world: WritebackWorld, table: 'kpi_deal_rows' | 'kpi_contact_rows') => {
  const column = table === 'kpi_deal_rows' ? 'deal_id' : 'contact_id';
  const { rows } = await sql<{ id: number }>`select ${sql.ref(column)} as id from ${sql.table(table)}
    where portal_id = ${world.portalId} order by 1`.execute(world.db);
  return rows.map((r) => Number(r.id));
};

/** Ids HubSpot accepted across the successful batch/update answers (200, or 207 minus its errors). */
function acceptedIds(world: WritebackWorld): string[] {
  return world.batchCalls().flatMap((c) => (c.status === 200 || c.status === 207 ? c.ids : []));
}

describe('write-back: refusals, faults, interruptions', () => {
  let world: WritebackWorld;

  beforeEach(async () => {
    // One batch at a time, so that "the batch after the first" is one and the same in every run.
    world = await startWritebackWorld({ contacts: 150, deals: 110, concurrency: 1 });
  }, 120_000);
  afterEach(async () => {
    await world?.cleanup();
  });

  it('records a validation-rule refusal and a deleted deal per record and writes the rest', async () => {
    const dealIds = await ids(world, 'kpi_deal_rows');
    const [refusedA, refusedB, deleted] = [dealIds[3]!, dealIds[50]!, dealIds[105]!];
    world.sim.faults.set(world.portalId, { validationRuleIds: { deals: [refusedA, refusedB] } });
    world.sim.admin.archiveRecord(world.portalId, 'deals', deleted);

    const first = await world.writeback.run(world.portalId);
    expect(first.status).toBe('succeeded');
    expect(first.records.deals).toBe(dealIds.length - 3);
    expect(first.failures).toEqual({ VALIDATION_ERROR: 2, OBJECT_NOT_FOUND: 1 });
    expect(world.batchCalls('deals').map((c) => c.status)).toEqual([207, 207]);
    const failing = await world.db
      .selectFrom('writeback_last_written')
      .select(['record_id', 'failure_reason', 'failure_message'])
      .where('portal_id', '=', world.portalId)
      .where('failure_reason', 'is not', null)
      .orderBy('record_id')
      .execute();
    expect(failing.map((f) => [f.record_id, f.failure_reason])).toEqual([
      [refusedA, 'VALIDATION_ERROR'],
      [refusedB, 'VALIDATION_ERROR'],
      [deleted, 'OBJECT_NOT_FOUND'],
    ]);
    expect(failing[0]!.failure_message).toMatch(/MISSING_CONDITIONAL_REQUIRED_PROPERTY/);
    const truth = new Map(world.sim.groundTruth(world.portalId).deals.map((d) => [d.id, d.properties]));
    expect(truth.get(String(refusedA))!.kpibridge_deal_age_days ?? '').toBe('');
    expect(truth.get(String(dealIds[4]!))!.kpibridge_deal_age_days).not.toBe('');
    const status = await world.writeback.status(world.portalId);
    expect(status.failingRecords).toEqual({ VALIDATION_ERROR: 2, OBJECT_NOT_FOUND: 1 });
    expect(status.lastRun?.failures).toEqual({ VALIDATION_ERROR: 2, OBJECT_NOT_FOUND: 1 });

    // Same values: the refused records are not tried again.
    const since = Date.now();
    expect((await world.writeback.run(world.portalId)).calls).toBe(0);
    // Their values change (and the rule is lifted): tried again, and written.
    world.sim.faults.set(world.portalId, { validationRuleIds: {} });
    await sql`update kpi_deal_rows set stage_median_days = 99 where portal_id = ${world.portalId}
      and deal_id in (${refusedA}, ${refusedB})`.execute(world.db);
    const retry = await world.writeback.run(world.portalId);
    expect(retry.calls).toBe(1);
    expect(world.batchCalls('deals', since)[0]!.ids.sort()).toEqual(
      [String(refusedA), String(refusedB)].sort(),
    );
    expect((await world.writeback.status(world.portalId)).failingRecords).toEqual({ OBJECT_NOT_FOUND: 1 });
  }, 60_000);

  it('narrows a batch refused as a whole down to its bad record by halving, and writes the rest', async () => {
    const dealIds = await ids(world, 'kpi_deal_rows');
    const bad = dealIds[30]!;
    world.sim.faults.set(world.portalId, { batchRefusalIds: { deals: [bad] } });

    const run = await world.writeback.run(world.portalId);
    expect(run.status).toBe('succeeded');
    expect(run.records.deals).toBe(dealIds.length - 1);
    expect(run.failures).toEqual({ VALIDATION_ERROR: 1 });
    const calls = world.batchCalls('deals');
    // Every call holding the bad record is refused whole; the last one holds it alone.
    expect(calls.filter((c) => c.ids.includes(String(bad))).every((c) => c.status === 400)).toBe(true);
    expect(calls.filter((c) => c.status === 400).at(-1)!.ids).toEqual([String(bad)]);
    // log2(100) rounds of halving, two calls each, beside the first call and the second batch.
    expect(calls.length).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(100)));
    const accepted = acceptedIds(world).filter((id) => dealIds.includes(Number(id)));
    expect(accepted.sort()).toEqual(
      dealIds
        .filter((id) => id !== bad)
        .map(String)
        .sort(),
    );
    const failing = await world.db
      .selectFrom('writeback_last_written')
      .select(['record_id', 'failure_reason'])
      .where('portal_id', '=', world.portalId)
      .where('failure_reason', 'is not', null)
      .execute();
    expect(failing.map((f) => [Number(f.record_id), f.failure_reason])).toEqual([[bad, 'VALIDATION_ERROR']]);
    // Unchanged values: not tried again.
    expect((await world.writeback.run(world.portalId)).calls).toBe(0);
  }, 60_000);

  it('never sends NaN, Infinity or numbers beyond range: written as empty, reason counted', async () => {
    const [a, b] = await ids(world, 'kpi_deal_rows');
    await sql`update kpi_deal_rows set stage_median_days = 'NaN'::float8, days_to_close = 'Infinity'::float8
      where portal_id = ${world.portalId} and deal_id = ${a}`.execute(world.db);
    await sql`update kpi_deal_rows set stage_median_days = 1e300 where portal_id = ${world.portalId} and deal_id = ${b}`.execute(
      world.db,
    );
    const run = await world.writeback.run(world.portalId);
    expect(run.failures).toEqual({ 'INVALID_VALUE:NOT_FINITE': 2, 'INVALID_VALUE:OUT_OF_RANGE': 1 });
    const bodies = world.sim.requestLog
      .list({ portalId: world.portalId, method: 'POST' })
      .filter((e) => e.path.endsWith('/batch/update'))
      .map((e) => e.body ?? '');
    expect(bodies.some((b) => /NaN|Infinity|e\+300/.test(b))).toBe(false);
    const truth = new Map(world.sim.groundTruth(world.portalId).deals.map((d) => [d.id, d.properties]));
    expect(truth.get(String(a))!.kpibridge_stage_median_days ?? '').toBe('');
    expect(truth.get(String(b))!.kpibridge_stage_median_days ?? '').toBe('');
  }, 60_000);

  it('under 20 % injected 5xx and 429 every record arrives exactly once', async () => {
    world.sim.faults.set(world.portalId, { errorRate: 0.15, rateLimitRate: 0.05, errorStatus: 503 });
    const expected = [...(await ids(world, 'kpi_deal_rows')), ...(await ids(world, 'kpi_contact_rows'))].map(
      String,
    );
    // As BullMQ would: a job whose calls ran out of attempts is run again and resumes.
    for (let attempt = 0; attempt < 5; attempt++) {
      const done = await world.writeback.run(world.portalId).then(
        (r) => r.status === 'succeeded',
        () => false,
      );
      if (done) break;
    }
    const accepted = acceptedIds(world);
    expect(accepted.sort()).toEqual(expected.sort());
    expect(world.batchCalls().some((c) => c.status >= 500 || c.status === 429)).toBe(true);
  }, 120_000);

  it('a write-back stopped mid-way resumes after its last batch without re-sending it', async () => {
    const controller = new AbortController();
    await expect(
      world.writeback.run(world.portalId, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.calls === 1) controller.abort(new Error('worker killed'));
        },
      }),
    ).rejects.toThrow();
    expect(world.batchCalls()).toHaveLength(1);
    const resumed = await world.writeback.run(world.portalId);
    expect(resumed.status).toBe('succeeded');
    const accepted = acceptedIds(world);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(accepted).toHaveLength(
      (await ids(world, 'kpi_deal_rows')).length + (await ids(world, 'kpi_contact_rows')).length,
    );
    // A replayed job changes nothing.
    expect((await world.writeback.run(world.portalId)).calls).toBe(0);
  }, 60_000);

  it('stops at once when the portal is uninstalled', async () => {
    const run = await world.writeback.run(world.portalId, {
      onProgress: () => {
        void world.db
          .updateTable('portals')
          .set({ status: 'uninstalled', uninstalled_at: new Date() })
          .where('portal_id', '=', world.portalId)
          .execute();
      },
    });
    // The flag lands between two batches at the latest: one or two calls, never all four.
    expect(run.status).toBe('stopped');
    expect(world.batchCalls().length).toBeLessThanOrEqual(2);
    expect((await world.writeback.status(world.portalId)).lastRun?.status).toBe('stopped');
    expect((await world.writeback.run(world.portalId)).status).toBe('stopped');
  }, 60_000);

  it('recreates a deleted property, patches a changed one, adds options for a new channel', async () => {
    const client = world.hubspot.forPortal(world.portalId);
    await world.writeback.run(world.portalId);
    await client.request(
      { method: 'DELETE', path: HUBSPOT_PATHS.property('deals', 'kpibridge_days_to_close') },
      z.unknown(),
    );
    await client.request(
      {
        method: 'PATCH',
        path: HUBSPOT_PATHS.property('contacts', 'kpibridge_won_revenue'),
        body: { label: 'Renamed by an admin' },
      },
      z.unknown(),
    );
    const [contactId] = await ids(world, 'kpi_contact_rows');
    await sql`update kpi_contact_rows set first_touch_channel = 'PODCAST', touches = touches + 1
      where portal_id = ${world.portalId} and contact_id = ${contactId}`.execute(world.db);
    await sql`insert into kpi_channel_totals (portal_id, conversion_kind, model, channel, credit, conversions, run_id)
      select ${world.portalId}, 'contact_create', 'first_touch', 'PODCAST', 1, 1, run_id from kpi_current_runs
      where portal_id = ${world.portalId}`.execute(world.db);
    const run = await world.writeback.run(world.portalId);
    expect(run.failures).toEqual({});
    const truth = world.sim.groundTruth(world.portalId);
    const byName = (objectType: 'deals' | 'contacts', name: string) =>
      truth.customProperties[objectType].find((p) => p.name === name && !p.archived);
    expect(byName('deals', 'kpibridge_days_to_close')).toBeDefined();
    expect(byName('contacts', 'kpibridge_won_revenue')!.label).toBe('Won revenue');
    expect(byName('contacts', 'kpibridge_first_touch_channel')!.options.map((o) => o.value)).toContain(
      'PODCAST',
    );
    expect(byName('deals', 'kpibridge_attributed_source_w_shaped')!.options.map((o) => o.value)).toContain(
      'PODCAST',
    );
    expect(byName('deals', 'kpibridge_credit_podcast')).toMatchObject({
      type: 'number',
      numberDisplayHint: 'currency',
    });
    const contact = truth.contacts.find((c) => c.id === String(contactId))!;
    expect(contact.properties.kpibridge_first_touch_channel).toBe('PODCAST');
  }, 60_000);
});

describe('write-back in pages smaller than a batch (read ahead, checkpoint per page)', () => {
  let world: WritebackWorld;
  beforeAll(async () => {
    world = await startWritebackWorld({ contacts: 150, deals: 110, pageRows: 37, concurrency: 1 });
  }, 120_000);
  afterAll(async () => {
    await world?.cleanup();
  });

  it('fills batches across page boundaries, and a run killed mid-way resumes without re-sending', async () => {
    const deals = await ids(world, 'kpi_deal_rows');
    const contacts = await ids(world, 'kpi_contact_rows');
    const controller = new AbortController();
    await expect(
      world.writeback.run(world.portalId, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.calls === 2) controller.abort(new Error('worker killed'));
        },
      }),
    ).rejects.toThrow();
    expect(world.batchCalls()).toHaveLength(2);
    expect((await world.writeback.run(world.portalId)).status).toBe('succeeded');

    const calls = world.batchCalls();
    // Batches of 100 although every page holds 37 records: only the last of each type is short.
    expect(calls).toHaveLength(Math.ceil(deals.length / 100) + Math.ceil(contacts.length / 100));
    expect(calls.filter((c) => c.ids.length < 100)).toHaveLength(2);
    const accepted = acceptedIds(world);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(accepted.sort()).toEqual([...deals, ...contacts].map(String).sort());
    expect((await world.writeback.run(world.portalId)).calls).toBe(0);
  }, 60_000);
});
