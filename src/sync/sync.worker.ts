import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HubSpotClientFactory } from '../hubspot/client';
import { HubSpotError } from '../hubspot/errors';
import type { Database } from '../db';
import { PortalNotInstalledError } from '../install';
import type { Producer } from '../platform/queue/producer';
import type { JobHandler } from '../platform/queue/worker-runner';
import { runCatchup } from './catchup';
import { runFullSync } from './full-sync';
import { clearPending, returnPending, takePending } from './pending-objects';
import { refreshObjects } from './refresh';
import { failStream, saveWatermark } from './sync-state.repository';
import { scheduleCatchup } from './sync-queue';

/**
 * The sync's job handlers: thin — parse, run the service, map errors. A HubSpot error
 * marked permanent (a 4xx other than 429, a malformed answer) fails the job for good with
 * its reason; everything else is retried by BullMQ and resumes from the checkpoints.
 */
export type SyncWorkerDeps = {
  db: Database;
  redis: Redis;
  /** The queue prefix: the pending sets live under it. */
  prefix: string;
  producer: Pick<Producer, 'enqueue' | 'queue'>;
  logger: Logger;
  hubspot: HubSpotClientFactory;
  catchupEveryMs?: number;
  /** Set to false where no KPI worker runs (tests, benchmarks). */
  recomputeKpis?: boolean;
};

const REFRESH_TAKE = 500;

function permanentOr<T>(error: T): T | UnrecoverableError {
  if (error instanceof HubSpotError && error.permanent) return new UnrecoverableError(error.message);
  return error;
}

export type SyncJobHandlers = {
  'sync.full': JobHandler<'sync.full'>;
  'sync.objects': JobHandler<'sync.objects'>;
  'sync.catchup': JobHandler<'sync.catchup'>;
};

export function createSyncJobHandlers(deps: SyncWorkerDeps): SyncJobHandlers {
  const syncDeps = () => ({ db: deps.db, hubspot: deps.hubspot, logger: deps.logger });
  const afterSync = async (portalId: number) => {
    // Through the job registry (debounced there): the sync never loads the KPI engine.
    if (deps.recomputeKpis !== false) await deps.producer.enqueue('kpi.compute', { portalId });
  };

  return {
    'sync.full': async (payload, job, signal) => {
      try {
        // Only the first start may restart: a retry, or a run delayed by a rate limit (which
        // spends no attempt), resumes the run it interrupted.
        const counts = await runFullSync(syncDeps(), payload.portalId, {
          signal,
          restart: payload.restart === true && job.attemptsStarted <= 1,
        });
        await scheduleCatchup(deps.producer, payload.portalId, deps.catchupEveryMs);
        await afterSync(payload.portalId);
        return counts;
      } catch (error) {
        throw permanentOr(error);
      }
    },

    'sync.objects': async (payload, _job, signal) => {
      const totals = { contacts: 0, deals: 0, meetings: 0, archived: 0, merged: 0, deleted: 0 };
      for (;;) {
        const taken = await takePending(deps.redis, deps.prefix, payload.portalId, REFRESH_TAKE);
        if (taken.taken === 0) break;
        try {
          const result = await refreshObjects(syncDeps(), payload.portalId, taken, signal);
          for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result[key];
        } catch (error) {
          // The portal is gone (uninstalled or purged): nothing of it may stay behind, in
          // Redis or in sync_state. The runner fails the job once.
          if (error instanceof PortalNotInstalledError) {
            await clearPending(deps.redis, deps.prefix, payload.portalId);
            throw error;
          }
          // Nothing taken is lost: back into the set for the retry.
          await returnPending(deps.redis, deps.prefix, payload.portalId, taken);
          await failStream(
            deps.db,
            payload.portalId,
            'webhooks',
            error instanceof Error ? error.message : String(error),
          );
          throw permanentOr(error);
        }
      }
      const records = Object.values(totals).reduce((a, b) => a + b, 0);
      if (records > 0) {
        await saveWatermark(deps.db, payload.portalId, 'webhooks', new Date().toISOString(), records);
        await afterSync(payload.portalId);
      }
      return totals;
    },

    'sync.catchup': async (payload, _job, signal) => {
      try {
        const result = await runCatchup(syncDeps(), payload.portalId, { signal });
        await afterSync(payload.portalId);
        return result;
      } catch (error) {
        if (error instanceof PortalNotInstalledError) throw error;
        await failStream(
          deps.db,
          payload.portalId,
          'catchup',
          error instanceof Error ? error.message : String(error),
        );
        throw permanentOr(error);
      }
    },
  };
}
