import { buildJobId, jobRegistry } from '../platform/queue/jobs';
import type { Producer } from '../platform/queue/producer';

/**
 * How the sync's jobs are enqueued. Full syncs run on the `sync` queue; webhook refreshes
 * and catch-ups on `sync-live`, which has workers of its own, so one portal's long full
 * sync never holds back another portal's webhook updates.
 */

/** A full sync per portal at a time: the deterministic id makes a second request a no-op while one waits or runs. */
export async function enqueueFullSync(
  producer: Pick<Producer, 'enqueue'>,
  portalId: number,
  options: { restart?: boolean } = {},
): Promise<string | undefined> {
  const job = await producer.enqueue(
    'sync.full',
    { portalId, ...(options.restart ? { restart: true } : {}) },
    { jobId: buildJobId('sync', portalId, 'full') },
  );
  return job.id;
}

/** Refresh jobs are bucketed by time and start after their bucket closes. */
export const REFRESH_BUCKET_MS = 250;

/**
 * Coalesces refreshes: every event of a 250 ms bucket maps to one job id, and the job
 * starts only after its bucket closed, so everything added to the pending set during
 * the bucket is there when it runs (later buckets get jobs of their own).
 */
export async function enqueueObjectRefresh(
  producer: Pick<Producer, 'enqueue'>,
  portalId: number,
  now = Date.now(),
): Promise<void> {
  const bucket = Math.floor(now / REFRESH_BUCKET_MS);
  const delay = (bucket + 1) * REFRESH_BUCKET_MS - now + 20;
  await producer.enqueue(
    'sync.objects',
    { portalId },
    { jobId: buildJobId('sync', portalId, 'objects', bucket), delay },
  );
}

export const DEFAULT_CATCHUP_EVERY_MS = 15 * 60_000;

/** One job scheduler per portal (BullMQ upserts it, so calling this again only changes the interval). */
export async function scheduleCatchup(
  producer: Pick<Producer, 'queue'>,
  portalId: number,
  everyMs = DEFAULT_CATCHUP_EVERY_MS,
): Promise<void> {
  const data = jobRegistry['sync.catchup'].schema.parse({ portalId });
  await producer
    .queue('sync-live')
    .upsertJobScheduler(
      buildJobId('sync', portalId, 'catchup'),
      { every: everyMs },
      { name: 'sync.catchup', data, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } } },
    );
}

export async function unscheduleCatchup(producer: Pick<Producer, 'queue'>, portalId: number): Promise<void> {
  await producer.queue('sync-live').removeJobScheduler(buildJobId('sync', portalId, 'catchup'));
}

export async function enqueueCatchup(producer: Pick<Producer, 'enqueue'>, portalId: number): Promise<void> {
  await producer.enqueue(
    'sync.catchup',
    { portalId },
    { jobId: buildJobId('sync', portalId, 'catchup', 'now') },
  );
}
