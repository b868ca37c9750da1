import { parseArgs } from 'node:util';
import type { Database } from '../db';
import type { HubSpotClientFactory } from '../hubspot/client';
import type { Logger } from 'pino';
import { runCatchup } from './catchup';
import { runFullSync } from './full-sync';
import { findSyncState } from './sync-state.repository';
import { formatSyncStatus, getSyncStatus } from './sync-status';

/**
 * `kpi-bridge sync --portal ID [--full]`: a sync in this process, progress on stderr,
 * counts as JSON on stdout. Without --full it runs the catch-up (or, for a portal never
 * fully synced, resumes or starts the full sync). `kpi-bridge status [--portal ID]`: the
 * sync state table.
 */
export const SYNC_USAGE = 'Usage: kpi-bridge sync --portal ID [--full]';
export const STATUS_USAGE = 'Usage: kpi-bridge status [--portal ID] [--json]';

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { isTTY?: boolean } };
export type SyncCommandDeps = { db: Database; hubspot: HubSpotClientFactory | undefined; logger: Logger };

function bar(done: number, total: number, width = 24): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`;
}

export async function runSyncCommand(args: string[], deps: SyncCommandDeps, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { portal: { type: 'string' }, full: { type: 'boolean', default: false } },
  });
  const portalId = Number(values.portal);
  if (!values.portal || !Number.isSafeInteger(portalId) || portalId <= 0) {
    io.stderr.write(`kpi-bridge sync: --portal needs a portal id\n${SYNC_USAGE}\n`);
    return 2;
  }
  if (!deps.hubspot) {
    io.stderr.write('kpi-bridge sync: the HubSpot client is not configured in this build\n');
    return 1;
  }
  const deps2 = { db: deps.db, hubspot: deps.hubspot, logger: deps.logger };
  const started = Date.now();
  const totals: Record<string, number> = {};
  const done = new Map<string, number>();
  let last = 0;
  const render = (force = false) => {
    if (!force && Date.now() - last < 200) return;
    last = Date.now();
    const sum = (prefix: string) =>
      [...done.entries()].filter(([s]) => s.startsWith(prefix)).reduce((a, [, n]) => a + n, 0);
    const parts = ['contacts', 'deals', 'meetings'].map((t) => {
      const n = sum(t);
      const total = totals[t];
      return total ? `${t} ${bar(n, total, 12)} ${n}/${total}` : `${t} ${n}`;
    });
    const line = `${parts.join('  ')}  ${((Date.now() - started) / 1000).toFixed(1)} s`;
    io.stderr.write(io.stderr.isTTY ? `\r${line}` : `${line}\n`);
  };

  const full = await findSyncState(deps.db, portalId, 'full');
  if (values.full || !full || full.status !== 'done') {
    const counts = await runFullSync(deps2, portalId, {
      restart: values.full === true,
      onPlan: (type, total) => (totals[type] = total),
      onProgress: (p) => {
        done.set(p.stream, p.records);
        render();
      },
    });
    render(true);
    io.stderr.write('\n');
    io.stdout.write(
      `${JSON.stringify({ portalId, mode: 'full', seconds: (Date.now() - started) / 1000, ...counts })}\n`,
    );
    return 0;
  }
  const result = await runCatchup(deps2, portalId);
  io.stdout.write(
    `${JSON.stringify({ portalId, mode: 'catchup', seconds: (Date.now() - started) / 1000, ...result })}\n`,
  );
  return 0;
}

export async function runStatusCommand(args: string[], deps: { db: Database }, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { portal: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const portalId = values.portal === undefined ? undefined : Number(values.portal);
  if (portalId !== undefined && (!Number.isSafeInteger(portalId) || portalId <= 0)) {
    io.stderr.write(`kpi-bridge status: --portal needs a portal id\n${STATUS_USAGE}\n`);
    return 2;
  }
  const status = await getSyncStatus(deps.db, portalId);
  io.stdout.write(values.json ? `${JSON.stringify({ portals: status })}\n` : formatSyncStatus(status));
  return 0;
}
