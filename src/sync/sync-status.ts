import type { Executor } from '../db';
import { listSyncStates } from './sync-state.repository';

/** Sync state per portal and stream, as the admin endpoint and `kpi-bridge status` show it. */
export type StreamStatus = {
  stream: string;
  status: string;
  recordsSynced: number;
  pages: number;
  startedAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  updatedAt: string;
};
export type PortalSyncStatus = { portalId: number; running: boolean; streams: StreamStatus[] };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function getSyncStatus(db: Executor, portalId?: number): Promise<PortalSyncStatus[]> {
  const rows = await listSyncStates(db, portalId);
  const byPortal = new Map<number, PortalSyncStatus>();
  for (const r of rows) {
    let portal = byPortal.get(r.portal_id);
    if (!portal) {
      portal = { portalId: r.portal_id, running: false, streams: [] };
      byPortal.set(r.portal_id, portal);
    }
    if (r.status === 'running') portal.running = true;
    portal.streams.push({
      stream: r.stream,
      status: r.status,
      recordsSynced: r.records_synced,
      pages: r.pages,
      startedAt: iso(r.started_at),
      lastSuccessAt: iso(r.last_success_at),
      lastError: r.last_error,
      lastErrorAt: iso(r.last_error_at),
      updatedAt: r.updated_at.toISOString(),
    });
  }
  return [...byPortal.values()];
}

/** A plain-text table for the command line. */
export function formatSyncStatus(portals: readonly PortalSyncStatus[]): string {
  if (portals.length === 0) return 'No sync has run yet.\n';
  const lines: string[] = [];
  for (const p of portals) {
    lines.push(`portal ${p.portalId}${p.running ? ' (running)' : ''}`);
    for (const s of p.streams) {
      const error = s.lastError ? `  last error ${s.lastErrorAt ?? ''}: ${s.lastError}` : '';
      lines.push(
        `  ${s.stream.padEnd(18)} ${s.status.padEnd(8)} ${String(s.recordsSynced).padStart(8)} records ${String(s.pages).padStart(6)} pages  last success ${s.lastSuccessAt ?? '-'}${error}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
