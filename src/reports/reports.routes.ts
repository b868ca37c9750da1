import { once } from 'node:events';
import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';

import { readCookie, SESSION_COOKIE } from './access';
import type { ReportPrincipal } from './access';
import { csvFileName, csvLine, UTF8_BOM } from './csv';
import { drillQuery, drillSchema, hubspotRecordUrl } from './drill';
import { messagePage, recordListHead, recordListRow, recordListTail, renderViewPage } from './pages';
import type { ReportService } from './report.service';
import { createReportsApiRouter } from './reports-api.routes';
import { readUpload, renderUploadPage, UploadRejected } from './upload';
import { CsvImportError } from '../sync';
import { VIEWS, viewParamsSchema } from './views';
import type { Cell } from './views';

export interface ReportsRouterDeps {
  readonly reports: ReportService;
  readonly logger: Logger;
}

const portalParam = z.object({ portalId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const viewParam = z.enum(VIEWS);

const HOW_TO_GET_A_LINK = [
  'Open KPI Bridge from the app page inside HubSpot and choose "Open full report": it opens these pages with a fresh link.',
  'Operators can print one with: kpi-bridge report-link --portal <portal id>. A link works once, within 60 seconds.',
];

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store').send(html);
}

/** Writes with backpressure: waits for 'drain' when the socket's buffer is full. */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  return !res.destroyed;
}

function cellCsv(c: Cell): unknown {
  return c.v;
}

/**
 * The report pages. `/reports/open?token=…` turns a one-time link into a session cookie; every
 * other page needs that session, for its own portal only: a session of another portal gets the
 * same 404 as a portal that does not exist.
 */
