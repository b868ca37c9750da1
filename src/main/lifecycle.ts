import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { AppContext } from '../context';
import { isConnectionError, redactUrl } from '../platform/outage-log';
import { startApi } from './api';
import { reconcileSync } from '../sync/reconcile';
import { scheduleRecurringJobs, startWorker } from './worker';
import { startHeartbeat } from '../platform/queue/heartbeat';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0 (1 if stopping failed).
 * A second signal while stopping exits at once: an operator who presses Ctrl-C twice means it.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped cleanly');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** A service the command needs did not answer in time: the message says which, where, and what to do. */
export class ServiceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

/** EX_UNAVAILABLE (sysexits.h): a service the command depends on is down. */
export const EXIT_UNAVAILABLE = 69;

const HOW_TO_START = {
  postgres:
    "start it (`docker compose up -d postgres`, or your system's service: `sudo service postgresql start`) or point DATABASE_URL at a running server",
  redis:
    'start it (`docker compose up -d redis`, or `redis-server --daemonize yes`) or point REDIS_URL at a running server',
};

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
  // Node's "connect ECONNREFUSED" for both IPv4 and IPv6 arrives as an AggregateError without a message.
  return e.code ?? e.errors?.[0]?.code ?? e.message ?? String(err);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits up to `waitMs` for Postgres to accept a query. Errors that waiting cannot fix (a
 * missing database, a refused login) fail at once.
 */
export async function waitForPostgres(
  url: string,
  waitMs: number,
  options: { allowMissingDatabase?: boolean } = {},
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: Math.max(500, Math.min(2_000, deadline - Date.now())),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '3D000') {
        if (options.allowMissingDatabase) return;
        throw new ServiceUnavailableError(
          `Postgres at ${redactUrl(url)} has no such database: run \`kpi-bridge migrate\` (it creates the database and its tables)`,
        );
      }
      if (code === '28P01' || code === '28000')
        throw new ServiceUnavailableError(
          `Postgres at ${redactUrl(url)} refused the login (${code}): check the user and password in DATABASE_URL`,
        );
      if (Date.now() + 250 >= deadline)
        throw new ServiceUnavailableError(
          `Postgres is not reachable at ${redactUrl(url)} (${reason(err)}, waited ${Math.round(waitMs / 1000)} s): ${HOW_TO_START.postgres}`,
        );
      await sleep(250);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Waits up to `waitMs` for Redis to answer PING. */
export async function waitForRedis(url: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: Math.max(500, Math.min(2_000, deadline - Date.now())),
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (err) {
      const message = (err as Error).message ?? '';
      if (/NOAUTH|WRONGPASS/.test(message))
        throw new ServiceUnavailableError(
          `Redis at ${redactUrl(url)} refused the login: check the password in REDIS_URL`,
        );
      if (Date.now() + 250 >= deadline)
        throw new ServiceUnavailableError(
          `Redis is not reachable at ${redactUrl(url)} (${reason(err)}, waited ${Math.round(waitMs / 1000)} s): ${HOW_TO_START.redis}`,
        );
      await sleep(250);
    } finally {
      redis.disconnect();
    }
  }
}

/**
 * The start-up check of every command that uses Postgres or Redis: both are probed at once,
 * and if either stays down for `config.startupWaitMs`, one error names each one that is down.
 */
export async function checkServices(
  config: Config,
  which: { postgres: boolean; redis: boolean; allowMissingDatabase?: boolean },
): Promise<void> {
  const probes: Promise<void>[] = [];
  if (which.postgres)
    probes.push(
      waitForPostgres(config.db.url, config.startupWaitMs, {
        allowMissingDatabase: which.allowMissingDatabase ?? false,
      }),
    );
  if (which.redis) probes.push(waitForRedis(config.redis.url, config.startupWaitMs));
  const failed: unknown[] = (await Promise.allSettled(probes)).flatMap((r) =>
    r.status === 'rejected' ? [r.reason as unknown] : [],
  );
  if (failed.length === 0) return;
  const unexpected = failed.find((e) => !(e instanceof ServiceUnavailableError));
  if (unexpected) throw unexpected instanceof Error ? unexpected : new Error(JSON.stringify(unexpected));
  throw new ServiceUnavailableError(failed.map((e) => (e as Error).message).join('\n'));
}

