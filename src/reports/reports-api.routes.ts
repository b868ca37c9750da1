import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';

import type { ReportService } from './report.service';
import { VIEWS, viewParamsSchema } from './views';

/**
 * The signed read API of the app pages inside HubSpot (hubspot.fetch): the six views as JSON and
 * the one-time link behind "Open full report". Every route sits behind the one HubSpot signature
 * gate, and the tenant is only the signed `portalId` it vouches for.
 */
export interface ReportsApiDeps {
  readonly reports: Pick<ReportService, 'buildView' | 'mintLinkForPortal'>;
  /** The v3 signature check (src/platform/http), which also fixes the tenant. */
  readonly gate: RequestHandler;
  /** The portal the gate vouched for. */
  readonly portalOf: (req: Request) => number | undefined;
}

/** Query parameters hubspot.fetch appends to every call; not pickers. */
const HUBSPOT_PARAMS = new Set(['portalId', 'userId', 'userEmail', 'appId']);
const linkBody = z.object({ view: z.enum(VIEWS).default('overview') }).strict();
const userIdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

function pickers(req: Request): Record<string, unknown> {
  return Object.fromEntries(Object.entries(req.query).filter(([k]) => !HUBSPOT_PARAMS.has(k)));
}

export function createReportsApiRouter(deps: ReportsApiDeps): Router {
  const router = Router();
  router.use('/api/reports', deps.gate);

  router.get('/api/reports/views/:view', async (req, res) => {
    const portalId = deps.portalOf(req)!;
    const view = z.enum(VIEWS).safeParse(req.params.view);
    const params = viewParamsSchema.safeParse(pickers(req));
    if (!view.success || !params.success) {
      res.status(400).json({
        error: {
          code: 'bad_request',
          message: 'unknown view or picker value',
          details: [...(view.error?.issues ?? []), ...(params.error?.issues ?? [])].map((i) => ({
            path: i.path.join('.'),
            message: i.message,
          })),
        },
      });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.reports.buildView(portalId, view.data, params.data));
  });

  router.post('/api/reports/link', async (req, res) => {
    const portalId = deps.portalOf(req)!;
    const body = linkBody.safeParse(req.body ?? {});
    const user = userIdParam.safeParse(req.query.userId);
    if (!body.success) {
      res
        .status(400)
        .json({ error: { code: 'bad_request', message: 'body must be {"view": one of the six views}' } });
      return;
    }
    const link = await deps.reports.mintLinkForPortal(
      portalId,
      user.success ? user.data : null,
      body.data.view,
    );
    if (!link) {
      res
        .status(404)
        .json({ error: { code: 'not_found', message: 'the app is not installed in this portal' } });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(link);
  });

  return router;
}
