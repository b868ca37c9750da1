import type { Producer } from '../platform/queue/producer';
import type { JobHandler } from '../platform/queue/worker-runner';
import type { KpiService } from './kpi.service';

/**
 * The `kpi.compute` handler: a full recomputation; aborts at the next batch when the worker
 * shuts down. Others ask for a run through the producer (`enqueue('kpi.compute', …)`, debounced
 * by the job registry), never by importing this module. A finished run asks for the portal's
 * write-back the same way (`writeback.run`, debounced).
 */
export function createKpiComputeHandler(
  service: Pick<KpiService, 'recompute'>,
  producer?: Pick<Producer, 'enqueue'>,
): JobHandler<'kpi.compute'> {
  return async (payload, _job, signal) => {
    const summary = await service.recompute(payload.portalId, { signal });
    if (producer) await producer.enqueue('writeback.run', { portalId: payload.portalId });
    return { runId: summary.runId, timings: summary.timings };
  };
}
