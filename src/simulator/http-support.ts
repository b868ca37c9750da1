import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { PortalRuntime, SimulatorContext } from './context';
import { createErrorBody, rateLimitBody, SimHttpError, validationError } from './errors';
import { redactFormBody } from './request-log';

/**
 * The plumbing in front of the HubSpot routes: raw-body capture for the
 * request log, authentication, the per-portal rate budgets, injected faults
 * and latency, zod validation with HubSpot's 400 body, and the error renderer.
 */
export type ApiLocals = { runtime: PortalRuntime; appId: number; userId: number };

type RawBodyRequest = Request & { rawBody?: Buffer };

export function captureRawBody(req: Request, _res: Response, buffer: Buffer): void {
  (req as RawBodyRequest).rawBody = buffer;
}

export function rawBodyOf(req: Request): string | null {
  const raw = (req as RawBodyRequest).rawBody;
  return raw && raw.length > 0 ? raw.toString('utf8') : null;
}

export function apiLocals(res: Response): ApiLocals {
  const locals = res.locals as Partial<ApiLocals>;
  if (!locals.runtime || locals.appId === undefined || locals.userId === undefined)
    throw new Error('route used without authentication');
  return locals as ApiLocals;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records every answered (or abandoned) request once the response finishes or the client goes away. */
export function logRequests(context: SimulatorContext): RequestHandler {
  return (req, res, next) => {
    const started = context.now();
    const startedHr = performance.now();
    let logged = false;
    const log = (status: number) => {
      if (logged) return;
      logged = true;
      const raw = rawBodyOf(req);
      const isForm = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
      const locals = res.locals as Partial<ApiLocals>;
      context.requestLog.add({
        time: started,
        portalId: locals.runtime?.portal.id ?? null,
        method: req.method,
        path: req.path,
        query: req.query as Record<string, string | string[]>,
        body: raw === null ? null : isForm ? redactFormBody(raw) : raw,
        status,
        durationMs: Math.round((performance.now() - startedHr) * 10) / 10,
      });
    };
    res.on('finish', () => log(res.statusCode));
    res.on('close', () => log(res.writableFinished ? res.statusCode : 0));
    next();
  };
}

export function addLatency(context: SimulatorContext): RequestHandler {
  return async (_req, _res, next) => {
    if (context.latencyMs > 0) await sleep(context.latencyMs);
    next();
  };
}

function groupName(runtime: PortalRuntime, appId: number): string {
  return `publicapi:oauth:${appId}:${runtime.portal.id}`;
}

/**
 * Authenticates the bearer token, then applies in order: the daily-limit
 * fault, the rate budget (search has its own, and no headers), then the
 * injected timeouts, 5xx and 429s, then the portal's added latency.
 */
export function guardApi(context: SimulatorContext, budget: 'general' | 'search'): RequestHandler {
  return async (req, res, next) => {
    const token = context.oauth.authenticate(req.headers.authorization);
    const runtime = context.portals.get(token.portalId);
    if (!runtime)
      throw new SimHttpError(
        401,
        createErrorBody('INVALID_AUTHENTICATION', 'The portal of this token no longer exists.'),
      );
    const locals: ApiLocals = { runtime, appId: token.appId, userId: token.userId };
    Object.assign(res.locals, locals);
    const faults = runtime.faults.get();
    if (faults.dailyLimitExhausted)
      throw new SimHttpError(429, rateLimitBody('DAILY', groupName(runtime, token.appId)));
    const arrivedAt: unknown = res.locals.arrivedAt;
    const now = typeof arrivedAt === 'number' ? arrivedAt : context.now();
    if (budget === 'search') {
      const taken = runtime.limits.search.take(now);
      if (!taken.allowed)
        throw new SimHttpError(429, rateLimitBody('SECONDLY', groupName(runtime, token.appId)));
    } else {
      const taken = runtime.limits.general.take(now);
      if (Number.isFinite(taken.limit)) {
        res.setHeader('X-HubSpot-RateLimit-Max', String(taken.limit));
        res.setHeader('X-HubSpot-RateLimit-Remaining', String(taken.remaining));
        res.setHeader('X-HubSpot-RateLimit-Interval-Milliseconds', String(taken.windowMs));
      }
      if (!taken.allowed)
        throw new SimHttpError(429, rateLimitBody('TEN_SECONDLY_ROLLING', groupName(runtime, token.appId)));
    }
    switch (runtime.faults.decide()) {
      case 'timeout':
        // Never answer: the client has to give up. The server's close() destroys the socket.
        return;
      case 'error':
        throw new SimHttpError(faults.errorStatus, createErrorBody('INTERNAL_ERROR', 'internal error'));
      case 'rateLimit':
        throw new SimHttpError(
          429,
          rateLimitBody(
            budget === 'search' ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING',
            groupName(runtime, token.appId),
          ),
        );
      case 'none':
        break;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    next();
  };
}

/** Parses with zod; failures become HubSpot's VALIDATION_ERROR with the issues listed. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw validationError(`Invalid input: ${issues.join('; ')}`, {
      errors: result.error.issues.map((i) => ({ message: i.message, in: i.path.join('.'), code: i.code })),
    });
  }
  return result.data;
}

type MaybeHttpError = { status?: unknown; type?: unknown; message?: unknown };

export function renderErrors(context: SimulatorContext) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof SimHttpError) {
      for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
      res.status(error.status).json(error.body);
      return;
    }
    const e = (error ?? {}) as MaybeHttpError;
    if (e.type === 'entity.parse.failed') {
      res.status(400).json(createErrorBody('VALIDATION_ERROR', `Invalid input JSON: ${String(e.message)}`));
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json(createErrorBody('VALIDATION_ERROR', 'Request body too large'));
      return;
    }
    context.logger.error({ err: error }, 'simulator route failed');
    res.status(500).json(createErrorBody('INTERNAL_ERROR', 'internal error'));
  };
}

/** Query values as a list: `a,b` and repeated keys both work, as HubSpot accepts both. */
export function listParam(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) =>
    typeof v === 'string' ? v.split(',') : [],
  );
  const trimmed = items.map((s) => s.trim()).filter((s) => s !== '');
  return trimmed.length > 0 ? trimmed : undefined;
}

export function singleParam(value: unknown): string | undefined {
  const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === 'string' ? last : undefined;
}
