import { createJobHandlers, startWorker } from '../../../src/main/worker';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('graceful shutdown', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  it('lets an active job finish before the worker stops', async () => {
    const started = deferred();
    let finished = false;
    const workers = startWorker(ctx, {
      queues: ['system'],
      handlers: {
        ...createJobHandlers(ctx),
        health: async () => {
          started.resolve();
          await new Promise((r) => setTimeout(r, 1_000));
          finished = true;
          return { ok: true };
        },
      },
    });
    const job = await ctx.producer.enqueue('health', { requestedAt: new Date().toISOString() });
    await started.promise;

    const { forced } = await workers.close(10_000);

    expect(forced).toBe(false);
    expect(finished).toBe(true);
    expect(await ctx.producer.queue('system').getJobState(job.id!)).toBe('completed');
  });

  it('aborts the signal of a job that outlives the bound, and the job is retried later', async () => {
    const started = deferred();
    let aborted = false;
    const workers = startWorker(ctx, {
      queues: ['system'],
      handlers: {
        ...createJobHandlers(ctx),
        health: (_payload, _job, signal) =>
          new Promise((_resolve, reject) => {
            started.resolve();
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          }),
      },
    });
    const job = await ctx.producer.enqueue(
      'health',
      { requestedAt: new Date().toISOString() },
      { attempts: 3 },
    );
    await started.promise;

    const { forced } = await workers.close(200);

    expect(forced).toBe(false); // the handler stopped when asked
    expect(aborted).toBe(true);
    expect(['wait', 'delayed']).toContain(await ctx.producer.queue('system').getJobState(job.id!));
  });

  it('returns within its bound even when a job ignores the signal', async () => {
    const started = deferred();
    const handlerDone = deferred();
    const workers = startWorker(ctx, {
      queues: ['system'],
      handlers: {
        ...createJobHandlers(ctx),
        health: async () => {
          started.resolve();
          await new Promise((r) => setTimeout(r, 2_500));
          handlerDone.resolve();
          return { ok: true };
        },
      },
    });
    await ctx.producer.enqueue('health', { requestedAt: new Date().toISOString() });
    await started.promise;

    const t0 = Date.now();
    const { forced } = await workers.close(300);

    expect(forced).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await handlerDone.promise; // let the stubborn handler end before the file's cleanup
  });
});
