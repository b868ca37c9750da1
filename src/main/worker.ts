import type { AppContext } from '../context';
import { createKpiComputeHandler } from '../kpi/kpi.worker';
import { createRedis } from '../platform/queue/connection';
import { jobNamesOfQueue, jobRegistry, QUEUE_NAMES } from '../platform/queue/jobs';
import type { QueueName } from '../platform/queue/jobs';
import { startWorkers } from '../platform/queue/worker-runner';
import type { JobHandlers, WorkerGroup } from '../platform/queue/worker-runner';

/**
 * Every job's handler, registered from the services the context built (src/context.ts).
 * A job name without one stops the worker at start-up.
 */
export function createJobHandlers(ctx: AppContext): JobHandlers {
  return {
    health: (payload) =>
      Promise.resolve({ ok: true, requestedAt: payload.requestedAt, answeredAt: new Date().toISOString() }),
    'install.purge-due': async () => ({ purged: await ctx.purge.purgeDue(new Date()) }),
    'kpi.compute': createKpiComputeHandler(ctx.kpi),
    ...ctx.syncJobs,
  };
}

export const PURGE_SCHEDULER_ID = 'install-purge-due';

/**
 * Recurring jobs that belong to no portal. BullMQ upserts schedulers by id, so every worker
 * process may call this at start-up and there is still one schedule.
 */
export async function scheduleRecurringJobs(ctx: AppContext): Promise<void> {
  const data = jobRegistry['install.purge-due'].schema.parse({});
  await ctx.producer
    .queue('system')
    .upsertJobScheduler(
      PURGE_SCHEDULER_ID,
      { pattern: '17 3 * * *', tz: 'UTC' },
      { name: 'install.purge-due', data },
    );
}

export function startWorker(
  ctx: AppContext,
  options: { queues?: readonly QueueName[]; handlers?: JobHandlers } = {},
): WorkerGroup {
  const group = startWorkers({
    // A queue no job is registered on yet needs no worker.
    queues: options.queues ?? QUEUE_NAMES.filter((q) => jobNamesOfQueue(q).length > 0),
    handlers: options.handlers ?? createJobHandlers(ctx),
    createConnection: () => createRedis(ctx.config.redis.url, 'worker'),
    prefix: ctx.config.queue.prefix,
    concurrency: ctx.config.queue.concurrency,
    logger: ctx.logger,
  });
  ctx.logger.child({ name: 'worker' }).info({ queues: group.workers.map((w) => w.name) }, 'worker started');
  return group;
}
