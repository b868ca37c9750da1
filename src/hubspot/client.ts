import { Client } from '@hubspot/api-client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  describeIssues,
  HubSpotApiError,
  HubSpotDailyLimitError,
  HubSpotRateLimitError,
  type HubSpotError,
  HubSpotResponseError,
  HubSpotTransportError,
} from './errors';
import { RateBudgetWaitTooLongError } from './rate-budget';
import type { RateBudget, RateBudgetKind, RateGrant, RateLimitPolicy } from './rate-budget';
import { rateLimitErrorSchema, standardErrorSchema } from './schemas';

/**
 * The per-portal HubSpot client: every CRM call of the app goes through `request`.
 * It takes a token from the portal's rate budget, authenticates with the portal's
 * access token, retries what HubSpot documents as transient (429 by policy, 5xx,
 * timeouts, one 401 after a forced refresh), and parses the answer with zod.
 *
 * Built on @hubspot/api-client's generic `apiRequest` (its typed APIs still target
 * /crm/v3). `apiRequest` resolves with the raw Response and never throws on an error
 * status, and the SDK's retry decorator never fires for it (reference §7), so the
 * status handling and retries are ours.
 */
export type HubSpotMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type QueryValue = string | number | boolean | string[] | undefined;

export type HubSpotRequest = {
  method: HubSpotMethod;
  /** A path from HUBSPOT_PATHS, without a query string. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Which budget the call spends; default 'search' for …/search paths, else 'standard'. */
  kind?: RateBudgetKind;
  signal?: AbortSignal;
};

/** A 2xx answer with its status, for batch endpoints where 207 means "some inputs failed". */
export type HubSpotMultiStatus<T> = { status: number; multiStatus: boolean; body: T };

export type HubSpotClient = {
  readonly portalId: number;
  request<T>(req: HubSpotRequest, schema: z.ZodType<T>): Promise<T>;
  requestMultiStatus<T>(req: HubSpotRequest, schema: z.ZodType<T>): Promise<HubSpotMultiStatus<T>>;
};

export type HubSpotClientFactory = {
  /** A portal's client; its access tokens come from the vault (refreshed on demand). */
  forPortal(portalId: number): HubSpotClient;
  /**
   * A client with a token the vault does not hold yet (the install, before the tokens are
   * stored). It spends the same per-portal rate budget as every other call.
   */
  withAccessToken(portalId: number, accessToken: string, options?: { maxAttempts?: number }): HubSpotClient;
};

export type AccessTokenProvider = (portalId: number, options?: { invalidToken?: string }) => Promise<string>;

