import { sql } from 'kysely';

import type { Database, Executor } from '../db';
import { cancelOnAbort } from '../platform/db/cancel-on-abort';
import { withDedicatedClient } from '../platform/db/database';
import { insertBrandSnapshots } from './queries/brand-snapshots';
import { insertVelocityChangeSnapshots } from './queries/change-snapshots';
import { insertClvSnapshots } from './queries/clv-snapshots';
import { createContactFactsTable } from './queries/contact-facts';
import { createDealFactsTables } from './queries/deal-facts';
import { insertFunnelSnapshots } from './queries/funnel-snapshots';
import { insertLifecycleConversionSnapshots } from './queries/lifecycle-conversion-snapshots';
import {
  insertPeriodEndLifecycleSnapshots,
  insertPeriodEndOpenPipelineSnapshots,
} from './queries/period-end-snapshots';
import type { SnapshotQueryContext } from './queries/snapshot-queries';
import {
  insertContactSnapshots,
  insertLifecycleSnapshots,
  insertOpenPipelineSnapshots,
  insertRevenueSnapshots,
  insertTrafficAndMeetingSnapshots,
  insertVelocitySnapshots,
} from './queries/snapshot-queries';
import { insertSpeedToLeadSnapshots } from './queries/speed-to-lead-snapshots';
import { insertContactRows, insertDealRows } from './queries/record-rows';
import type { TouchFacts } from './attribution-pass';
import { writeTouchFacts } from './attribution-pass';
import { TRAILING_90D } from './queries/snapshot-periods';

/**
 * The period snapshots (velocity, revenue, contacts, funnel, speed to lead, CLV, open pipeline,
 * lifecycle, traffic, brand, period ends, lifecycle conversion) and the deal rows, computed on a
 * second connection while the computation's own transaction credits the attribution: those
 * statements are Postgres work, the attribution mostly the worker's, so the two use both cores
 * instead of one after the other.
 *
 * The second session reads the mirror as the computation's transaction saw it right after taking
 * its lock (`pg_export_snapshot`, imported with `set transaction snapshot` in a repeatable-read
 * transaction) and builds its own deal and contact facts (temp tables are per session). It writes
 * this run's rows into `kpi_snapshots_by_run` and `kpi_deal_rows_by_run` through temp views named
 * like the readers' views (the session's temp schema comes first in the search path), which show
 * this run's rows only, so the statements that read this run's rows (the funnel, the velocity
 * changes, the deal rows) read those; and it commits them itself. Readers do not see them before
 * the computation's own commit turns the run `succeeded` (`kpi_current_runs`); if that never
 * comes, they stay hidden until the next run's cleanup (`deleteOtherRuns`) deletes them.
 */

export interface SnapshotSessionResult {
  readonly counts: Record<string, number>;
  /**
   * Wall ms per statement group, in the order they ran, under the stage names they had when they
   * ran in the main transaction: they overlap the caller's stages, so they are not part of its sum.
   */
  readonly timings: Record<string, number>;
}

/** The result tables the session writes, through temp views named like the readers' views. */
const WRITTEN = ['kpi_snapshots', 'kpi_deal_rows'] as const;

/** The snapshot statements in their order (the funnel reads the contact snapshots, the changes the velocity ones). */
async function insertSnapshots(
  db: Executor,
  q: SnapshotQueryContext,
  counts: Record<string, number>,
  stage: (name: string) => void,
): Promise<void> {
  counts.velocityRows = await insertVelocitySnapshots(db, q);
  stage('velocity snapshots');
  counts.velocityChangeRows = await insertVelocityChangeSnapshots(db, q);
  stage('velocity changes');
  counts.revenueRows = await insertRevenueSnapshots(db, q);
  counts.contactRows = await insertContactSnapshots(db, q);
  counts.funnelRows = await insertFunnelSnapshots(db, q);
  counts.speedToLeadRows = await insertSpeedToLeadSnapshots(db, q);
  counts.clvRows = await insertClvSnapshots(db, q);
  counts.openPipelineRows = await insertOpenPipelineSnapshots(db, q);
  counts.lifecycleRows = await insertLifecycleSnapshots(db, q);
  counts.trafficRows = await insertTrafficAndMeetingSnapshots(db, q);
  counts.brandRows = await insertBrandSnapshots(db, q);
  stage('other snapshots');
  counts.periodEndOpenPipelineRows = await insertPeriodEndOpenPipelineSnapshots(db, q);
  counts.periodEndLifecycleRows = await insertPeriodEndLifecycleSnapshots(db, q);
  stage('period-end snapshots');
  counts.lifecycleConversionRows = await insertLifecycleConversionSnapshots(db, q);
  stage('lifecycle conversion');
}

