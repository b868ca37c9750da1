import { Router } from 'express';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { InstallError, STATE_COOKIE, STATE_TTL_SECONDS } from './install.service';
import type { InstallService } from './install.service';
import { renderPage } from './pages';

/**
 * GET /oauth/install → HubSpot's consent page; GET /oauth/callback ← HubSpot's redirect.
 * Pages, not JSON: an admin's browser is on the other end.
 */
const one = z.string().min(1).max(4096).optional();
const installQuery = z.object({ portalId: z.coerce.number().int().positive().optional() });
// A repeated parameter arrives as an array: treated as absent (and so refused).
const callbackQuery = z.object({
  code: one.catch(undefined),
  state: one.catch(undefined),
  error: one.catch(undefined),
  error_description: one.catch(undefined),
});

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeCookieValue(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A value that is not valid percent-encoding is no cookie of ours: treated as absent. */
function decodeCookieValue(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    })
    .send(html);
}

export function createOAuthRouter(deps: {
  install: InstallService;
  secureCookies: boolean;
  logger: Logger;
}): Router {
  const router = Router();
  const log = deps.logger.child({ name: 'install' });
  const cookieOptions = {
    httpOnly: true,
    secure: deps.secureCookies,
    sameSite: 'lax' as const,
    path: '/oauth',
  };

  router.get('/oauth/install', async (req, res) => {
    const query = installQuery.safeParse(req.query);
    const started = await deps.install.start(
      query.success && query.data.portalId ? { portalId: query.data.portalId } : {},
    );
    // Lax: the cookie comes back on HubSpot's top-level redirect to our callback, not on cross-site subrequests.
    res.cookie(STATE_COOKIE, started.cookieValue, { ...cookieOptions, maxAge: STATE_TTL_SECONDS * 1000 });
    res.set('cache-control', 'no-store').redirect(302, started.redirectUrl);
  });

  router.get('/oauth/callback', async (req, res) => {
    const query = callbackQuery.parse(req.query);
    const cookie = readCookie(req, STATE_COOKIE);
    res.clearCookie(STATE_COOKIE, cookieOptions);
    try {
      const result = await deps.install.complete(
        {
          ...(query.code ? { code: query.code } : {}),
          ...(query.state ? { state: query.state } : {}),
          ...(query.error ? { error: query.error } : {}),
          ...(query.error_description ? { errorDescription: query.error_description } : {}),
        },
        cookie,
      );
      sendPage(
        res,
        200,
        renderPage(
          result.reinstall ? 'KPI Bridge is reinstalled' : 'KPI Bridge is installed',
          [
            `HubSpot account ${result.portalId} is connected${result.reinstall ? ' again; your KPI history is kept' : ''}.`,
            'What happens next: KPI Bridge is reading your contacts, deals and meetings now. A first full read takes from a few minutes to an hour for large accounts; after that, changes arrive within seconds.',
            `Your KPIs appear on contacts and deals in the "KPI Bridge" property group (${result.propertiesCreated} new properties were created) once the first computation has run.`,
            'To see the KPI cards, open a deal or contact record in HubSpot, choose Customize, and add the KPI Bridge card from the card library.',
          ],
          [],
          {
            'portal-id': result.portalId,
            scopes: result.scopes.join(' '),
            'properties-created': result.propertiesCreated,
            reinstall: String(result.reinstall),
          },
        ),
      );
    } catch (err) {
      if (err instanceof InstallError) {
        // One line, no secrets: the reason code, never the code, state or tokens.
        log.warn({ reason: err.reason, status: err.status }, 'install refused');
        sendPage(res, err.status, renderPage(err.title, err.advice, err.list, { reason: err.reason }));
        return;
      }
      log.error({ err }, 'install failed');
      sendPage(
        res,
        502,
        renderPage('The install could not be finished', [
          'Something went wrong while KPI Bridge was setting up your account. Please start the install again in a few minutes; if it keeps failing, contact support.',
        ]),
      );
    }
  });

  return router;
}
