import { removeQueuedJobsOfPortal } from '../../install/portal-jobs';
import { purgeDuePortals, purgePortal } from '../../install/purge';
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
      const jobs = await removeQueuedJobsOfPortal(ctx.producer, portalId);
      const { deleted } = await purgePortal(ctx.db, portalId);
      rt.io.stdout.write(`${JSON.stringify({ portalId, removedJobs: jobs, deletedRows: deleted })}\n`);
      return 0;
    }
    const purged = await purgeDuePortals(ctx.db, {
      graceDays: ctx.config.uninstallGraceDays,
      now: new Date(),
    });
    for (const id of purged) await removeQueuedJobsOfPortal(ctx.producer, id);
    rt.io.stdout.write(`${JSON.stringify({ purged, graceDays: ctx.config.uninstallGraceDays })}\n`);
    return 0;
  },
};
