import { QueueEvents } from 'bullmq';
import type { Job } from 'bullmq';
import { createJobHandlers, startWorker } from '../../../src/main/worker';
import { InvalidJobPayloadError } from '../../../src/platform/queue/producer';
import { MissingJobHandlerError } from '../../../src/platform/queue/worker-runner';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';

describe('queue', () => {
  let ctx: TestContext;
  let events: QueueEvents;

  beforeAll(async () => {
    ctx = await createTestContext();
    events = new QueueEvents('system', {
      connection: { url: ctx.config.redis.url },
      prefix: ctx.config.queue.prefix,
    });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events.close();
    await ctx.cleanup();
  });

  it('runs a job enqueued by the producer on a worker and returns its result', async () => {
    const workers = startWorker(ctx);
    try {
      const requestedAt = new Date().toISOString();
      const job = await ctx.producer.enqueue('health', { requestedAt });
      const result = (await job.waitUntilFinished(events, 10_000)) as { ok: boolean; requestedAt: string };
      expect(result).toMatchObject({ ok: true, requestedAt });
    } finally {
      await workers.close(5_000);
    }
  });

  it('refuses a payload that does not match the job schema, before it reaches Redis', async () => {
    const before = await ctx.producer.queue('system').count();
    await expect(ctx.producer.enqueue('health', { requestedAt: 'yesterday' })).rejects.toBeInstanceOf(
      InvalidJobPayloadError,
    );
    await expect(
      ctx.producer.enqueue('health', { requestedAt: new Date().toISOString(), token: 'x' } as never),
    ).rejects.toThrow(/token/);
    expect(await ctx.producer.queue('system').count()).toBe(before);
  });

  it('fails a job with a corrupt payload at once instead of retrying it', async () => {
    const workers = startWorker(ctx);
    try {
      // Written around the producer, as an old or foreign producer might.
      const job = await ctx.producer.queue('system').add('health', { requestedAt: 42 }, { attempts: 5 });
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid payload/);
      const failed = (await ctx.producer.queue('system').getJob(job.id!)) as Job;
      expect(failed.attemptsMade).toBe(1);
    } finally {
      await workers.close(5_000);
    }
  });

  it('refuses to start a worker when a job name has no handler', () => {
    const handlers = createJobHandlers(ctx);
    delete handlers.health;
    expect(() => startWorker(ctx, { handlers })).toThrow(MissingJobHandlerError);
    expect(() => startWorker(ctx, { handlers: {} })).toThrow(/health/);
  });
});
