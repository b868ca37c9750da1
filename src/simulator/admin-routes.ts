import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SimulatorAdmin } from './admin';
import { ASSOCIATION_KINDS, type AssociationKind } from './associations';
import { resolveObjectType, type ObjectTypeName } from './catalog';
import type { SimulatorContext } from './context';
import { ADMIN_PREFIX, CRM_API_VERSION, OAUTH_API_VERSION } from './endpoints';
import { notFoundError, SimHttpError, validationError, createErrorBody } from './errors';
import { NO_FAULTS } from './faults';
import { pageAssociations, pageRecords, summarizeGroundTruth, describeRecord } from './ground-truth';
import { parseBody, singleParam } from './http-support';
import { MutationError } from './mutations';

/**
 * The admin API over HTTP under /_sim, so that another process (the demo, an
 * end-to-end test) can drive the simulator: writes as a CRM user, faults,
 * tokens, webhook switches, ground truth (paged, or streamed as NDJSON) and
 * the request log. Never part of HubSpot; no authentication (loopback only).
 */
const propertiesBody = z.object({
  properties: z.record(
    z.string(),
    z
      .union([z.string(), z.number(), z.boolean(), z.null()])
      .transform((v) => (v === null ? null : String(v))),
  ),
});
const actor = { userId: z.number().int().optional(), changeSource: z.string().optional() };
const createBody = propertiesBody.extend({
  ...actor,
  associations: z
    .array(z.object({ objectType: z.string(), id: z.union([z.string(), z.number()]) }))
    .optional(),
});
const updateBody = propertiesBody.extend(actor);
const mergeBody = z.object({
  primaryObjectId: z.union([z.string(), z.number()]),
  objectIdToMerge: z.union([z.string(), z.number()]),
  ...actor,
});
const stageBody = z.object({ stageId: z.string().min(1), ...actor });
const actorBody = z.object(actor);
const idsPerObject = z
  .object({
    contacts: z.array(z.number().int()).optional(),
    deals: z.array(z.number().int()).optional(),
    meetings: z.array(z.number().int()).optional(),
  })
  .optional();
const faultsBody = z.object({
  latencyMs: z.number().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
  rateLimitRate: z.number().min(0).max(1).optional(),
  timeoutRate: z.number().min(0).max(1).optional(),
  refreshTokenRevoked: z.boolean().optional(),
  dailyLimitExhausted: z.boolean().optional(),
  authorizeDenied: z.boolean().optional(),
  validationRuleIds: idsPerObject,
  batchRefusalIds: idsPerObject,
});
const tokensBody = z.object({ scopes: z.array(z.string()).optional(), appId: z.number().int().optional() });
const webhooksBody = z.object({
  targetUrl: z.string().url().nullable().optional(),
  paused: z.boolean().optional(),
  dropRate: z.number().min(0).max(1).optional(),
  duplicateRate: z.number().min(0).max(1).optional(),
  reorder: z.boolean().optional(),
  maxAttempts: z.number().int().min(1).optional(),
  retryBaseMs: z.number().min(0).optional(),
  retryMaxMs: z.number().min(0).optional(),
  timeoutMs: z.number().min(1).optional(),
  batchDelayMs: z.number().min(0).optional(),
  maxBatchSize: z.number().int().min(1).max(100).optional(),
});

function portalIdOf(context: SimulatorContext, req: Request): number {
  const id = Number(req.params.portalId);
  if (!context.portals.has(id)) throw notFoundError(`Unknown portal ${String(req.params.portalId)}`);
  return id;
}

function typeOf(raw: unknown): ObjectTypeName {
  const type = resolveObjectType(String(raw));
  if (!type) throw validationError(`Unknown object type ${String(raw)}`);
  return type;
}

function run<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof MutationError) {
      if (error.kind === 'not_found') throw notFoundError(error.message);
      throw validationError(error.message, {
        errors: error.details.map((d) => ({ message: d.message, code: d.code })),
      });
    }
    throw error;
  }
}

