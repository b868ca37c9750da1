import { UnrecoverableError } from 'bullmq';
import { HubSpotError } from '../hubspot';
import type { JobHandler } from '../platform/queue/worker-runner';
import type { WritebackService } from './writeback.service';

/**
 * The `writeback.run` handler: thin. A HubSpot error marked permanent (missing scope, malformed
 * answer) fails the job for good; anything else is retried and resumes from the last checkpoint.
 */
export function createWritebackHandler(service: Pick<WritebackService, 'run'>): JobHandler<'writeback.run'> {
  return async (payload, _job, signal) => {
    try {
      const summary = await service.run(payload.portalId, { signal });
      return {
        runId: summary.runId,
        status: summary.status,
        records: summary.records,
        calls: summary.calls,
        failures: summary.failures,
      };
    } catch (error) {
      if (error instanceof HubSpotError && error.permanent) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
