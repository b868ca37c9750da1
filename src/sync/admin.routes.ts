import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../platform/db/database';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../platform/http/errors';
import { getSyncStatus } from './sync-status';

/**
 * GET /admin/sync/status[?portalId=ID]: the sync state per portal and stream, for
 * operators, behind `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token
 * the route does not exist (404), so a forgotten setting never opens it.
 */
const query = z.object({ portalId: z.coerce.number().int().positive().optional() }).strict();

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '', 'utf8');
  const expected = Buffer.from(token, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createSyncAdminRouter(deps: { db: Database; adminToken: string | undefined }): Router {
  const router = Router();
  router.get('/admin/sync/status', async (req, res) => {
    if (!deps.adminToken) throw new NotFoundError(`no route for ${req.method} ${req.path}`);
    if (!tokenMatches(req.headers.authorization, deps.adminToken))
      throw new UnauthorizedError('admin token required');
    const parsed = query.safeParse(req.query);
    if (!parsed.success)
      throw new BadRequestError(
        'portalId must be a positive integer',
        parsed.error.issues.map((i) => i.message),
      );
    res.json({ portals: await getSyncStatus(deps.db, parsed.data.portalId) });
  });
  return router;
}