export function createReportsRouter(deps: ReportsRouterDeps): Router {
  const router = Router();
  const log = deps.logger.child({ name: 'reports' });
  const { access } = deps.reports;

  router.get('/reports/open', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const redeemed = await access.redeemLink(token);
    if (!redeemed) {
      sendPage(
        res,
        410,
        messagePage(
          'This report link has expired or was already used',
          ['For your security each link opens the reports once, within 60 seconds.', ...HOW_TO_GET_A_LINK],
          'link-expired',
        ),
      );
      return;
    }
    res.setHeader('Set-Cookie', access.sessionCookie(redeemed.sessionId));
    res.setHeader('Cache-Control', 'no-store');
    const view = (VIEWS as readonly string[]).includes(redeemed.view) ? redeemed.view : 'overview';
    // Re-encoded: only name=value pairs reach the Location header; the view page validates them.
    const query = new URLSearchParams(redeemed.query).toString();
    res.redirect(303, `/reports/${redeemed.principal.portalId}/${view}${query ? `?${query}` : ''}`);
  });

  /** The session's principal when it is for the portal in the URL; otherwise the response is sent. */
  async function authorize(req: Request, res: Response): Promise<ReportPrincipal | undefined> {
    const parsed = portalParam.safeParse(req.params);
    const session = await access.readSession(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (!session) {
      sendPage(
        res,
        401,
        messagePage('Please open the reports from HubSpot', HOW_TO_GET_A_LINK, 'no-session'),
      );
      return undefined;
    }
    if (!parsed.success || parsed.data.portalId !== session.portalId) {
      // Same answer as for a portal that does not exist: nothing says that portal B is ours.
      sendPage(res, 404, messagePage('Not found', ['There is no such report page.'], 'not-found'));
      return undefined;
    }
    return session;
  }

  const guarded =
    (handler: (req: Request, res: Response, principal: ReportPrincipal) => Promise<void>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const principal = await authorize(req, res);
        if (principal) await handler(req, res, principal);
      } catch (err) {
        next(err);
      }
    };

  function badRequest(res: Response, error: z.ZodError): void {
    sendPage(
      res,
      400,
      messagePage(
        'That report address is not valid',
        error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`),
        'bad-request',
      ),
    );
  }

  router.get(
    '/reports/:portalId',
    guarded((_req, res, p) => {
      res.redirect(303, `/reports/${p.portalId}/overview`);
      return Promise.resolve();
    }),
  );

  router.get(
    '/reports/:portalId/records',
    guarded(async (req, res, p) => {
      const drill = drillSchema.safeParse(req.query);
      if (!drill.success) return badRequest(res, drill.error);
      const list = deps.reports.openRecordList(p.portalId, drill.data);
      res.status(200).type('html').setHeader('Cache-Control', 'no-store');
      await write(
        res,
        recordListHead({
          portalId: p.portalId,
          title: list.title,
          columns: list.columns,
          csvHref: `/reports/${p.portalId}/records/csv?${drillQuery(req.query as never)}`,
        }),
      );
      const object = list.object;
      const url = object ? (id: unknown) => hubspotRecordUrl(p.portalId, object, String(id)) : null;
      let count = 0;
      for await (const row of list.stream()) {
        count += 1;
        if (!(await write(res, recordListRow(row, list.columns, url)))) return;
      }
      res.end(recordListTail(count));
    }),
  );

  router.get(
    '/reports/:portalId/records/csv',
    guarded(async (req, res, p) => {
      const drill = drillSchema.safeParse(req.query);
      if (!drill.success) return badRequest(res, drill.error);
      const list = deps.reports.openRecordList(p.portalId, drill.data);
      const withUrl = list.object !== null;
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('Content-Disposition', `attachment; filename="${csvFileName('records', drill.data.kind)}"`)
        .setHeader('Cache-Control', 'no-store');
      await write(
        res,
        UTF8_BOM + csvLine([...list.columns.map((c) => c.label), ...(withUrl ? ['HubSpot URL'] : [])]),
      );
      for await (const row of list.stream()) {
        const values = list.columns.map((c) => row[c.key]);
        if (withUrl) values.push(hubspotRecordUrl(p.portalId, list.object, String(row.id)));
        if (!(await write(res, csvLine(values)))) return;
      }
      res.end();
    }),
  );

  router.get(
    '/reports/:portalId/csv/:view/:table',
    guarded(async (req, res, p) => {
      const view = viewParam.safeParse(req.params.view);
      const params = viewParamsSchema.safeParse(req.query);
      if (!view.success) return badRequest(res, view.error);
      if (!params.success) return badRequest(res, params.error);
      const built = await deps.reports.buildView(p.portalId, view.data, params.data);
      const table = built.sections.flatMap((s) => s.tables).find((t) => t.id === req.params.table);
      if (!table) {
        sendPage(res, 404, messagePage('Not found', ['There is no such table.'], 'not-found'));
        return;
      }
      const lines = [csvLine(table.columns), ...table.rows.map((r) => csvLine(r.map(cellCsv)))];
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader(
          'Content-Disposition',
          `attachment; filename="${csvFileName(view.data, table.id, built.context.period?.label ?? '')}"`,
        )
        .setHeader('Cache-Control', 'no-store')
        .send(UTF8_BOM + lines.join(''));
    }),
  );

  router.get(
    '/reports/:portalId/upload',
    guarded(async (_req, res, p) => {
      sendPage(res, 200, renderUploadPage(p.portalId, await deps.reports.readStoredSeries(p.portalId)));
    }),
  );

  router.post(
    '/reports/:portalId/upload',
    guarded(async (req, res, p) => {
      const refused = async (status: number, message: string, errors?: readonly string[]) =>
        sendPage(
          res,
          status,
          renderUploadPage(p.portalId, await deps.reports.readStoredSeries(p.portalId), {
            status: 'refused',
            message,
            ...(errors ? { errors } : {}),
          }),
        );
      let upload: Awaited<ReturnType<typeof readUpload>>;
      try {
        upload = await readUpload(req);
      } catch (err) {
        if (err instanceof UploadRejected) return refused(400, err.message);
        throw err;
      }
      try {
        const result = await deps.reports.upload(p.portalId, upload.kind, upload.text);
        log.info({ portalId: p.portalId, kind: result.kind, rows: result.rows }, 'series uploaded');
        sendPage(
          res,
          200,
          renderUploadPage(p.portalId, await deps.reports.readStoredSeries(p.portalId), {
            status: 'accepted',
            message: `Stored ${result.rows.toLocaleString('en-US')} ${result.kind === 'traffic' ? 'rows of visits' : 'days of branded search volume'} from ${result.firstDay} to ${result.lastDay}. The KPIs are being recomputed.`,
          }),
        );
      } catch (err) {
        if (err instanceof CsvImportError)
          return refused(
            422,
            'The file was not stored: fix these rows and upload it again.',
            err.errors.map((e) => (e.line > 0 ? `line ${e.line}: ${e.message}` : e.message)),
          );
        throw err;
      }
    }),
  );

  router.get(
    '/reports/:portalId/:view',
    guarded(async (req, res, p) => {
      const view = viewParam.safeParse(req.params.view);
      if (!view.success) {
        sendPage(res, 404, messagePage('Not found', ['There is no such report page.'], 'not-found'));
        return;
      }
      const params = viewParamsSchema.safeParse(req.query);
      if (!params.success) return badRequest(res, params.error);
      const started = performance.now();
      const built = await deps.reports.buildView(p.portalId, view.data, params.data);
      const query = new URLSearchParams(
        Object.entries(req.query).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
        ),
      ).toString();
      await deps.reports.prefetchCharts(built);
      const html = renderViewPage(built, params.data, query);
      res.setHeader('Server-Timing', `view;dur=${(performance.now() - started).toFixed(1)}`);
      sendPage(res, 200, html);
      log.debug({ portalId: p.portalId, view: view.data }, 'report view served');
    }),
  );

  // The app pages' JSON API (signed hubspot.fetch), behind the same router line.
  router.use(
    createReportsApiRouter({
      reports: deps.reports,
      gate: deps.reports.signed,
      portalOf: (req) => req.hubspotPortalId,
    }),
  );

  return router;
}
