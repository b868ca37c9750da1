import { Redis } from 'ioredis';
import { startReconciler } from '../../../src/main/lifecycle';
import { buildJobId } from '../../../src/platform/queue/jobs';
import { createRedis } from '../../../src/platform/queue/connection';
import { startWorkers } from '../../../src/platform/queue/worker-runner';
import type { WorkerGroup } from '../../../src/platform/queue/worker-runner';
import { compareWithGroundTruth } from '../../../src/sync/compare';
import { FULL_STREAM } from '../../../src/sync/full-sync';
import { enqueueFullSync } from '../../../src/sync/sync-queue';
import { createSyncJobHandlers } from '../../../src/sync/sync.worker';
import { findSyncState } from '../../../src/sync/sync-state.repository';
import { createRedisServer } from '../../helpers/redis-server';
import type { RedisServer } from '../../helpers/redis-server';
import { createTestContext, type TestContext } from '../../helpers/test-context';
import { insertPortal, startSyncWorld, type SyncWorld } from './helpers';

const PORTAL = 101;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Redis loses its data (FLUSHALL on a private redis-server) while a full sync runs: the worker
 * notices, gives the sync its job back and restores the schedules, with nobody acting.
 */
describe('Redis loses its data mid-sync', () => {
  let redis: RedisServer;
  let admin: Redis;
  let ctx: TestContext;
  let world: SyncWorld;
  let workers: WorkerGroup;
  let reconciler: { stop(): void };

  beforeAll(async () => {
    redis = await createRedisServer();
    await redis.start();
    admin = new Redis(redis.url);
    ctx = await createTestContext({ REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '200' });
    world = await startSyncWorld({
      prefix: ctx.config.queue.prefix,
      contacts: 1200,
      deals: 200,
      meetings: 200,
      latencyMs: 5,
    });
    await insertPortal(ctx.db, PORTAL);
    workers = startGroup();
    reconciler = await startReconciler(ctx);
  });

  function startGroup(): WorkerGroup {
    return startWorkers({
      queues: ['sync', 'sync-live'],
      handlers: createSyncJobHandlers({
        db: ctx.db,
        redis: ctx.redis,
        prefix: ctx.config.queue.prefix,
        producer: ctx.producer,
        logger: ctx.logger,
        hubspot: world.hubspot,
        recomputeKpis: false,
      }),
      createConnection: () => createRedis(redis.url, 'worker'),
      prefix: ctx.config.queue.prefix,
      concurrency: 2,
      logger: ctx.logger,
    });
  }

  afterAll(async () => {
    reconciler.stop();
    await workers.close(5_000);
    await world.close();
    await ctx.cleanup();
    admin.disconnect();
    await redis.stop();
  });

  it('FLUSHALL mid-sync: the full sync gets its job back and the mirror matches the simulator exactly', async () => {
    await enqueueFullSync(ctx.producer, PORTAL);
    await waitFor('the full sync to be under way', async () => {
      const full = await findSyncState(ctx.db, PORTAL, FULL_STREAM);
      const contacts = await ctx.db
        .selectFrom('contacts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('portal_id', '=', PORTAL)
        .executeTakeFirstOrThrow();
      return full?.status === 'running' && Number(contacts.n) >= 50 ? true : undefined;
    });
    // The worker restarts (a deploy) while Redis restarts empty: the interrupted job would have
    // been retried after its back-off, but Redis no longer has it.
    await workers.close(100);
    await admin.flushall();
    expect(await ctx.producer.queue('sync').getJobState(buildJobId('sync', PORTAL, 'full'))).toBe('unknown');
    expect((await findSyncState(ctx.db, PORTAL, FULL_STREAM))?.status).toBe('running');
    workers = startGroup();

    await waitFor(
      'the full sync to finish',
      async () => {
        const full = await findSyncState(ctx.db, PORTAL, FULL_STREAM);
        return full?.status === 'done' ? full : undefined;
      },
      40_000,
    );
    expect((await compareWithGroundTruth(ctx.db, PORTAL, world.sim.groundTruth(PORTAL))).differences).toEqual(
      [],
    );
  }, 90_000);

  it('FLUSHALL after the sync: the catch-up schedule and the purge schedule come back', async () => {
    const catchupId = buildJobId('sync', PORTAL, 'catchup');
    await waitFor('the catch-up schedule', async () =>
      (await ctx.producer.queue('sync-live').getJobScheduler(catchupId)) ? true : undefined,
    );
    await admin.flushall();
    expect(await ctx.producer.queue('sync-live').getJobScheduler(catchupId)).toBeFalsy();
    await waitFor(
      'the catch-up schedule to be restored',
      async () => ((await ctx.producer.queue('sync-live').getJobScheduler(catchupId)) ? true : undefined),
      10_000,
    );
    expect(await ctx.producer.queue('system').getJobScheduler('install-purge-due')).toBeTruthy();
  }, 30_000);
});
