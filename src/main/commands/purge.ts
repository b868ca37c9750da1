import type { Command } from './command';
import { parseCommandArgs, portalIdArg, UsageError } from './command';

export const purgeCommand: Command = {
  name: 'purge',
  summary:
    'delete everything held about a portal now (--portal ID), or about portals past the uninstall grace period (--due)',
  usage: `kpi-bridge purge --portal ID | --due
  --portal ID  deletes everything held about the portal now (every table with a portal_id, its queued jobs)
  --due        purges the portals uninstalled more than UNINSTALL_GRACE_DAYS ago`,
  needs: ['db', 'redis'],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, {
      portal: { type: 'string' },
      due: { type: 'boolean', default: false },
    });
    const portalId = portalIdArg(values.portal, false);
    if ((portalId === undefined) === !values.due) throw new UsageError('give either --portal ID or --due');
    const ctx = await rt.context();
    if (portalId !== undefined) {
      const { removedJobs, deleted } = await ctx.purge.purgePortal(portalId);
      rt.io.stdout.write(`${JSON.stringify({ portalId, removedJobs, deletedRows: deleted })}\n`);
      return 0;
    }
    const purged = await ctx.purge.purgeDue(new Date());
    rt.io.stdout.write(`${JSON.stringify({ purged, graceDays: ctx.config.uninstallGraceDays })}\n`);
    return 0;
  },
};
