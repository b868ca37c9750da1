import express, { Router, type Request } from 'express';
import type { SimulatorContext } from './context';
import { PATHS } from './endpoints';
import { oauthError, validationError } from './errors';
import { addLatency, captureRawBody, singleParam } from './http-support';

/**
 * OAuth at HubSpot's paths: the authorize page (auto-approved as the admin of
 * a portal, chosen with the simulator-only `portal_id` query parameter or the
 * account-pinned /oauth/{portalId}/authorize path) and the 2026-03 token,
 * introspect and revoke endpoints (form-encoded, credentials in the body).
 */
function formOf(req: Request): Record<string, string | undefined> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(body)) out[k] = typeof v === 'string' ? v : undefined;
  return out;
}

function rejectCredentialsInQuery(req: Request): void {
  if (req.query.client_secret !== undefined || req.query.refresh_token !== undefined) {
    throw oauthError(
      400,
      'invalid_request',
      'BAD_REQUEST',
      'Client credentials and tokens must be sent in the request body, not the query string',
    );
  }
}

export function createOAuthRouter(context: SimulatorContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, verify: captureRawBody, limit: '64kb' });
  const latency = addLatency(context);

  const authorize = (req: Request, portalFromPath: string | undefined) => {
    const clientId = singleParam(req.query.client_id);
    const redirectUri = singleParam(req.query.redirect_uri);
    if (!clientId || !redirectUri) throw validationError('client_id and redirect_uri are required');
    const firstPortal = context.portals.keys().next().value;
    const rawPortal = portalFromPath ?? singleParam(req.query.portal_id);
    const portalId = rawPortal === undefined ? firstPortal : Number(rawPortal);
    if (portalId === undefined || !context.portals.has(portalId))
      throw validationError(`Unknown portal ${String(rawPortal)}`);
    const runtime = context.portals.get(portalId);
    const state = singleParam(req.query.state);
    const scope = singleParam(req.query.scope);
    const optionalScope = singleParam(req.query.optional_scope);
    return context.oauth.authorize({
      clientId,
      redirectUri,
      portalId,
      denied: runtime?.faults.get().authorizeDenied ?? false,
      ...(state !== undefined ? { state } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(optionalScope !== undefined ? { optionalScope } : {}),
    });
  };

  router.get(PATHS.authorize, latency, (req, res) => {
    res.redirect(302, authorize(req, undefined));
  });

  router.get(PATHS.authorizeForPortal, latency, (req, res) => {
    res.redirect(302, authorize(req, String(req.params.portalId)));
  });

  router.post(PATHS.token, latency, form, (req, res) => {
    rejectCredentialsInQuery(req);
    res.json(context.oauth.exchange(formOf(req)));
  });

  router.post(PATHS.introspect, latency, form, (req, res) => {
    rejectCredentialsInQuery(req);
    res.json(context.oauth.introspect(formOf(req)));
  });

  router.post(PATHS.revoke, latency, form, (req, res) => {
    rejectCredentialsInQuery(req);
    context.oauth.revoke(formOf(req));
    res.status(200).end();
  });

  return router;
}
