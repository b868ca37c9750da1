import { formatSyncStatus, getSyncStatus } from '../../sync/sync-status';
import type { Command } from './command';
import { parseCommandArgs, portalIdArg } from './command';

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the sync state per portal and stream (running, records, last success, last error)',
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
    rt.io.stdout.write(values.json ? `${JSON.stringify({ portals: status })}\n` : formatSyncStatus(status));
    return 0;
  },
};
