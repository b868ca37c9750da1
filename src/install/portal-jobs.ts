import type { Job } from 'bullmq';
import { QUEUE_NAMES } from '../platform/queue/jobs';
import type { Producer } from '../platform/queue/producer';

// Jobs not yet running; an active job finishes or fails on its own (the portal's token is gone).
const QUEUED_STATES = ['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;
const PAGE = 500;

/** Removes every queued job whose payload names the portal. Returns how many were removed. */
export async function removeQueuedJobsOfPortal(producer: Producer, portalId: number): Promise<number> {
  let removed = 0;
  for (const name of QUEUE_NAMES) {
    const queue = producer.queue(name);
    const doomed: Job[] = [];
    for (let start = 0; ; start += PAGE) {
      const jobs = await queue.getJobs([...QUEUED_STATES], start, start + PAGE - 1, true);
      for (const job of jobs)
        if ((job.data as { portalId?: unknown } | undefined)?.portalId === portalId) doomed.push(job);
      if (jobs.length < PAGE) break;
    }
    // Recurring work (the sync's catch-up) would otherwise keep coming back for the portal.
    const schedulers = await queue.getJobSchedulers(0, -1);
    for (const scheduler of schedulers) {
      const data = scheduler.template?.data as { portalId?: unknown } | undefined;
      if (data?.portalId === portalId && (await queue.removeJobScheduler(scheduler.key))) removed++;
    }
    for (const job of doomed) {
      // A job that started meanwhile is locked and cannot be removed: leave it.
      await job.remove().then(
        () => removed++,
        () => undefined,
      );
    }
  }
  return removed;
}
