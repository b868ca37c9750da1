import { runCommand } from '../../../src/main/cli';
import { runtimeOf } from '../../../src/main/commands/command';
import { statusCommand } from '../../../src/main/commands/status';
import { syncCommand } from '../../../src/main/commands/sync';
import { createRedis } from '../../../src/platform/queue/connection';
import { startWorkers } from '../../../src/platform/queue/worker-runner';
import { compareWithGroundTruth } from '../../../src/sync/compare';
import { runFullSync } from '../../../src/sync/full-sync';
import { enqueueFullSync } from '../../../src/sync/sync-queue';
import { createSyncJobHandlers } from '../../../src/sync/sync.worker';
import { listSyncStates } from '../../../src/sync/sync-state.repository';
import { createTestContext, type TestContext } from '../../helpers/test-context';
import { insertPortal, startSyncWorld, type SyncWorld } from './helpers';

const PORTAL = 101;

describe('full sync against the simulator', () => {
  let ctx: TestContext;
  let world: SyncWorld;

  beforeAll(async () => {
    ctx = await createTestContext();
    world = await startSyncWorld({ prefix: ctx.config.queue.prefix, contacts: 300, deals: 70, meetings: 90 });
    await insertPortal(ctx.db, PORTAL);
  });

  afterAll(async () => {
    await world.close();
    await ctx.cleanup();
  });

  it('ends with Postgres equal to the ground truth, and a re-run changes nothing', async () => {
    const deps = { db: ctx.db, hubspot: world.hubspot, logger: ctx.logger };
    const counts = await runFullSync(deps, PORTAL, { segments: { contacts: 3, deals: 2 } });
    const truth = world.sim.groundTruth(PORTAL);
    expect(counts.contacts).toBe(truth.counts.contacts.active);
    expect(counts.deals).toBe(truth.counts.deals.active);
    expect(counts.meetings).toBe(truth.counts.meetings.active);
    expect(counts.calls).toBe(truth.counts.calls.active);
    expect(counts.emails).toBe(truth.counts.emails.active);
    expect(counts.calls).toBeGreaterThan(50);
    expect(counts.emails).toBeGreaterThan(50);
    expect(counts.touches).toBeGreaterThan(counts.contacts);
    const first = await compareWithGroundTruth(ctx.db, PORTAL, truth);
    expect(first.differences).toEqual([]);
    expect(first.checked.contact).toBe(300);
    expect(first.checked.call).toBe(truth.counts.calls.active);
    expect(first.checked['email↔contact']).toBeGreaterThan(first.checked.email!);

    const states = await listSyncStates(ctx.db, PORTAL);
    expect(states.filter((s) => !s.stream.startsWith('catchup')).every((s) => s.status === 'done')).toBe(
      true,
    );
    expect(states.map((s) => s.stream)).toEqual(
      expect.arrayContaining([
        'full',
        'metadata',
        'contacts#0',
        'contacts#2',
        'deals#1',
        'meetings',
        'calls',
        'emails',
      ]),
    );

    // Pipelines, stages (won from metadata) and lifecycle stages came first.
    const won = await ctx.db
      .selectFrom('pipeline_stages')
      .select('stage_id')
      .where('portal_id', '=', PORTAL)
      .where('is_won', '=', true)
      .orderBy('stage_id')
      .execute();
    expect(won.map((s) => s.stage_id)).toEqual(['75318647', 'closedwon']);
    const lifecycle = await ctx.db
      .selectFrom('lifecycle_stages')
      .select('stage_id')
      .where('portal_id', '=', PORTAL)
      .execute();
    expect(lifecycle.length).toBe(9);

    const again = await runFullSync(deps, PORTAL, { restart: true });
    expect(again).toEqual(counts);
    expect((await compareWithGroundTruth(ctx.db, PORTAL, world.sim.groundTruth(PORTAL))).differences).toEqual(
      [],
    );
  });

  it('marks records deleted since the last run as archived', async () => {
    const deps = { db: ctx.db, hubspot: world.hubspot, logger: ctx.logger };
    const truth = world.sim.groundTruth(PORTAL);
    const deal = truth.deals.find((d) => !d.archived && d.mergedInto === null);
    if (!deal) throw new Error('no live deal');
    world.sim.admin.archiveRecord(PORTAL, 'deals', deal.id);
    await runFullSync(deps, PORTAL, { restart: true });
    const row = await ctx.db
      .selectFrom('deals')
      .select('archived')
      .where('portal_id', '=', PORTAL)
      .where('deal_id', '=', Number(deal.id))
      .executeTakeFirstOrThrow();
    expect(row.archived).toBe(true);
    expect((await compareWithGroundTruth(ctx.db, PORTAL, world.sim.groundTruth(PORTAL))).differences).toEqual(
      [],
    );
  });

  it('kpi-bridge status and sync (catch-up once a full sync is done) print the state and the counts', async () => {
    const sink = () => {
      const out = { text: '', write: (chunk: string) => ((out.text += chunk), true) };
      return out;
    };
    const stdout = sink();
    const stderr = sink();
    const io = {
      stdout: stdout as unknown as NodeJS.WritableStream,
      stderr: stderr as unknown as NodeJS.WritableStream,
    };
    expect(await runCommand(statusCommand, ['--portal', String(PORTAL)], runtimeOf(ctx, io))).toBe(0);
    expect(stdout.text).toMatch(/portal 101/);
    expect(stdout.text).toMatch(/contacts#0\s+done/);
    stdout.text = '';
    expect(
      await runCommand(
        syncCommand,
        ['--portal', String(PORTAL)],
        runtimeOf({ ...ctx, hubspot: world.hubspot }, io),
      ),
    ).toBe(0);
    expect(JSON.parse(stdout.text)).toMatchObject({ portalId: PORTAL, mode: 'catchup' });
    expect(
      await runCommand(syncCommand, ['--portal', 'abc'], runtimeOf({ ...ctx, hubspot: world.hubspot }, io)),
    ).toBe(2);
    expect(stderr.text).toMatch(/--portal must be a HubSpot portal id/);
    expect(stderr.text).toMatch(/Usage: kpi-bridge sync --portal ID/);
  });

  it("runs as a sync.full job on BullMQ, then schedules the portal's catch-up", async () => {
    const handlers = createSyncJobHandlers({
      db: ctx.db,
      redis: ctx.redis,
      prefix: ctx.config.queue.prefix,
      producer: ctx.producer,
      logger: ctx.logger,
      hubspot: world.hubspot,
      recomputeKpis: false,
    });
    const workers = startWorkers({
      queues: ['sync'],
      handlers,
      createConnection: () => createRedis(ctx.config.redis.url, 'worker'),
      prefix: ctx.config.queue.prefix,
      concurrency: 1,
      logger: ctx.logger,
    });
    try {
      const queue = ctx.producer.queue('sync');
      const done = new Promise<unknown>((resolve, reject) => {
        const worker = workers.workers[0];
        worker?.once('completed', (_job, result) => resolve(result));
        worker?.once('failed', (_job, err) => reject(err));
      });
      const jobId = await enqueueFullSync(ctx.producer, PORTAL, { restart: true });
      expect(jobId).toBe(`sync-${PORTAL}-full`);
      // A second request while the first waits or runs collapses into it.
      await enqueueFullSync(ctx.producer, PORTAL);
      const result = await done;
      expect(result).toMatchObject({ contacts: world.sim.groundTruth(PORTAL).counts.contacts.active });
      const schedulers = await ctx.producer.queue('sync-live').getJobSchedulers();
      expect(schedulers.map((j) => j.key)).toContain(`sync-${PORTAL}-catchup`);
      expect(await queue.getJobCounts('waiting', 'delayed', 'active')).toMatchObject({
        waiting: 0,
        delayed: 0,
        active: 0,
      });
    } finally {
      await workers.close(5_000);
    }
  });
});
