import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

/**
 * Every job the app runs: its queue and the zod schema of its payload. Payloads carry
 * ids, never tokens. Job ids, where given, are deterministic so duplicates collapse.
 */
export const QUEUE_NAMES = ['system', 'sync', 'kpi', 'writeback'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

type JobDefinition<S extends z.ZodType> = {
  queue: QueueName;
  schema: S;
  defaults?: JobsOptions;
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
  /** Recompute every KPI of one portal (src/kpi); enqueue through `requestKpiRecompute`, which debounces. */
  'kpi.compute': defineJob({
    queue: 'kpi',
    schema: z.object({ portalId: z.number().int().positive() }).strict(),
    defaults: { attempts: 3 },
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