function actorOf(body: { userId?: number | undefined; changeSource?: string | undefined }): {
  userId?: number;
  changeSource?: string;
} {
  return {
    ...(body.userId !== undefined ? { userId: body.userId } : {}),
    ...(body.changeSource !== undefined ? { changeSource: body.changeSource } : {}),
  };
}

function pageParams(req: Request, maxLimit: number): { after: number; limit: number } {
  const limit = Number(singleParam(req.query.limit) ?? '500');
  const after = Number(singleParam(req.query.after) ?? '0');
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    throw validationError(`limit must be between 1 and ${maxLimit}`);
  if (!Number.isSafeInteger(after) || after < 0)
    throw validationError('after must be a cursor from paging.next.after');
  return { after, limit };
}

async function writeLine(res: Response, line: string): Promise<void> {
  if (!res.write(`${line}\n`)) await new Promise<void>((resolve) => res.once('drain', resolve));
}

export function createAdminRouter(context: SimulatorContext, admin: SimulatorAdmin): Router {
  const router = Router();
  router.use(ADMIN_PREFIX, express.json({ limit: '5mb' }));
  const p = (path: string) => `${ADMIN_PREFIX}${path}`;

  router.get(p(''), (_req, res) => {
    res.json({
      baseUrl: context.baseUrl,
      versions: { crm: CRM_API_VERSION, oauth: OAUTH_API_VERSION },
      portals: [...context.portals.keys()],
      apps: context.oauth.apps.map((a) => ({
        appId: a.appId,
        clientId: a.clientId,
        clientSecret: a.clientSecret,
        webhookTargetUrl: context.webhooks.target(a.appId) ?? null,
      })),
    });
  });

  router.get(p('/portals'), (_req, res) => {
    res.json({ results: [...context.portals.values()].map((r) => summarizeGroundTruth(r.portal)) });
  });

  router.post(p('/portals/:portalId/tokens'), (req, res) => {
    const body = parseBody(tokensBody, req.body);
    res.json(
      run(() =>
        admin.issueTokens(portalIdOf(context, req), {
          ...(body.scopes ? { scopes: body.scopes } : {}),
          ...(body.appId !== undefined ? { appId: body.appId } : {}),
        }),
      ),
    );
  });
  router.post(p('/portals/:portalId/revoke-refresh-tokens'), (req, res) => {
    res.json({ revoked: admin.revokeRefreshTokens(portalIdOf(context, req)) });
  });
  router.post(p('/portals/:portalId/expire-access-tokens'), (req, res) => {
    res.json({ expired: admin.expireAccessTokens(portalIdOf(context, req)) });
  });
  router.post(p('/portals/:portalId/uninstall'), (req, res) => {
    admin.uninstall(portalIdOf(context, req));
    res.status(204).end();
  });

  router.get(p('/portals/:portalId/faults'), (req, res) => {
    res.json(admin.getFaults(portalIdOf(context, req)));
  });
  router.put(p('/portals/:portalId/faults'), (req, res) => {
    const body = parseBody(faultsBody, req.body);
    const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    res.json(admin.setFaults(portalIdOf(context, req), patch));
  });
  router.delete(p('/portals/:portalId/faults'), (req, res) => {
    admin.resetFaults(portalIdOf(context, req));
    res.json(NO_FAULTS);
  });

  router.post(p('/portals/:portalId/objects/:objectType/merge'), (req, res) => {
    const portalId = portalIdOf(context, req);
    const objectType = typeOf(req.params.objectType);
    if (objectType !== 'contacts' && objectType !== 'deals')
      throw validationError('Only contacts and deals can be merged.');
    const body = parseBody(mergeBody, req.body);
    res.json(
      run(() =>
        admin.mergeRecords(portalId, objectType, body.primaryObjectId, body.objectIdToMerge, actorOf(body)),
      ),
    );
  });
  router.post(p('/portals/:portalId/objects/:objectType'), (req, res) => {
    const portalId = portalIdOf(context, req);
    const objectType = typeOf(req.params.objectType);
    const body = parseBody(createBody, req.body);
    const associations = (body.associations ?? []).map((a) => ({
      objectType: typeOf(a.objectType),
      id: a.id,
    }));
    res
      .status(201)
      .json(
        run(() =>
          admin.createRecord(portalId, objectType, body.properties, { ...actorOf(body), associations }),
        ),
      );
  });
  router.get(p('/portals/:portalId/objects/:objectType/:id'), (req, res) => {
    const history = singleParam(req.query.propertiesWithHistory)?.split(',');
    const record = run(() =>
      admin.getRecord(
        portalIdOf(context, req),
        typeOf(req.params.objectType),
        String(req.params.id),
        history,
      ),
    );
    if (!record) throw notFoundError(`No record ${String(req.params.id)}`);
    res.json(record);
  });
  router.patch(p('/portals/:portalId/objects/:objectType/:id'), (req, res) => {
    const portalId = portalIdOf(context, req);
    const body = parseBody(updateBody, req.body);
    res.json(
      run(() =>
        admin.updateRecord(
          portalId,
          typeOf(req.params.objectType),
          String(req.params.id),
          body.properties,
          actorOf(body),
        ),
      ),
    );
  });
  router.delete(p('/portals/:portalId/objects/:objectType/:id'), (req, res) => {
    const portalId = portalIdOf(context, req);
    run(() => admin.archiveRecord(portalId, typeOf(req.params.objectType), String(req.params.id)));
    res.status(204).end();
  });
  router.post(p('/portals/:portalId/objects/:objectType/:id/restore'), (req, res) => {
    const portalId = portalIdOf(context, req);
    const body = parseBody(actorBody, req.body);
    run(() =>
      admin.restoreRecord(portalId, typeOf(req.params.objectType), String(req.params.id), actorOf(body)),
    );
    res.status(204).end();
  });
  router.post(p('/portals/:portalId/contacts/:id/gdpr-delete'), (req, res) => {
    const portalId = portalIdOf(context, req);
    run(() => admin.gdprDeleteContact(portalId, String(req.params.id)));
    res.status(204).end();
  });
  router.post(p('/portals/:portalId/deals/:id/stage'), (req, res) => {
    const portalId = portalIdOf(context, req);
    const body = parseBody(stageBody, req.body);
    res.json(run(() => admin.moveDealStage(portalId, String(req.params.id), body.stageId, actorOf(body))));
  });
  const association = (remove: boolean) => (req: Request, res: Response) => {
    const portalId = portalIdOf(context, req);
    const from = { objectType: typeOf(req.params.fromType), id: String(req.params.fromId) };
    const to = { objectType: typeOf(req.params.toType), id: String(req.params.toId) };
    const changed = run(() =>
      remove ? admin.removeAssociation(portalId, from, to) : admin.addAssociation(portalId, from, to),
    );
    res.json({ changed });
  };
  router.put(p('/portals/:portalId/associations/:fromType/:fromId/:toType/:toId'), association(false));
  router.delete(p('/portals/:portalId/associations/:fromType/:fromId/:toType/:toId'), association(true));

  router.get(p('/portals/:portalId/ground-truth'), (req, res) => {
    const portal = context.portals.get(portalIdOf(context, req))?.portal;
    if (!portal) throw notFoundError('Unknown portal');
    const base = `${context.baseUrl}${ADMIN_PREFIX}/portals/${portal.id}/ground-truth`;
    res.json({
      ...summarizeGroundTruth(portal),
      sections: {
        contacts: `${base}/contacts`,
        deals: `${base}/deals`,
        meetings: `${base}/meetings`,
        calls: `${base}/calls`,
        emails: `${base}/emails`,
        dealContacts: `${base}/associations/deal_contact`,
        meetingContacts: `${base}/associations/meeting_contact`,
        callContacts: `${base}/associations/call_contact`,
        emailContacts: `${base}/associations/email_contact`,
        ndjson: `${base}.ndjson`,
      },
    });
  });
  router.get(p('/portals/:portalId/ground-truth/associations/:kind'), (req, res) => {
    const portal = context.portals.get(portalIdOf(context, req))?.portal;
    const kind = String(req.params.kind);
    if (!portal || !ASSOCIATION_KINDS.includes(kind as AssociationKind))
      throw notFoundError('Unknown portal or association kind');
    const { after, limit } = pageParams(req, 10_000);
    const page = pageAssociations(portal, kind as AssociationKind, after, limit);
    res.json({ results: page.results, ...(page.next ? { paging: { next: { after: page.next } } } : {}) });
  });
  router.get(p('/portals/:portalId/ground-truth/:objectType'), (req, res) => {
    const portal = context.portals.get(portalIdOf(context, req))?.portal;
    if (!portal) throw notFoundError('Unknown portal');
    const { after, limit } = pageParams(req, 2000);
    const page = pageRecords(portal, typeOf(req.params.objectType), after, limit, {
      includeHistory: singleParam(req.query.history) !== 'false',
    });
    res.json({ results: page.results, ...(page.next ? { paging: { next: { after: page.next } } } : {}) });
  });
  router.get(p('/portals/:portalId/ground-truth.ndjson'), async (req, res) => {
    const portal = context.portals.get(portalIdOf(context, req))?.portal;
    if (!portal) throw notFoundError('Unknown portal');
    res.setHeader('content-type', 'application/x-ndjson');
    await writeLine(res, JSON.stringify({ kind: 'summary', ...summarizeGroundTruth(portal) }));
    for (const objectType of ['contacts', 'deals', 'meetings', 'calls', 'emails'] as const) {
      for (const record of portal.stores[objectType].records) {
        if (res.destroyed) return;
        await writeLine(
          res,
          JSON.stringify({ kind: objectType, ...describeRecord(portal, objectType, record) }),
        );
      }
    }
    for (const kind of ASSOCIATION_KINDS) {
      for (const [otherId, contactId] of portal.associations.pairs(kind))
        await writeLine(res, JSON.stringify({ kind, from: String(otherId), contactId: String(contactId) }));
    }
    res.end();
  });

  router.get(p('/requests'), (req, res) => {
    const portalId = singleParam(req.query.portalId);
    const status = singleParam(req.query.status);
    const since = singleParam(req.query.since);
    const method = singleParam(req.query.method);
    const pathPrefix = singleParam(req.query.pathPrefix);
    res.json({
      results: context.requestLog.list({
        ...(portalId !== undefined ? { portalId: Number(portalId) } : {}),
        ...(status !== undefined ? { status: Number(status) } : {}),
        ...(since !== undefined ? { since: Number(since) } : {}),
        ...(method !== undefined ? { method } : {}),
        ...(pathPrefix !== undefined ? { pathPrefix } : {}),
      }),
    });
  });
  router.delete(p('/requests'), (_req, res) => {
    context.requestLog.clear();
    res.status(204).end();
  });

  router.get(p('/webhooks'), (_req, res) => {
    res.json({
      targets: context.oauth.apps.map((a) => ({
        appId: a.appId,
        targetUrl: context.webhooks.target(a.appId) ?? null,
      })),
      options: admin.getWebhookOptions(),
      stats: admin.getWebhookStats(),
      deliveries: admin.listWebhookDeliveries().slice(-100),
    });
  });
  router.put(p('/webhooks'), (req, res) => {
    const { targetUrl, ...options } = parseBody(webhooksBody, req.body);
    if (targetUrl !== undefined) context.webhooks.setTarget(targetUrl);
    const patch = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    res.json({ options: admin.setWebhookOptions(patch), stats: admin.getWebhookStats() });
  });
  router.post(p('/webhooks/flush'), async (_req, res) => {
    await admin.flushWebhooks();
    res.json(admin.getWebhookStats());
  });

  router.use(ADMIN_PREFIX, () => {
    throw new SimHttpError(404, createErrorBody('OBJECT_NOT_FOUND', 'Unknown simulator admin route'));
  });
  return router;
}