/** The API could not bind its port: say which and why, instead of a stack. */
export function describeListenError(err: unknown, config: Config): Error {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE')
    return new Error(
      `port ${config.http.port} on ${config.http.host} is already in use (EADDRINUSE): stop the other process or set PORT`,
    );
  if (code === 'EACCES')
    return new Error(
      `not allowed to listen on port ${config.http.port} (EACCES): choose a port above 1023 with PORT`,
    );
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * `api`, `worker`, `all`: starts the API and/or the workers on an already checked context and
 * stops them on SIGTERM/SIGINT. Resolves once started; a failure to start rejects (the CLI
 * then closes the context and exits non-zero).
 */
export async function serve(ctx: AppContext, which: { api: boolean; worker: boolean }): Promise<void> {
  const { config, logger } = ctx;
  const api = which.api
    ? await startApi(ctx).catch((err: unknown) => {
        throw describeListenError(err, config);
      })
    : undefined;
  const workers = which.worker ? startWorker(ctx) : undefined;
  let reconciler: { stop(): void } | undefined;
  try {
    if (workers) reconciler = await startReconciler(ctx);
  } catch (err) {
    await workers?.close(1_000);
    await api?.close();
    throw err;
  }
  // For `kpi-bridge healthcheck --worker` (the container health check of a process without a port).
  const heartbeat = workers
    ? startHeartbeat({
        probe: async () => {
          if (!workers.workers.every((w) => w.isRunning())) throw new Error('a queue worker stopped');
          for (const { check } of ctx.readinessChecks) await check();
        },
      })
    : undefined;
  stopOnSignals(async () => {
    heartbeat?.stop();
    // Order matters: stop taking new work, let active work finish, then close connections.
    reconciler?.stop();
    await api?.close();
    const result = await workers?.close(config.shutdownTimeoutMs);
    if (result?.forced) logger.warn('active jobs did not finish in time; they will be retried');
    await ctx.close();
  }, logger);
}

/** Restores schedules only (not failed full syncs) at most this often without a loss of data. */
const SCHEDULE_CHECK_EVERY_MS = 10 * 60_000;

/**
 * Keeps Redis in line with Postgres in a worker process. At start, and whenever Redis turns
 * out to have lost its data (the marker key written here is gone: a restart without
 * persistence, a failover to an empty replica), it re-creates the recurring schedules and
 * gives running full syncs their jobs back; every ten minutes it checks the schedules. A
 * timer, not a BullMQ repeatable job: that would be lost with the rest.
 */
export async function startReconciler(
  ctx: AppContext,
  options: { everyMs?: number } = {},
): Promise<{ stop(): void; tick(): Promise<void> }> {
  const marker = `${ctx.config.queue.prefix}:redis-data-marker`;
  const log = ctx.logger.child({ name: 'reconcile' });
  const deps = {
    db: ctx.db,
    producer: ctx.producer,
    logger: ctx.logger,
    catchupEveryMs: ctx.config.sync.catchupEveryMs,
  };
  let lastScheduleCheck = 0;
  const restore = async (requeueFullSyncs: boolean) => {
    await scheduleRecurringJobs(ctx);
    await reconcileSync(deps, { requeueFullSyncs });
    lastScheduleCheck = Date.now();
  };
  let started = false;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (!started) {
        // At start (retried by the next tick if Redis or Postgres dropped meanwhile).
        await ctx.redis.set(marker, String(Date.now()), 'NX');
        await restore(true);
        started = true;
      } else if ((await ctx.redis.exists(marker)) === 0) {
        log.warn('Redis has lost its data: restoring schedules and the jobs of running syncs');
        await restore(true);
        await ctx.redis.set(marker, String(Date.now()), 'NX');
      } else if (Date.now() - lastScheduleCheck >= SCHEDULE_CHECK_EVERY_MS) {
        await restore(false);
      }
    } catch (err) {
      // Redis or Postgres down: the outage is logged by the connections; try again next tick.
      if (!isConnectionError(err)) log.error({ err }, 'reconciling Redis with Postgres failed');
    } finally {
      running = false;
    }
  };
  await tick();
  const timer = setInterval(() => void tick(), options.everyMs ?? ctx.config.queue.reconcileEveryMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
