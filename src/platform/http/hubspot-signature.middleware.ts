import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { BadRequestError, UnauthorizedError } from './errors';

declare module 'http' {
  interface IncomingMessage {
    /** The portal HubSpot named in the signed `portalId` query parameter (set by requireHubSpotSignature). */
    hubspotPortalId?: number;
  }
}

/** What the HubSpot adapter's verifier (src/hubspot/signature.ts `verifySignatureV3`) takes and answers. */
export type SignatureVerifier = (input: {
  clientSecret: string;
  method: string;
  uri: string;
  rawBody: Buffer | string | undefined;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  now: number;
}) => { ok: true } | { ok: false; reason: string };

export type HubSpotSignatureOptions = {
  /** The v3 check itself; injected so that platform code does not depend on the HubSpot adapter. */
  verify: SignatureVerifier;
  clientSecret: string;
  /** Scheme and host HubSpot called (PUBLIC_BASE_URL): the signed URI is this + the request's path and query. */
  publicBaseUrl: string;
  /**
   * 'query': the tenant is the signed `portalId` query parameter, which hubspot.fetch appends
   * (cards, settings, pages); requests without it are refused. 'none': the route finds its
   * tenants elsewhere (webhook events carry theirs).
   */
  tenant: 'query' | 'none';
  logger: Logger;
  now?: () => number;
};

const PORTAL_ID = /^[1-9]\d{0,15}$/;

/**
 * The one gate for every request HubSpot makes to us (webhooks, hubspot.fetch from cards,
 * settings and app pages): v3 signature over method + full public URI + raw body + timestamp,
 * at most 5 minutes old (src/hubspot/signature.ts), refused with 401 otherwise. Only after the
 * signature holds is the `portalId` query parameter trusted, because it is part of the signed URI;
 * nothing else (headers, body) can choose the tenant.
 */
export function requireHubSpotSignature(options: HubSpotSignatureOptions): RequestHandler {
  const log = options.logger.child({ name: 'hubspot-signature' });
  const now = options.now ?? Date.now;
  const base = options.publicBaseUrl.replace(/\/+$/, '');
  return (req, _res, next) => {
    const check = options.verify({
      clientSecret: options.clientSecret,
      method: req.method,
      uri: `${base}${req.originalUrl}`,
      rawBody: req.rawBody,
      signature: req.headers['x-hubspot-signature-v3'],
      timestamp: req.headers['x-hubspot-request-timestamp'],
      now: now(),
    });
    if (!check.ok) {
      log.warn({ reason: check.reason, path: req.path }, 'HubSpot request rejected: signature');
      return next(new UnauthorizedError(`HubSpot signature rejected: ${check.reason}`));
    }
    if (options.tenant === 'query') {
      const portalId = signedPortalParam(req);
      if (portalId === undefined)
        return next(new BadRequestError('portalId: a positive integer query parameter is required'));
      req.hubspotPortalId = portalId;
    }
    next();
  };
}

function signedPortalParam(req: Request): number | undefined {
  // Read from the raw query string: a repeated parameter is ambiguous, so it is refused.
  const values = new URLSearchParams(req.originalUrl.split('?')[1] ?? '').getAll('portalId');
  if (values.length !== 1 || !PORTAL_ID.test(values[0]!)) return undefined;
  return Number(values[0]);
}

/** The tenant of a request that passed requireHubSpotSignature({ tenant: 'query' }). */
export function signedPortalId(req: Request): number {
  if (req.hubspotPortalId === undefined)
    throw new Error('signedPortalId: the route is not behind requireHubSpotSignature({ tenant: "query" })');
  return req.hubspotPortalId;
}
