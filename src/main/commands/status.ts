import { formatSyncStatus, getSyncStatus } from '../../sync/sync-status';
import { formatWritebackStatus } from '../../writeback';
import type { Command } from './command';
import { parseCommandArgs, portalIdArg } from './command';

export const statusCommand: Command = {
  name: 'status',
  summary:
    'show the sync state per portal and stream (running, records, last success, last error) and the last write-back',
  usage: 'kpi-bridge status [--portal ID] [--json]',
  needs: ['db'],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, {
      portal: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const portalId = portalIdArg(values.portal, false);
    const ctx = await rt.context();
    const status = await getSyncStatus(ctx.db, portalId);
    const portals = await Promise.all(
      status.map(async (p) => ({ ...p, writeback: await ctx.writeback.status(p.portalId) })),
    );
    rt.io.stdout.write(
      values.json
        ? `${JSON.stringify({ portals })}\n`
        : formatSyncStatus(status) + portals.map((p) => formatWritebackStatus(p.writeback)).join(''),
    );
    return 0;
  },
};
