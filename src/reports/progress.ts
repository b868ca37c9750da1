import { sql } from 'kysely';

import type { Executor } from '../db';
import type { ReportPending } from './report.schemas';

/**
 * Where a portal without figures stands: the app pages show "KPI Bridge is reading your CRM"
 * (first sync, with the records synced so far) or "computing your figures" (first KPI run)
 * instead of empty tables. Undefined once a KPI run has succeeded: from then on every view has
 * figures (or nulls with their reasons). One round trip.
 */
export async function readFirstRunProgress(
  db: Executor,
  portalId: number,
): Promise<ReportPending | undefined> {
  const { rows } = await sql<{
    has_run: boolean;
    running_since: Date | null;
    full_done: boolean | null;
    records: string | null;
  }>`
    select
      exists (select 1 from kpi_runs where portal_id = ${portalId} and status = 'succeeded') as has_run,
      (select max(started_at) from kpi_runs where portal_id = ${portalId} and status = 'running') as running_since,
      (select bool_or(stream = 'full' and status = 'done') from sync_state where portal_id = ${portalId}) as full_done,
      (select sum(records_synced) filter (where stream <> 'full') from sync_state where portal_id = ${portalId}) as records`.execute(
    db,
  );
  const r = rows[0]!;
  if (r.has_run) return undefined;
  return {
    state: 'portal_pending',
    phase: r.full_done ? 'kpi' : 'sync',
    recordsSynced: r.records === null ? null : Number(r.records),
    kpiStartedAt: r.running_since ? new Date(r.running_since).toISOString() : null,
  };
}
