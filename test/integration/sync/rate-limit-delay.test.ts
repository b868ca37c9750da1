import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { createRedis } from '../../../src/platform/queue/connection';
import { startWorkers } from '../../../src/platform/queue/worker-runner';
import type { WorkerGroup } from '../../../src/platform/queue/worker-runner';
import { enqueueFullSync } from '../../../src/sync/sync-queue';
import { createSyncJobHandlers } from '../../../src/sync/sync.worker';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { insertPortal, startSyncWorld } from './helpers';
import type { SyncWorld } from './helpers';

/**
 * A job that meets HubSpot's daily limit, or a rate-budget park longer than a call may wait,
 * is moved to BullMQ's delayed set until the limit resets: no attempt is spent and the worker
 * slot is free for other portals meanwhile. Real Redis, BullMQ and the simulator's 429s.
 */
const A = 101;
const B = 102;
let ctx: TestContext;
let world: SyncWorld;
let workers: WorkerGroup;
const failed: string[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  world = await startSyncWorld({ prefix: ctx.config.queue.prefix, portals: 2, contacts: 12, deals: 4 });
  await insertPortal(ctx.db, A);
  await insertPortal(ctx.db, B);
  workers = startWorkers({
    queues: ['sync'],
    handlers: createSyncJobHandlers({
      db: ctx.db,
      redis: ctx.redis,
      prefix: ctx.config.queue.prefix,
      producer: ctx.producer,
      logger: ctx.logger,
      hubspot: world.hubspot,
      recomputeKpis: false,
    }),
    createConnection: () => createRedis(ctx.config.redis.url, 'worker'),
    prefix: ctx.config.queue.prefix,
    // One slot: a job that slept in it would block every other portal.
    concurrency: 1,
    logger: ctx.logger,
  });
  workers.workers[0]!.on('failed', (job) => failed.push(String(job?.id)));
});
afterAll(async () => {
  await workers.close(5_000);
  await world.close();
  await ctx.cleanup();
});

const jobId = (portalId: number) => `sync-${portalId}-full`;

async function waitForState(id: string, state: string, ms = 10_000): Promise<Job> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await ctx.producer.queue('sync').getJob(id);
    if (job && (await job.getState()) === state) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} never became ${state}`);
    await sleep(50);
  }
}

function completion(id: string): Promise<unknown> {
  return new Promise((resolve) => {
    const onCompleted = (job: Job, result: unknown) => {
      if (job.id !== id) return;
      workers.workers[0]!.off('completed', onCompleted);
      resolve(result);
    };
    workers.workers[0]!.on('completed', onCompleted);
  });
}

/** When BullMQ will run a delayed job: its delayed set scores jobs by (timestamp << 12) + sequence. */
async function delayedUntil(id: string): Promise<number> {
  const score = await world.redis.zscore(`${ctx.config.queue.prefix}:sync:delayed`, id);
  return Math.floor(Number(score) / 0x1000);
}

async function clearParks(portalId: number): Promise<void> {
  const prefix = ctx.config.queue.prefix;
  await world.redis.del(
    `${prefix}:rate:${portalId}:standard:parked`,
    `${prefix}:rate:${portalId}:search:parked`,
  );
}

it('a DAILY 429 delays the job until the reset without spending an attempt or holding the slot; it resumes after', async () => {
  world.sim.admin.setFaults(A, { dailyLimitExhausted: true });
  const before = Date.now();
  await enqueueFullSync(ctx.producer, A, { restart: true });
  const delayed = await waitForState(jobId(A), 'delayed');
  expect(delayed.attemptsMade).toBe(0);
  // Parked for the adapter's re-check interval (an hour), not retried on BullMQ's 5-s backoff.
  expect(await delayedUntil(jobId(A))).toBeGreaterThan(before + 55 * 60_000);
  // HubSpot saw only the daily 429s of the streams that ran at once, then nothing more.
  const statuses = world.sim.requestLog.list({ portalId: A }).map((e) => e.status);
  expect(statuses.length).toBeGreaterThan(0);
  expect(new Set(statuses)).toEqual(new Set([429]));

  // The one worker slot is free: portal B's full sync runs to the end meanwhile.
  const doneB = completion(jobId(B));
  await enqueueFullSync(ctx.producer, B, { restart: true });
  expect(await doneB).toMatchObject({ contacts: world.sim.groundTruth(B).counts.contacts.active });
  expect(await delayed.getState()).toBe('delayed');
  expect(world.sim.requestLog.count({ portalId: A })).toBe(statuses.length);

  // A new day: HubSpot answers again and the park has expired (cleared here instead of waiting an
  // hour); the delayed job is promoted rather than waited for, and completes.
  world.sim.admin.setFaults(A, { dailyLimitExhausted: false });
  await clearParks(A);
  const doneA = completion(jobId(A));
  await delayed.promote();
  expect(await doneA).toMatchObject({ contacts: world.sim.groundTruth(A).counts.contacts.active });
  expect(failed).toEqual([]);
});

it('a budget parked longer than a call may wait (another process met a long back-off) delays the job, calling nobody', async () => {
  const requestsBefore = world.sim.requestLog.count({ portalId: A });
  const parkedUntil = Date.now() + 60_000;
  await world.budget.backOff(A, 'TEN_SECONDLY_ROLLING', parkedUntil);
  await enqueueFullSync(ctx.producer, A, { restart: true });
  const delayed = await waitForState(jobId(A), 'delayed');
  expect(delayed.attemptsMade).toBe(0);
  expect(Math.abs((await delayedUntil(jobId(A))) - parkedUntil)).toBeLessThan(2_000);
  expect(world.sim.requestLog.count({ portalId: A })).toBe(requestsBefore);

  await clearParks(A);
  const doneA = completion(jobId(A));
  await delayed.promote();
  await doneA;
  expect(failed).toEqual([]);
});