export type HubSpotClientDeps = {
  apiBaseUrl: string;
  /** A valid access token; with `invalidToken`, one HubSpot just refused (refresh unless already done). */
  getAccessToken: AccessTokenProvider;
  rateBudget?: RateBudget;
  logger: Logger;
  /** Per attempt. Default 30 s. */
  fetchTimeoutMs?: number;
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /**
   * The longest a call waits for the shared budget (default 15 s: a full 10-s window, never a
   * park). A longer park (a DAILY 429, a long back-off) throws a rate-limit error with
   * `retryAtMs` instead, so a queued job is delayed through BullMQ rather than sleeping in
   * its worker slot.
   */
  maxRateWaitMs?: number;
  /** Injected in tests to skip the real waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
};

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const POLICY_BACKOFF_MS: Record<Exclude<RateLimitPolicy, 'DAILY'>, number> = {
  TEN_SECONDLY_ROLLING: 10_000,
  SECONDLY: 1_000,
};
// The daily budget resets at midnight in the portal's time zone, which the adapter
// does not know; an hour is a safe re-check interval.
const DAILY_PARK_MS = 60 * 60_000;

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Full jitter: a random wait in [0, min(max, base·2^attempt)], so many workers don't retry in step. */
function jitteredBackoff(attempt: number): number {
  return Math.round(Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

export function buildQueryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    // HubSpot accepts both `a,b` and repeated keys; commas keep long property lists short.
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

type Sent = { status: number; text: string } | { error: 'timeout' | 'network'; cause?: unknown };

export function createHubSpotClientFactory(deps: HubSpotClientDeps): HubSpotClientFactory {
  const log = deps.logger.child({ name: 'hubspot' });
  const timeoutMs = deps.fetchTimeoutMs ?? 30_000;
  const defaultMaxAttempts = Math.max(1, deps.maxAttempts ?? 5);
  const maxRateWaitMs = deps.maxRateWaitMs ?? 15_000;
  const sleep = deps.sleep ?? abortableSleep;
  const now = deps.now ?? Date.now;

  async function send(token: string, req: HubSpotRequest, pathWithQuery: string): Promise<Sent> {
    const client = new Client({ accessToken: token, basePath: deps.apiBaseUrl });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    // apiRequest takes no AbortSignal: a timeout abandons the answer rather than the socket.
    const gaveUp = new Promise<Sent>((resolve, reject) => {
      timer = setTimeout(() => resolve({ error: 'timeout' }), timeoutMs);
      if (req.signal) {
        onAbort = () => reject(req.signal?.reason as Error);
        req.signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    const answered = (async (): Promise<Sent> => {
      try {
        const response = await client.apiRequest({
          method: req.method,
          path: pathWithQuery,
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        return { status: response.status, text: await response.text() };
      } catch (cause) {
        return { error: 'network', cause };
      }
    })();
    try {
      return await Promise.race([answered, gaveUp]);
    } finally {
      clearTimeout(timer);
      if (onAbort) req.signal?.removeEventListener('abort', onAbort);
    }
  }

  function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
    if (text === '') return { ok: true, value: undefined };
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false };
    }
  }

  /** HubSpot's message, with the token cut out should it ever echo one. */
  function scrub(message: string, token: string): string {
    return token && message.includes(token) ? message.split(token).join('[redacted]') : message;
  }

  async function takeBudget(
    portalId: number,
    kind: RateBudgetKind,
    where: string,
    signal: AbortSignal | undefined,
  ): Promise<RateGrant | undefined> {
    try {
      return await deps.rateBudget?.take(portalId, kind, signal, { maxWaitMs: maxRateWaitMs });
    } catch (err) {
      if (!(err instanceof RateBudgetWaitTooLongError)) throw err;
      if (err.policy === 'DAILY') throw new HubSpotDailyLimitError(err.retryAtMs, portalId, where);
      throw new HubSpotRateLimitError(err.policy ?? 'BUDGET', err.retryAtMs, portalId, where);
    }
  }

  function clientFor(
    portalId: number,
    getAccessToken: AccessTokenProvider,
    maxAttempts: number,
  ): HubSpotClient {
    async function call<T>(req: HubSpotRequest, schema: z.ZodType<T>): Promise<HubSpotMultiStatus<T>> {
      const kind: RateBudgetKind = req.kind ?? (req.path.endsWith('/search') ? 'search' : 'standard');
      const pathWithQuery = `${req.path}${buildQueryString(req.query)}`;
      const where = `${req.method} ${req.path}`;
      let refreshedAfter401 = false;
      // What the last failed attempt met; thrown when attempts run out.
      let lastError: HubSpotError | undefined;

      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        req.signal?.throwIfAborted();
        const grant = await takeBudget(portalId, kind, where, req.signal);
        let token: string;
        let sent: Awaited<ReturnType<typeof send>>;
        try {
          token = await getAccessToken(portalId);
          sent = await send(token, req, pathWithQuery);
        } finally {
          // Answered, failed or never sent: the slot counts from now (rate-budget.ts, RateGrant).
          await grant
            ?.settle()
            .catch((err: unknown) => log.debug({ err, portalId }, 'rate grant not re-timed'));
        }
        const retriesLeft = attempt < maxAttempts;

        if ('error' in sent) {
          lastError = new HubSpotTransportError(
            sent.error,
            `HubSpot ${where} ${sent.error === 'timeout' ? `gave no answer within ${timeoutMs} ms` : 'could not be reached'} (attempt ${attempt} of ${maxAttempts})`,
            portalId,
            where,
            { cause: sent.cause },
          );
          log.debug({ portalId, path: req.path, attempt, reason: sent.error }, 'hubspot call got no answer');
          if (retriesLeft) await sleep(jitteredBackoff(attempt), req.signal);
          continue;
        }

        const { status } = sent;
        const parsed = parseJson(sent.text);
        if (status >= 200 && status < 300) {
          if (!parsed.ok) throw new HubSpotResponseError(['body is not JSON'], portalId, where, status);
          const result = schema.safeParse(parsed.value);
          if (!result.success)
            throw new HubSpotResponseError(describeIssues(result.error.issues), portalId, where, status);
          return { status, multiStatus: status === 207, body: result.data };
        }

        const errorBody = standardErrorSchema.safeParse(parsed.ok ? parsed.value : {});
        const info = errorBody.success
          ? errorBody.data
          : { message: '', category: undefined, correlationId: undefined, subCategory: undefined };
        const apiError = () =>
          new HubSpotApiError(
            status,
            info.category,
            info.correlationId,
            `HubSpot ${where} answered ${status}${info.category ? ` ${info.category}` : ''}: ${scrub(info.message, token) || '(no message)'}`,
            portalId,
            where,
            info.subCategory,
          );

        if (status === 429) {
          const rl = rateLimitErrorSchema.safeParse(parsed.ok ? parsed.value : {});
          const policy =
            (rl.success ? rl.data.policyName : undefined) ??
            (kind === 'search' ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING');
          if (policy === 'DAILY') {
            const until = now() + DAILY_PARK_MS;
            await deps.rateBudget?.backOff(portalId, 'DAILY', until);
            log.warn({ portalId, path: req.path }, 'hubspot daily limit reached; portal parked');
            throw new HubSpotDailyLimitError(until, portalId, where);
          }
          const known = policy === 'SECONDLY' ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING';
          const waitMs = POLICY_BACKOFF_MS[known];
          const until = now() + waitMs;
          lastError = new HubSpotRateLimitError(known, until, portalId, where);
          await deps.rateBudget?.backOff(portalId, known, until);
          log.debug(
            { portalId, path: req.path, attempt, policy: known },
            'hubspot rate limited; backing off',
          );
          // With a shared budget, take() waits out the back-off for every process; without one, we wait here.
          if (retriesLeft && !deps.rateBudget) await sleep(waitMs, req.signal);
          continue;
        }

        if (status === 401 && !refreshedAfter401) {
          // One retry with a fresh token; a second 401 is not a token-age problem.
          refreshedAfter401 = true;
          await getAccessToken(portalId, { invalidToken: token });
          attempt--;
          continue;
        }

        // 423 (record locked, ~2 s) and 477 (portal migrating) are transient per HubSpot's error guide.
        if (status >= 500 || status === 423 || status === 477) {
          lastError = apiError();
          log.debug({ portalId, path: req.path, attempt, status }, 'hubspot server error; retrying');
          if (retriesLeft) await sleep(status === 423 ? 2_000 : jitteredBackoff(attempt), req.signal);
          continue;
        }

        throw apiError();
      }

      throw lastError ?? new HubSpotTransportError('network', `HubSpot ${where} failed`, portalId, where);
    }

    return {
      portalId,
      request: async (req, schema) => (await call(req, schema)).body,
      requestMultiStatus: call,
    };
  }

  return {
    forPortal: (portalId) => clientFor(portalId, deps.getAccessToken, defaultMaxAttempts),
    withAccessToken: (portalId, accessToken, options = {}) =>
      clientFor(
        portalId,
        () => Promise.resolve(accessToken),
        Math.max(1, options.maxAttempts ?? defaultMaxAttempts),
      ),
  };
}
