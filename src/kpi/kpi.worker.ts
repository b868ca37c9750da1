import type { JobHandler } from '../platform/queue/worker-runner';
import type { KpiService } from './kpi.service';

/**
 * The `kpi.compute` handler: a full recomputation; aborts at the next batch when the worker
 * shuts down. Others ask for a run through the producer (`enqueue('kpi.compute', …)`, debounced
 * by the job registry), never by importing this module.
 */
export function createKpiComputeHandler(service: Pick<KpiService, 'recompute'>): JobHandler<'kpi.compute'> {
  return async (payload, _job, signal) => {
    const summary = await service.recompute(payload.portalId, { signal });
    return { runId: summary.runId, timings: summary.timings };
  };
}
