import { runCatchup } from '../../sync/catchup';
import { runFullSync } from '../../sync/full-sync';
import { findSyncState } from '../../sync/sync-state.repository';
import type { Command } from './command';
import { parseCommandArgs, portalIdArg } from './command';
import { createProgressBar } from './progress';

/**
 * `kpi-bridge sync --portal ID [--full]`: a sync in this process, progress on stderr, counts as
 * JSON on stdout. Without --full it runs the catch-up (or, for a portal never fully synced,
 * resumes or starts the full sync).
 */
export const syncCommand: Command = {
  name: 'sync',
  summary:
    'sync a portal from HubSpot now (--full: start a full sync over); progress on stderr, counts as JSON',
  usage: 'kpi-bridge sync --portal ID [--full]',
  needs: ['db', 'redis', 'hubspot', 'tokens'],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, {
      portal: { type: 'string' },
      full: { type: 'boolean', default: false },
    });
    const portalId = portalIdArg(values.portal, true);
    const ctx = await rt.context();
    const deps = { db: ctx.db, hubspot: ctx.hubspot, logger: ctx.logger };
    const started = Date.now();
    const totals: Record<string, number> = {};
    const done = new Map<string, number>();
    const progress = createProgressBar(rt.io.stderr, 'sync');
    const full = await findSyncState(ctx.db, portalId, 'full');
    if (values.full || !full || full.status !== 'done') {
      try {
        const counts = await runFullSync(deps, portalId, {
          restart: values.full,
          onPlan: (type, total) => (totals[type] = total),
          onProgress: (p) => {
            done.set(p.stream, p.records);
            const sum = (type: string) =>
              [...done.entries()].filter(([s]) => s.startsWith(type)).reduce((a, [, n]) => a + n, 0);
            progress.update(
              `full sync, ${p.stream.replace(/#.*$/, '')}`,
              ['contacts', 'deals', 'meetings', 'calls', 'emails'].map((t) => ({
                label: t,
                done: sum(t),
                total: totals[t],
              })),
            );
          },
        });
        progress.done();
        rt.io.stdout.write(
          `${JSON.stringify({ portalId, mode: 'full', seconds: (Date.now() - started) / 1000, ...counts })}\n`,
        );
        return 0;
      } finally {
        progress.done();
      }
    }
    const result = await runCatchup(deps, portalId);
    rt.io.stdout.write(
      `${JSON.stringify({ portalId, mode: 'catchup', seconds: (Date.now() - started) / 1000, ...result })}\n`,
    );
    return 0;
  },
};
