import type { Logger } from 'pino';
import type { Database } from '../db';
import { buildJobId } from '../platform/queue/jobs';
import type { Producer } from '../platform/queue/producer';
import { FULL_STREAM } from './full-sync';
import { enqueueFullSync, scheduleCatchup } from './sync-queue';

/**
 * The sync's state lives in Postgres, its jobs and schedules in Redis. When Redis loses its
 * data (a non-persistent instance restarted, a failover to an empty replica), Postgres still
 * says a full sync is running while no job will ever run it, and the catch-up schedules are
 * gone. The reconciler puts Redis back in line with Postgres: a full sync that is running (or
 * never ran) for an installed portal gets its job again (it resumes from its checkpoints),
 * and a portal whose full sync is done gets its catch-up schedule again. Every step is
 * idempotent (deterministic job and scheduler ids), so any number of workers may run it.
 */
export type ReconcileDeps = {
  db: Database;
  producer: Pick<Producer, 'enqueue' | 'queue'>;
  logger: Logger;
  catchupEveryMs?: number;
};

export type ReconcileResult = { fullSyncsRequeued: number[]; catchupsRescheduled: number[] };

/** Job states in which a job will still run (or is running). */
const LIVE_STATES = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);

/**
 * `requeueFullSyncs`: also give a job back to full syncs that have none. At start and after a
 * loss of Redis data only: a full sync that failed for good (a revoked token) also has no job,
 * and must not be retried every few minutes.
 */
export async function reconcileSync(
  deps: ReconcileDeps,
  options: { requeueFullSyncs: boolean },
): Promise<ReconcileResult> {
  const rows = await deps.db
    .selectFrom('portals')
    .leftJoin('sync_state', (join) =>
      join.onRef('sync_state.portal_id', '=', 'portals.portal_id').on('sync_state.stream', '=', FULL_STREAM),
    )
    .select(['portals.portal_id as portalId', 'sync_state.status as status'])
    .where('portals.status', '=', 'installed')
    .orderBy('portals.portal_id')
    .execute();
  const result: ReconcileResult = { fullSyncsRequeued: [], catchupsRescheduled: [] };
  const syncQueue = deps.producer.queue('sync');
  const liveQueue = deps.producer.queue('sync-live');
  for (const { portalId, status } of rows) {
    if (status === 'done') {
      const scheduler = await liveQueue.getJobScheduler(buildJobId('sync', portalId, 'catchup'));
      if (!scheduler) {
        await scheduleCatchup(deps.producer, portalId, deps.catchupEveryMs);
        result.catchupsRescheduled.push(portalId);
      }
      continue;
    }
    if (!options.requeueFullSyncs) continue;
    // Running, failed or never started: the full sync must have a job that will run.
    const jobId = buildJobId('sync', portalId, 'full');
    const state = await syncQueue.getJobState(jobId);
    if (LIVE_STATES.has(state)) continue;
    // A failed job keeps its id: remove it, or the new one would be ignored as a duplicate.
    if (state === 'failed' || state === 'completed') await syncQueue.remove(jobId).catch(() => 0);
    await enqueueFullSync(deps.producer, portalId);
    result.fullSyncsRequeued.push(portalId);
  }
  if (result.fullSyncsRequeued.length > 0 || result.catchupsRescheduled.length > 0)
    deps.logger
      .child({ name: 'sync' })
      .warn(result, 'restored sync jobs and schedules that Redis no longer had');
  return result;
}
