import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../db';
import { requireAdminToken } from '../platform/http/admin-auth';
import { BadRequestError } from '../platform/http/errors';
import { getSyncStatus } from './sync-status';

/**
 * GET /admin/sync/status[?portalId=ID]: the sync state per portal and stream, for
 * operators, behind `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token
 * the route does not exist (404), so a forgotten setting never opens it.
 */
const query = z.object({ portalId: z.coerce.number().int().positive().optional() }).strict();

export function createSyncAdminRouter(deps: {
  db: Database;
  adminToken: string | undefined;
  /** Each portal's write-back status, shown beside its sync streams (src/writeback). */
  writebackStatus?: (portalId: number) => Promise<unknown>;
}): Router {
  const router = Router();
  router.get('/admin/sync/status', requireAdminToken(deps.adminToken), async (req, res) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success)
      throw new BadRequestError(
        'portalId must be a positive integer',
        parsed.error.issues.map((i) => i.message),
      );
    const portals = await getSyncStatus(deps.db, parsed.data.portalId);
    const { writebackStatus } = deps;
    res.json({
      portals: writebackStatus
        ? await Promise.all(
            portals.map(async (p) => ({ ...p, writeback: await writebackStatus(p.portalId) })),
          )
        : portals,
    });
  });
  return router;
}
