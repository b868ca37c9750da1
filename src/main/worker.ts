import type { AppContext } from '../context';
import { createKpiComputeHandler } from '../kpi/kpi.worker';
import { createWritebackHandler } from '../writeback';
import { createRedis } from '../platform/queue/connection';
import { jobNamesOfQueue, jobRegistry, QUEUE_NAMES } from '../platform/queue/jobs';
import type { QueueName } from '../platform/queue/jobs';
import { startWorkers } from '../platform/queue/worker-runner';
import type { JobHandler, JobHandlers, WorkerGroup } from '../platform/queue/worker-runner';

/**
 * Every job's handler, registered from the services the context built (src/context.ts).
 * A job name without one stops the worker at start-up.
 */
export function createJobHandlers(ctx: AppContext): JobHandlers {
  return {
    health: (payload) =>
      Promise.resolve({ ok: true, requestedAt: payload.requestedAt, answeredAt: new Date().toISOString() }),
    'install.purge-due': async () => ({ purged: await ctx.purge.purgeDue(new Date()) }),
    'kpi.compute': warmReportsAfter(createKpiComputeHandler(ctx.kpi, ctx.producer), ctx),
    'writeback.run': createWritebackHandler(ctx.writeback),
    ...ctx.syncJobs,
  };
}

/**
 * After a KPI run, the portal's default report views are drawn once and their charts shared
 * (`warmDefaultViews`), so the first page view after a run does not draw them (ECharts takes
 * 50–200 ms a chart on a busy machine). Best effort: a failure is logged and the run stands.
 */
function warmReportsAfter(handler: JobHandler<'kpi.compute'>, ctx: AppContext): JobHandler<'kpi.compute'> {
  return async (payload, job, signal) => {
    const result = await handler(payload, job, signal);
    const started = Date.now();
    try {
      const charts = await ctx.reports.warmDefaultViews(payload.portalId);
      ctx.logger.debug(
        { portalId: payload.portalId, charts, ms: Date.now() - started },
        'report charts warmed',
      );
    } catch (err) {
      ctx.logger.warn({ err, portalId: payload.portalId }, 'could not warm the report charts');
    }
    return result;
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
