import type { Producer } from '../platform/queue/producer';
import { buildJobId, WRITEBACK_DEBOUNCE_MS } from '../platform/queue/jobs';
import type { JobHandler } from '../platform/queue/worker-runner';
import type { KpiServiceDeps } from './kpi.service';
import { createKpiService } from './kpi.service';

/** How long a portal stays quiet before its KPIs are recomputed; each new trigger restarts the wait. */
export const KPI_DEBOUNCE_MS = 5_000;

/**
 * Asks for a recomputation of a portal's KPIs (the sync calls this after every sync). Debounced
 * with BullMQ's deduplication in debounce mode: the job waits `debounceMs`, and a trigger during
 * the wait replaces it and restarts the wait, so a burst of syncs causes one run. A trigger while a
 * run is active queues one more run after it (the deduplication key lives only as long as the
 * wait), so changes made during a run are never missed; runs of one portal are serialised by a
 * Postgres advisory lock in the service.
 */
export async function requestKpiRecompute(
  producer: Pick<Producer, 'enqueue'>,
  portalId: number,
  options: { readonly debounceMs?: number } = {},
): Promise<void> {
  const debounceMs = options.debounceMs ?? KPI_DEBOUNCE_MS;
  await producer.enqueue(
    'kpi.compute',
    { portalId },
    {
      delay: debounceMs,
      deduplication: {
        id: buildJobId('kpi', 'compute', portalId),
        ttl: debounceMs,
        extend: true,
        replace: true,
      },
    },
  );
}

/**
 * The `kpi.compute` handler: a full recomputation; aborts at the next batch when the worker shuts
 * down. With a producer, a finished run queues the portal's write-back (debounced the same way).
 */
export function createKpiComputeHandler(
  deps: KpiServiceDeps & { readonly producer?: Pick<Producer, 'enqueue'> },
): JobHandler<'kpi.compute'> {
  const service = createKpiService(deps);
  return async (payload, _job, signal) => {
    const summary = await service.recompute(payload.portalId, { signal });
    if (deps.producer)
      await deps.producer.enqueue(
        'writeback.run',
        { portalId: payload.portalId },
        {
          delay: WRITEBACK_DEBOUNCE_MS,
          deduplication: {
            id: buildJobId('writeback', payload.portalId),
            ttl: WRITEBACK_DEBOUNCE_MS,
            extend: true,
            replace: true,
          },
        },
      );
    return { runId: summary.runId, timings: summary.timings };
  };
}
