import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../platform/queue/jobs';
import type { Producer } from '../platform/queue/producer';

// Every job not running: queued ones would run for nothing, finished ones keep the portal's
// id in Redis. An active job fails on its own, once (PortalNotInstalledError is permanent).
const QUEUED_STATES = [
  'waiting',
  'delayed',
  'prioritized',
  'paused',
  'waiting-children',
  'failed',
  'completed',
] as const;
const PAGE = 500;

/**
 * Removes everything Redis holds for a portal: every job whose payload names it, its
 * schedulers, and the app's own keys for it (pending refreshes, webhook dedupe marks,
 * rate-limit windows, refresh locks). Run at uninstall and again at purge. Returns how
 * many jobs and schedulers were removed.
 */
export async function removeQueuedJobsOfPortal(producer: Producer, portalId: number): Promise<number> {
  const removed = await removeJobsOfPortal(producer, portalId);
  await removePortalKeys(producer, portalId);
  return removed;
}

/**
 * The app's own Redis keys follow one convention: `<prefix>:<area>:…`, with the portal id
 * as a whole `:`-separated segment, never right after the area, when a key belongs to a
 * portal (`sync:pending:<portal>`, `sync:seen:<portal>:<hash>`, `rate:<portal>:<kind>`,
 * `oauth-refresh:<portal>`). BullMQ's keys (`<prefix>:<queue>:<jobId>…`) are left to
 * removeJobsOfPortal: an area may share a queue's name (`sync`), and a job id BullMQ
 * chose is a bare number that may equal a portal id.
 */
async function removePortalKeys(producer: Producer, portalId: number): Promise<number> {
  const queue = producer.queue(QUEUE_NAMES[0]);
  // The ioredis connection the producer was built with (the app does not run on Redis Cluster).
  const redis = (await queue.client) as unknown as Redis;
  const prefix = queue.opts.prefix ?? 'bull';
  const queues = new Set<string>(QUEUE_NAMES);
  const id = String(portalId);
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}:*`, 'COUNT', 1000);
    cursor = next;
    const doomed = keys.filter((key) => {
      const segments = key.slice(prefix.length + 1).split(':');
      // Under a queue's name, segment 1 is BullMQ's (a job id, numeric when BullMQ chose it).
      return segments.slice(queues.has(segments[0] ?? '') ? 2 : 1).includes(id);
    });
    if (doomed.length > 0) deleted += await redis.del(...doomed);
  } while (cursor !== '0');
  return deleted;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

async function removeJobsOfPortal(producer: Producer, portalId: number): Promise<number> {
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
