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
import { openCopyIn, openCopyOut } from './queries/pg-copy';
import type { CopyClient } from './queries/pg-copy';
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

/**
 * The period snapshots (velocity, revenue, contacts, funnel, speed to lead, CLV, open pipeline,
 * lifecycle, traffic, brand, period ends, lifecycle conversion) computed on a second connection while the computation's
 * own transaction credits the attribution: those statements are Postgres work, the attribution
 * mostly the worker's, so the two use both cores instead of one after the other.
 *
 * The second session reads the mirror as the computation's transaction saw it right after taking
 * its lock (`pg_export_snapshot`, imported with `set transaction snapshot` in a repeatable-read
 * transaction), builds its own deal and contact facts (temp tables are per session), and writes
 * into a temp `kpi_snapshots` (the session's temp schema comes first in the search path, so the
 * statements that read this run's rows, the funnel and the velocity changes, read those). Nothing
 * of it is committed: its rows are handed over in COPY's binary format and copied into
 * `kpi_snapshots` by the computation's transaction, so the results still appear in one commit.
 */

export interface SnapshotSessionResult {
  /** The session's `kpi_snapshots` rows in binary COPY format, columns `SNAPSHOT_COLUMNS`. */
  readonly rows: readonly Buffer[];
  readonly counts: Record<string, number>;
  /**
   * Wall ms per statement group, in the order they ran, under the stage names they had when they
   * ran in the main transaction: they overlap the caller's stages, so they are not part of its sum.
   */
  readonly timings: Record<string, number>;
}

const SNAPSHOT_COLUMNS = `portal_id, kpi, period_unit, period_start, period_end, period_label, pipeline_id,
  breakdown, breakdown_value, value, reason, inputs, run_id`;

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
 * Runs the snapshot statements in a session of their own on `snapshotId` (from
 * `pg_export_snapshot()` in the computation's open transaction). `signal` cancels the running
 * statement and stops between statements.
 */
export async function computeSnapshotsInSession(
  db: Database,
  snapshotId: string,
  q: SnapshotQueryContext,
  now: number,
  signal: AbortSignal,
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
          await sql`create temp table kpi_snapshots (like kpi_snapshots including all) on commit drop`.execute(
            trx,
          );
          await createDealFactsTables(trx, q.settings);
          await createContactFactsTable(trx, q.settings, now);
          stage('snapshot facts');
          await insertSnapshots(trx, q, counts, stage);
          const rows: Buffer[] = [];
          for await (const chunk of openCopyOut(
            client,
            `copy pg_temp.kpi_snapshots (${SNAPSHOT_COLUMNS}) to stdout with (format binary)`,
          ))
            rows.push(chunk as Buffer);
          stage('snapshot rows read');
          return { rows, counts, timings };
        } finally {
          untie();
        }
      }),
  );
}

/** Copies a snapshot session's rows into `kpi_snapshots` on `client` (the computation's transaction). */
export async function copySnapshotRows(client: CopyClient, rows: readonly Buffer[]): Promise<number> {
  const copy = openCopyIn(client, `copy kpi_snapshots (${SNAPSHOT_COLUMNS}) from stdin with (format binary)`);
  const finished = new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve);
    copy.once('error', reject);
  });
  for (const chunk of rows) if (!copy.write(chunk)) await new Promise((r) => copy.once('drain', r));
  copy.end();
  await finished;
  return copy.rowCount;
}
