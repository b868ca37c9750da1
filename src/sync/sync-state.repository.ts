import { sql } from 'kysely';
import type { Executor } from '../db';
import type { SyncStateRow } from './sync.tables';

/** Per portal and stream bookkeeping: cursors checkpointed after every page, progress, errors. */

export async function findSyncState(
  db: Executor,
  portalId: number,
  stream: string,
): Promise<SyncStateRow | undefined> {
  return db
    .selectFrom('sync_state')
    .selectAll()
    .where('portal_id', '=', portalId)
    .where('stream', '=', stream)
    .executeTakeFirst();
}

export async function listSyncStates(db: Executor, portalId?: number): Promise<SyncStateRow[]> {
  let q = db.selectFrom('sync_state').selectAll();
  if (portalId !== undefined) q = q.where('portal_id', '=', portalId);
  return q.orderBy('portal_id').orderBy('stream').execute();
}

/**
 * Starts (or resumes) a stream of a run: a new run id resets cursor and counters; the
 * same run id keeps them, which is how a retried job resumes.
 */
export async function beginStream(
  db: Executor,
  portalId: number,
  stream: string,
  runId: string,
): Promise<SyncStateRow> {
  const row = await db
    .insertInto('sync_state')
    .values({
      portal_id: portalId,
      stream,
      status: 'running',
      run_id: runId,
      started_at: sql<Date>`now()`,
      cursor: null,
    })
    .onConflict((oc) =>
      oc.columns(['portal_id', 'stream']).doUpdateSet((eb) => ({
        status: 'running',
        run_id: runId,
        cursor: sql<
          string | null
        >`case when ${eb.ref('sync_state.run_id')} = ${runId} then ${eb.ref('sync_state.cursor')} else null end`,
        records_synced: sql<number>`case when ${eb.ref('sync_state.run_id')} = ${runId} then ${eb.ref('sync_state.records_synced')} else 0 end`,
        pages: sql<number>`case when ${eb.ref('sync_state.run_id')} = ${runId} then ${eb.ref('sync_state.pages')} else 0 end`,
        started_at: sql<Date>`case when ${eb.ref('sync_state.run_id')} = ${runId} then ${eb.ref('sync_state.started_at')} else now() end`,
        updated_at: sql<Date>`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}

/** The checkpoint after a page: written in the page's transaction, so data and cursor agree. */
export async function checkpointStream(
  db: Executor,
  portalId: number,
  stream: string,
  cursor: string | null,
  records: number,
): Promise<void> {
  await db
    .updateTable('sync_state')
    .set((eb) => ({
      cursor,
      records_synced: eb('records_synced', '+', records),
      pages: eb('pages', '+', 1),
      updated_at: sql<Date>`now()`,
    }))
    .where('portal_id', '=', portalId)
    .where('stream', '=', stream)
    .execute();
}

export async function finishStream(
  db: Executor,
  portalId: number,
  stream: string,
  cursor: string | null = null,
): Promise<void> {
  await db
    .updateTable('sync_state')
    .set({ status: 'done', cursor, last_success_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('portal_id', '=', portalId)
    .where('stream', '=', stream)
    .execute();
}

export async function failStream(
  db: Executor,
  portalId: number,
  stream: string,
  reason: string,
): Promise<void> {
  await db
    .insertInto('sync_state')
    .values({
      portal_id: portalId,
      stream,
      status: 'failed',
      last_error: reason.slice(0, 1000),
      last_error_at: sql<Date>`now()`,
    })
    .onConflict((oc) =>
      oc.columns(['portal_id', 'stream']).doUpdateSet({
        status: 'failed',
        last_error: reason.slice(0, 1000),
        last_error_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .execute();
}

/** A watermark stream (catch-up): the cursor is the state itself and survives runs. */
export async function saveWatermark(
  db: Executor,
  portalId: number,
  stream: string,
  cursor: string,
  records: number,
): Promise<void> {
  await db
    .insertInto('sync_state')
    .values({
      portal_id: portalId,
      stream,
      status: 'done',
      cursor,
      records_synced: records,
      pages: 1,
      last_success_at: sql<Date>`now()`,
    })
    .onConflict((oc) =>
      oc.columns(['portal_id', 'stream']).doUpdateSet((eb) => ({
        status: 'done',
        cursor,
        records_synced: eb('sync_state.records_synced', '+', records),
        pages: eb('sync_state.pages', '+', 1),
        last_success_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

export async function deleteSyncStates(db: Executor, portalId: number, streamPrefix: string): Promise<void> {
  await db
    .deleteFrom('sync_state')
    .where('portal_id', '=', portalId)
    .where('stream', 'like', `${streamPrefix}%`)
    .execute();
}

/** Sets a stream's cursor without counting a page (a segment's starting point). */
export async function setStreamCursor(
  db: Executor,
  portalId: number,
  stream: string,
  cursor: string | null,
): Promise<void> {
  await db
    .updateTable('sync_state')
    .set({ cursor, updated_at: sql<Date>`now()` })
    .where('portal_id', '=', portalId)
    .where('stream', '=', stream)
    .execute();
}

export async function listRunStreams(db: Executor, portalId: number, runId: string): Promise<SyncStateRow[]> {
  return db
    .selectFrom('sync_state')
    .selectAll()
    .where('portal_id', '=', portalId)
    .where('run_id', '=', runId)
    .orderBy('stream')
    .execute();
}