/**
 * Runs the snapshot statements, the deal rows and one part of the contact rows in a session of
 * their own on `snapshotId` (from `pg_export_snapshot()` in the computation's open transaction),
 * and commits them. `signal` cancels the running statement and stops between statements.
 */
export async function computeSnapshotsInSession(
  db: Database,
  snapshotId: string,
  q: SnapshotQueryContext,
  now: number,
  signal: AbortSignal,
  /**
   * The contact rows of this part of the contacts are written here too, from the attribution's
   * touch facts (which arrive while the snapshot statements run).
   */
  contactRows: { readonly touchFacts: Promise<TouchFacts>; readonly part: number; readonly parts: number },
): Promise<SnapshotSessionResult> {
  // Inlined into `set transaction snapshot`, which takes no parameters.
  if (!/^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i.test(snapshotId)) throw new Error(`bad snapshot id ${snapshotId}`);
  return withDedicatedClient(db, ({ db: session, client }) =>
    session
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        await sql.raw(`set transaction snapshot '${snapshotId}'`).execute(trx);
        const untie = await cancelOnAbort(trx, db, signal);
        try {
          const counts: Record<string, number> = {};
          const timings: Record<string, number> = {};
          let stageStart = Date.now();
          const stage = (name: string) => {
            if (signal.aborted) throw new Error('kpi computation aborted');
            const t = Date.now();
            timings[name] = t - stageStart;
            stageStart = t;
          };
          await sql`set local jit = off`.execute(trx);
          await sql`set local work_mem = '256MB'`.execute(trx);
          // As in the computation's transaction (kpi.service.ts): fail rather than wait forever.
          await sql`set local lock_timeout = '2min'`.execute(trx);
          // Simple views over one table: Postgres inserts through them into the table.
          for (const table of WRITTEN)
            await sql`create temp view ${sql.id(table)} as select * from ${sql.table(`${table}_by_run`)}
              where portal_id = ${sql.lit(q.settings.portalId)} and run_id = ${sql.lit(q.runId)}`.execute(
              trx,
            );
          await createDealFactsTables(trx, q.settings);
          await createContactFactsTable(trx, q.settings, now);
          stage('snapshot facts');
          await insertSnapshots(trx, q, counts, stage);
          // The deal rows show the trailing-90-day velocity factors of this run's snapshots.
          const trailing = q.periods.find((p) => p.unit === TRAILING_90D)!.period;
          counts.dealRows = await insertDealRows(trx, {
            settings: q.settings,
            runId: q.runId,
            now,
            trailingStart: trailing.start,
          });
          stage('deal rows');
          const facts = await untilAborted(contactRows.touchFacts, signal);
          stage('waiting for the touch facts');
          const split = { part: contactRows.part, parts: contactRows.parts };
          await writeTouchFacts(trx, client, facts, split);
          counts.contactKpiRows = await insertContactRows(trx, {
            settings: q.settings,
            runId: q.runId,
            split,
          });
          stage('contact rows, second part');
          return { counts, timings };
        } finally {
          untie();
        }
      }),
  );
}

/** `promise`, or a rejection as soon as `signal` aborts (whatever was to resolve it has given up). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('kpi computation aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('kpi computation aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
