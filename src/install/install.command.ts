import { parseArgs } from 'node:util';
import type { AppContext } from '../context';
import { removeQueuedJobsOfPortal } from './portal-jobs';
import { purgeDuePortals, purgePortal } from './purge';

export const PURGE_USAGE = `Usage: kpi-bridge purge --portal ID | --due
  --portal ID  deletes everything held about the portal now (every table with a portal_id, its queued jobs)
  --due        purges the portals uninstalled more than UNINSTALL_GRACE_DAYS ago`;

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

export async function runPurgeCommand(args: string[], ctx: AppContext, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { portal: { type: 'string' }, due: { type: 'boolean', default: false } },
  });
  if (values.portal !== undefined) {
    const portalId = Number(values.portal);
    if (!Number.isSafeInteger(portalId) || portalId <= 0) {
      io.stderr.write('kpi-bridge purge: --portal needs a HubSpot portal id\n');
      return 2;
    }
    const jobs = await removeQueuedJobsOfPortal(ctx.producer, portalId);
    const { deleted } = await purgePortal(ctx.db, portalId);
    io.stdout.write(`${JSON.stringify({ portalId, removedJobs: jobs, deletedRows: deleted })}\n`);
    return 0;
  }
  if (values.due) {
    const purged = await purgeDuePortals(ctx.db, {
      graceDays: ctx.config.uninstallGraceDays,
      now: new Date(),
    });
    for (const portalId of purged) await removeQueuedJobsOfPortal(ctx.producer, portalId);
    io.stdout.write(`${JSON.stringify({ purged, graceDays: ctx.config.uninstallGraceDays })}\n`);
    return 0;
  }
  io.stderr.write(`${PURGE_USAGE}\n`);
  return 2;
}

export async function runRotateKeyCommand(ctx: AppContext, io: Io): Promise<number> {
  const result = await ctx.tokens.rotateKeys();
  io.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}
