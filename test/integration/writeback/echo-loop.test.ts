import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createProducer } from '../../../src/platform/queue/producer';
import type { Producer } from '../../../src/platform/queue/producer';
import { runCatchup } from '../../../src/sync/catchup';
import { refreshObjects } from '../../../src/sync/refresh';
import { webhookEventSchema } from '../../../src/hubspot';
import { createWebhookIntake, membersOf, normaliseEvent } from '../../../src/sync/webhook-intake';
import { deleteQueueKeys, uniqueName } from '../../helpers/test-context';
import { startWritebackWorld } from './world';
import type { WritebackWorld } from './world';

/**
 * The loop a write-back could start: our batch/update → property-change webhooks and a bumped
 * modified time → sync → KPI run → write-back … It must stop at the first step.
 */
describe('write-back echoes', () => {
  let world: WritebackWorld;
  let server: Server;
  let producer: Producer;
  const prefix = `{${uniqueName('echo')}}`;
  const received: unknown[] = [];

  beforeAll(async () => {
    // Search sees writes at once here, so the catch-up finds every record we wrote.
    world = await startWritebackWorld({ contacts: 160, deals: 60, searchConsistencyMs: 0 });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(...(JSON.parse(body) as unknown[]));
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    world.sim.setWebhookTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`);
    producer = createProducer({ connection: world.redis, prefix });
  }, 120_000);
  afterAll(async () => {
    await producer?.close();
    await new Promise((r) => server?.close(r));
    await world?.cleanup();
    await deleteQueueKeys(prefix);
  });

  const kpiRuns = async () =>
    Number(
      (
        await world.db
          .selectFrom('kpi_runs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('portal_id', '=', world.portalId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('drops the webhooks of our own writes, and the catch-up finds nothing to recompute', async () => {
    const intake = createWebhookIntake({
      db: world.db,
      redis: world.redis,
      producer,
      prefix,
      logger: pino({ level: 'silent' }),
      appId: world.appId,
    });
    received.length = 0;
    const first = await world.writeback.run(world.portalId);
    expect(first.records.deals + first.records.contacts).toBeGreaterThan(0);
    await world.sim.webhooks.idle();
    // The simulator (subscribed to everything) reports our writes with our app as the source.
    expect(received.length).toBeGreaterThan(0);
    const events = received.map((e) => webhookEventSchema.parse(e));
    expect(events.every((e) => e.changeSource === 'INTEGRATION' && e.sourceId === String(world.appId))).toBe(
      true,
    );
    const intakeResult = await intake.accept(received);
    expect(intakeResult.accepted).toBe(0);
    expect(intakeResult.ignored).toBe(received.length);

    // Property history names us too.
    const dealId = world.batchCalls('deals')[0]!.ids[0]!;
    const record = world.sim.admin.getRecord(world.portalId, 'deals', dealId, ['kpibridge_kpis_updated_at']);
    const history = record!.propertiesWithHistory!.kpibridge_kpis_updated_at!;
    expect(history[0]).toMatchObject({ sourceType: 'INTEGRATION', sourceId: String(world.appId) });

    // The catch-up's modified-time search finds every record we wrote; none counts as changed.
    const runsBefore = await kpiRuns();
    const catchup = await runCatchup(
      { db: world.db, hubspot: world.hubspot, logger: pino({ level: 'silent' }) },
      world.portalId,
    );
    expect(catchup.found.deals + catchup.found.contacts).toBeGreaterThanOrEqual(
      first.records.deals + first.records.contacts,
    );
    expect(catchup.refreshed.unchanged).toBeGreaterThan(0);
    expect(catchup.changed).toBe(0);
    expect(await kpiRuns()).toBe(runsBefore);
  }, 60_000);

  it('one deal changed by a user: one write call, and its echo causes no KPI run', async () => {
    const log = pino({ level: 'silent' });
    const intake = createWebhookIntake({
      db: world.db,
      redis: world.redis,
      producer,
      prefix,
      logger: log,
      appId: world.appId,
    });
    // An open deal with contacts: a new amount moves its contacts' open pipeline only.
    const deal = await world.db
      .selectFrom('kpi_deal_rows')
      .innerJoin('deal_contacts', (j) =>
        j
          .onRef('deal_contacts.deal_id', '=', 'kpi_deal_rows.deal_id')
          .onRef('deal_contacts.portal_id', '=', 'kpi_deal_rows.portal_id'),
      )
      .select(['kpi_deal_rows.deal_id', 'kpi_deal_rows.amount_home'])
      .where('kpi_deal_rows.portal_id', '=', world.portalId)
      .where('outcome', '=', 'open')
      .where('amount_home', 'is not', null)
      .orderBy('kpi_deal_rows.deal_id')
      .executeTakeFirstOrThrow();
    received.length = 0;
    world.sim.admin.updateRecord(world.portalId, 'deals', deal.deal_id, {
      amount: String(Number(deal.amount_home) + 1000),
    });
    await world.sim.webhooks.idle();
    const userEvents = await intake.accept(received);
    expect(userEvents.accepted).toBeGreaterThan(0);
    const members = received.flatMap((e) => membersOf(normaliseEvent(webhookEventSchema.parse(e))));
    expect(members).toContain(`d:${deal.deal_id}`);

    const refreshed = await refreshObjects(
      { db: world.db, hubspot: world.hubspot, logger: log },
      world.portalId,
      {
        deals: [deal.deal_id],
      },
    );
    expect(refreshed.deals).toBe(1);
    await world.recompute();
    const runsAfterChange = await kpiRuns();
    const since = Date.now();
    received.length = 0;
    const written = await world.writeback.run(world.portalId);
    expect(written.calls).toBe(1);
    expect(world.batchCalls(undefined, since)).toHaveLength(1);

    await world.sim.webhooks.idle();
    expect((await intake.accept(received)).accepted).toBe(0);
    const catchup = await runCatchup({ db: world.db, hubspot: world.hubspot, logger: log }, world.portalId);
    expect(catchup.changed).toBe(0);
    expect(await kpiRuns()).toBe(runsAfterChange);
  }, 60_000);
});
