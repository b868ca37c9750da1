import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { outageLogFor } from '../outage-log';
import { redisUrlOf } from './connection';
import { jobNamesOfQueue, jobRegistry } from './jobs';
import type { JobName, JobPayload, QueueName } from './jobs';

/** `signal` aborts when shutdown runs out of patience: long jobs should stop at their next checkpoint. */
export type JobHandler<N extends JobName> = (
  payload: JobPayload<N>,
  job: Job,
  signal: AbortSignal,
) => Promise<unknown>;
export type JobHandlers = { [N in JobName]?: JobHandler<N> };

export type WorkerGroup = {
  workers: Worker[];
  /** Stops taking jobs, waits up to `timeoutMs` for active ones, then forces the rest. */
  close(timeoutMs: number): Promise<{ forced: boolean }>;
};

/**
 * When an error says retrying helps only from a point in time on (`retryAtMs`, epoch ms: a
 * HubSpot daily limit, a long rate-limit park), the runner moves the job to BullMQ's delayed
 * set until then instead of failing it: no attempt is spent and no worker slot is held.
 */
export function retryAtOf(err: unknown): number | undefined {
  const at = (err as { retryAtMs?: unknown } | null)?.retryAtMs;
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}

/** Errors mark themselves `permanent: true` (HubSpotError, PortalNotInstalledError): platform knows no feature's classes. */
export function isPermanent(err: unknown): boolean {
  return (err as { permanent?: unknown } | null)?.permanent === true;
}

export class MissingJobHandlerError extends Error {
  constructor(readonly jobNames: string[]) {
    super(`no handler registered for job(s): ${jobNames.join(', ')}`);
    this.name = 'MissingJobHandlerError';
  }
}

export function startWorkers(deps: {
  queues: readonly QueueName[];
  handlers: JobHandlers;
  createConnection: () => Redis;
  prefix: string;
  concurrency: number;
  logger: Logger;
}): WorkerGroup {
  // Refuse to start rather than let jobs of an unhandled name fail one by one at run time.
  const missing = deps.queues.flatMap(jobNamesOfQueue).filter((name) => !deps.handlers[name]);
  if (missing.length > 0) throw new MissingJobHandlerError(missing);

  const log = deps.logger.child({ name: 'queue' });
  const connections: Redis[] = [];
  const workers = deps.queues.map((queueName) => {
    const connection = deps.createConnection();
    connections.push(connection);
    // One outage line for all the process's connections, not one per connection and retry.
    const watch = outageLogFor(deps.logger.child({ name: 'redis' }), 'Redis', redisUrlOf(connection));
    connection.on('ready', () => watch.recovered());
    const worker = new Worker(
      queueName,
      (job, token, signal) => runJob(job, token, signal ?? new AbortController().signal),
      {
        connection,
        prefix: deps.prefix,
        concurrency: deps.concurrency,
        autorun: true,
      },
    );
    worker.on('failed', (job, err) => {
      log.warn(
        { queue: queueName, jobId: job?.id, jobName: job?.name, attempt: job?.attemptsMade, err },
        'job failed',
      );
    });
    worker.on('error', (err) => {
      if (!watch.failed(err)) log.error({ queue: queueName, err }, 'worker error');
    });
    return worker;
  });

  async function runJob(job: Job, token: string | undefined, signal: AbortSignal): Promise<unknown> {
    const name = job.name as JobName;
    const def = jobRegistry[name];
    // The handler of `name` takes the payload its schema parses; TypeScript cannot tie the two through the union.
    const handler = deps.handlers[name] as
      ((payload: unknown, job: Job, signal: AbortSignal) => Promise<unknown>) | undefined;
    // A job we cannot parse will never succeed: fail it now instead of retrying.
    if (!def || !handler) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const parsed = def.schema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid payload for ${job.name}: ${parsed.error.message}`);
    const started = Date.now();
    try {
      const result = await handler(parsed.data, job, signal);
      log.debug({ jobId: job.id, jobName: job.name, ms: Date.now() - started }, 'job done');
      return result;
    } catch (err) {
      // An error that says retrying cannot help (a portal that is no longer installed, a
      // HubSpot 4xx) fails the job once, instead of burning its attempts.
      if (isPermanent(err) && !(err instanceof UnrecoverableError))
        throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
      const retryAt = retryAtOf(err);
      if (retryAt === undefined || retryAt <= Date.now() || token === undefined) throw err;
      // moveToDelayed keeps attemptsMade as it is; DelayedError tells the worker not to fail the job.
      await job.moveToDelayed(retryAt, token);
      log.info(
        {
          jobId: job.id,
          jobName: job.name,
          until: new Date(retryAt).toISOString(),
          reason: err instanceof Error ? err.message : String(err),
        },
        'job delayed until its rate limit resets',
      );
      throw new DelayedError();
    }
  }

  async function close(timeoutMs: number): Promise<{ forced: boolean }> {
    const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'done' as const);
    // BullMQ closes the connections it duplicated; the ones we passed in are ours to close.
    const closeOwnConnections = () =>
      Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    let finished = (await withTimeout(graceful, timeoutMs)) === 'done';
    if (!finished) {
      // Out of patience: abort the handlers' signals and give them a moment to stop at a
      // checkpoint. A job still running when the process exits stays active in Redis
      // until its lock expires; BullMQ's stalled-job check then hands it to another worker.
      for (const w of workers) w.cancelAllJobs('worker shutting down');
      finished = (await withTimeout(graceful, 1_000)) === 'done';
    }
    if (finished) await closeOwnConnections();
    else void graceful.then(closeOwnConnections, closeOwnConnections);
    return { forced: !finished };
  }

  return { workers, close };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
