import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';

import type { ReportService } from './report.service';
import { REPORT_API_PATHS, reportLinkRequestSchema } from './report.schemas';
import { VIEWS, viewParamsSchema } from './views';

/**
 * The signed read API of the app pages inside HubSpot (hubspot.fetch): the six views as JSON and
 * the one-time link behind "Open full report". Every route sits behind the one HubSpot signature
 * gate, and the tenant is only the signed `portalId` it vouches for.
 */
export interface ReportsApiDeps {
  readonly reports: Pick<ReportService, 'buildView' | 'mintLinkForPortal' | 'firstRunProgress'>;
  /** The v3 signature check (src/platform/http), which also fixes the tenant. */
  readonly gate: RequestHandler;
  /** The portal the gate vouched for. */
  readonly portalOf: (req: Request) => number | undefined;
}

/** Query parameters hubspot.fetch appends to every call; not pickers. */
const HUBSPOT_PARAMS = new Set(['portalId', 'userId', 'userEmail', 'appId']);
const userIdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

function pickers(req: Request): Record<string, unknown> {
  return Object.fromEntries(Object.entries(req.query).filter(([k]) => !HUBSPOT_PARAMS.has(k)));
}

const details = (issues: readonly z.core.$ZodIssue[]) =>
  issues.map((i) => ({ path: i.path.join('.'), message: i.message }));

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
          details: details([...(view.error?.issues ?? []), ...(params.error?.issues ?? [])]),
        },
      });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    // Before the first KPI run a view would be all empty tables: the pages say what is running instead.
    // The answer is reportViewResponseSchema's JSON (dates as ISO strings): the tests parse it with it.
    const pending = await deps.reports.firstRunProgress(portalId);
    res.json(
      pending ?? { state: 'ready', ...(await deps.reports.buildView(portalId, view.data, params.data)) },
    );
  });

  router.post(REPORT_API_PATHS.link, async (req, res) => {
    const portalId = deps.portalOf(req)!;
    const body = reportLinkRequestSchema.safeParse(req.body ?? {});
    // The pickers go to the web report as they would in its own URL, so they pass its rules here.
    const raw = (req.body as { params?: unknown } | undefined)?.params;
    const params = viewParamsSchema.safeParse(raw && typeof raw === 'object' ? raw : {});
    const user = userIdParam.safeParse(req.query.userId);
    if (!body.success || !params.success) {
      res.status(400).json({
        error: {
          code: 'bad_request',
          message: 'body must be {"view": one of the six views, "params"?: the view\'s pickers}',
          details: details([
            // The pickers' own rules name their issues, once.
            ...(body.error?.issues.filter((i) => i.path[0] !== 'params') ?? []),
            ...(params.error?.issues.map((i) => ({ ...i, path: ['params', ...i.path] })) ?? []),
          ]),
        },
      });
      return;
    }
    const query = new URLSearchParams(
      Object.entries(body.data.params ?? {}).filter((e): e is [string, string] => Boolean(e[1])),
    ).toString();
    const link = await deps.reports.mintLinkForPortal(
      portalId,
      user.success ? user.data : null,
      body.data.view,
      query,
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
