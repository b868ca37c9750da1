import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

/**
 * Every job the app runs: its queue and the zod schema of its payload. Payloads carry
 * ids, never tokens. Job ids, where given, are deterministic so duplicates collapse.
 */
// sync-live: webhook refreshes and catch-ups, with workers of their own so full syncs never starve them.
export const QUEUE_NAMES = ['system', 'sync', 'sync-live', 'kpi', 'writeback'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

type JobDefinition<S extends z.ZodType> = {
  queue: QueueName;
  schema: S;
  defaults?: JobsOptions;
  /**
   * Collapses a burst of requests into one run after a quiet period (BullMQ deduplication in
   * debounce mode): the job waits `ms`, and a request during the wait replaces it and restarts
   * the wait. A request while a run is active queues one more run after it (the key lives only
   * as long as the wait), so work asked for during a run is never lost.
   */
  debounce?: { key: (payload: z.infer<S>) => string; ms: number };
};

function defineJob<S extends z.ZodType>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

export const jobRegistry = {
  /** Round trip through Redis and a worker; used by readiness tooling and tests. */
  health: defineJob({
    queue: 'system',
    schema: z.object({ requestedAt: z.iso.datetime() }).strict(),
    defaults: { attempts: 1 },
  }),
  /** Daily: deletes the data of portals uninstalled longer ago than the grace period (src/install/purge.ts). */
  'install.purge-due': defineJob({
    queue: 'system',
    schema: z.object({}).strict(),
    defaults: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
  }),
  /**
   * Recompute every KPI of one portal (src/kpi). The sync asks for it after every sync;
   * debounced so a burst of syncs causes one run. Runs of one portal are serialised by a
   * Postgres advisory lock in the KPI service.
   */
  'kpi.compute': defineJob({
    queue: 'kpi',
    schema: z.object({ portalId: z.number().int().positive() }).strict(),
    defaults: { attempts: 3 },
    debounce: { key: (p) => buildJobId('kpi', 'compute', p.portalId), ms: 5_000 },
  }),
  /** Full sync of one portal (src/sync); resumes from checkpointed cursors on retry. Job id sync-<portal>-full. */
  'sync.full': defineJob({
    queue: 'sync',
    schema: z.object({ portalId: z.number().int().positive(), restart: z.boolean().optional() }).strict(),
    // Deterministic ids: keep no finished job around, or the next request with the same id would be ignored.
    defaults: {
      attempts: 20,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: true,
    },
  }),
  /** Re-reads the records webhooks named (the portal's pending set in Redis); coalesced per 250 ms. */
  'sync.objects': defineJob({
    queue: 'sync-live',
    schema: z.object({ portalId: z.number().int().positive() }).strict(),
    defaults: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600 },
    },
  }),
  /** Scheduled catch-up of one portal: last-modified search, deletions, associations. */
  'sync.catchup': defineJob({
    queue: 'sync-live',
    schema: z.object({ portalId: z.number().int().positive() }).strict(),
    defaults: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: true,
    },
  }),
  /**
   * Writes a portal's KPIs into its kpibridge_* properties (src/writeback); queued, debounced, when a
   * KPI run finishes. Retries resume after the last batch HubSpot accepted.
   */
  'writeback.run': defineJob({
    queue: 'writeback',
    schema: z.object({ portalId: z.number().int().positive() }).strict(),
    defaults: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600 },
    },
    debounce: { key: (p) => buildJobId('writeback', p.portalId), ms: 2_000 },
  }),
} as const;

export type JobRegistry = typeof jobRegistry;
export type JobName = keyof JobRegistry;
export type JobPayload<N extends JobName> = z.infer<JobRegistry[N]['schema']>;

export function jobNamesOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(jobRegistry) as JobName[]).filter((name) => jobRegistry[name].queue === queue);
}

/** BullMQ job ids may not contain ':' (the key separator) and may not be all digits. */
export function buildJobId(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/:/g, '_')).join('-');
}
