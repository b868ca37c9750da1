import type { z } from 'zod';
import { HUBSPOT_PATHS } from './endpoints';
import { describeIssues, HubSpotOAuthError, HubSpotResponseError, HubSpotTransportError } from './errors';
import { introspectionSchema, oauthErrorSchema, tokenResponseSchema } from './schemas';
import type { Introspection, TokenResponse } from './schemas';

/**
 * HubSpot's OAuth 2026-03 endpoints: code exchange, refresh, introspection and
 * revocation, form-encoded with the client credentials in the body.
 *
 * These use fetch directly rather than @hubspot/api-client: the SDK only speaks the
 * v1 OAuth paths (reference §7), these calls carry no bearer token, and a real
 * AbortSignal lets a hanging token endpoint be cut off (the install page must not
 * hang). No retries: a code is single-use, and a refresh is retried by its caller.
 */
export type HubSpotOAuthDeps = {
  apiBaseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Default 10 s. */
  timeoutMs?: number;
};

export type HubSpotOAuth = {
  exchangeCode(code: string, redirectUri: string): Promise<TokenResponse>;
  refresh(refreshToken: string, portalId?: number): Promise<TokenResponse>;
  introspect(token: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<Introspection>;
  revoke(token: string): Promise<void>;
};

export function createHubSpotOAuth(deps: HubSpotOAuthDeps): HubSpotOAuth {
  const timeoutMs = deps.timeoutMs ?? 10_000;

  async function post<T>(
    path: string,
    form: Record<string, string>,
    schema: z.ZodType<T> | null,
    portalId: number | null,
  ): Promise<T> {
    const body = new URLSearchParams({ ...form, client_id: deps.clientId, client_secret: deps.clientSecret });
    let response: Response;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      response = await fetch(new URL(path, deps.apiBaseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal,
      });
    } catch {
      // The signal says why; the error's class may come from another realm (DOMException).
      const timedOut = signal.aborted;
      throw new HubSpotTransportError(
        timedOut ? 'timeout' : 'network',
        timedOut
          ? `HubSpot POST ${path} gave no answer within ${timeoutMs} ms`
          : `HubSpot POST ${path} could not be reached`,
        portalId,
        `POST ${path}`,
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new HubSpotTransportError(
        'timeout',
        `HubSpot POST ${path} did not finish its answer within ${timeoutMs} ms`,
        portalId,
        `POST ${path}`,
      );
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const e = oauthErrorSchema.safeParse(json);
      throw new HubSpotOAuthError(
        response.status,
        e.success ? e.data.error : 'unknown_error',
        e.success ? e.data.status : undefined,
        e.success ? (e.data.error_description ?? e.data.message ?? '') : '',
        `POST ${path}`,
        portalId,
      );
    }
    if (!schema) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new HubSpotResponseError(
        describeIssues(parsed.error.issues),
        portalId,
        `POST ${path}`,
        response.status,
      );
    return parsed.data;
  }

  return {
    exchangeCode: (code, redirectUri) =>
      post(
        HUBSPOT_PATHS.oauthToken(),
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
        tokenResponseSchema,
        null,
      ),
    refresh: (refreshToken, portalId) =>
      post(
        HUBSPOT_PATHS.oauthToken(),
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        tokenResponseSchema,
        portalId ?? null,
      ),
    introspect: (token, tokenTypeHint = 'access_token') =>
      post(
        HUBSPOT_PATHS.oauthIntrospect(),
        { token, token_type_hint: tokenTypeHint },
        introspectionSchema,
        null,
      ),
    revoke: (token) => post(HUBSPOT_PATHS.oauthRevoke(), { token }, null, null),
  };
}
