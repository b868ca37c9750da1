import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { expiredAuthError, invalidAuthError, missingAuthError, oauthError, SimHttpError } from './errors';

/**
 * HubSpot's OAuth as a marketplace app meets it (reference §1): an authorize
 * page that auto-approves as the portal's admin, single-use codes, 30-minute
 * access tokens, long-lived refresh tokens that stay the same across
 * refreshes, RFC 6749 errors, introspection and revocation.
 */
export const ACCESS_TOKEN_TTL_SECONDS = 1800;
export const AUTH_CODE_TTL_MS = 10 * 60_000;

export type SimApp = {
  appId: number;
  clientId: string;
  clientSecret: string;
  webhookTargetUrl?: string;
};

export type OAuthPortal = {
  portalId: number;
  userId: number;
  userEmail: string;
  domain: string;
  unavailableScopes: readonly string[];
};

export type TokenResponse = {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: 'bearer';
  token_use: 'access_token';
  hub_id: number;
  user_id: number;
  scopes: string[];
};

export type AuthenticatedToken = {
  portalId: number;
  appId: number;
  userId: number;
  scopes: readonly string[];
};

type Grant = { portalId: number; appId: number; userId: number; scopes: string[] };
type CodeEntry = Grant & { clientId: string; redirectUri: string; expiresAt: number; used: boolean };
type AccessEntry = Grant & { expiresAt: number; revoked: boolean };
type RefreshEntry = Grant & { revoked: boolean };

export type OAuthHooks = {
  now: () => number;
  portal: (portalId: number) => OAuthPortal | undefined;
  refreshRevokedByFault: (portalId: number) => boolean;
};

function splitScopes(raw: string | undefined): string[] {
  return (raw ?? '').split(/[\s+]+/).filter((s) => s !== '');
}

export class OAuthServer {
  private readonly codes = new Map<string, CodeEntry>();
  private readonly accessTokens = new Map<string, AccessEntry>();
  private readonly refreshTokens = new Map<string, RefreshEntry>();

  constructor(
    readonly apps: readonly SimApp[],
    private readonly hooks: OAuthHooks,
  ) {}

  findApp(clientId: string | undefined): SimApp | undefined {
    return this.apps.find((a) => a.clientId === clientId);
  }

  /** Issues a code for the portal's admin; returns the URL to redirect to. */
  authorize(params: {
    clientId: string;
    redirectUri: string;
    scope?: string;
    optionalScope?: string;
    state?: string;
    portalId: number;
    denied: boolean;
  }): string {
    const app = this.findApp(params.clientId);
    if (!app)
      throw new SimHttpError(400, {
        status: 'error',
        message: `Unknown client_id ${params.clientId}`,
        category: 'VALIDATION_ERROR',
        correlationId: randomUUID(),
      });
    let target: URL;
    try {
      target = new URL(params.redirectUri);
    } catch {
      throw new SimHttpError(400, {
        status: 'error',
        message: 'redirect_uri must be an absolute URL',
        category: 'VALIDATION_ERROR',
        correlationId: randomUUID(),
      });
    }
    const portal = this.hooks.portal(params.portalId);
    if (!portal)
      throw new SimHttpError(400, {
        status: 'error',
        message: `Unknown portal ${params.portalId}`,
        category: 'VALIDATION_ERROR',
        correlationId: randomUUID(),
      });
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    if (params.denied) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied the request');
      return target.toString();
    }
    const optional = splitScopes(params.optionalScope).filter((s) => !portal.unavailableScopes.includes(s));
    const scopes = [...new Set(['oauth', ...splitScopes(params.scope), ...optional])];
    const code = randomUUID();
    this.codes.set(code, {
      portalId: portal.portalId,
      appId: app.appId,
      userId: portal.userId,
      scopes,
      clientId: app.clientId,
      redirectUri: params.redirectUri,
      expiresAt: this.hooks.now() + AUTH_CODE_TTL_MS,
      used: false,
    });
    target.searchParams.set('code', code);
    return target.toString();
  }

  private requireClient(form: Record<string, string | undefined>): SimApp {
    const app = this.findApp(form.client_id);
    if (!app) throw oauthError(401, 'invalid_client', 'BAD_CLIENT_ID', 'missing or unknown client id');
    if (form.client_secret !== app.clientSecret)
      throw oauthError(401, 'invalid_client', 'BAD_CLIENT_SECRET', 'missing or invalid client secret');
    return app;
  }

  exchange(form: Record<string, string | undefined>): TokenResponse {
    const grantType = form.grant_type;
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw oauthError(
        400,
        'unsupported_grant_type',
        'BAD_GRANT_TYPE',
        `grant_type must be authorization_code or refresh_token`,
      );
    }
    const app = this.requireClient(form);
    if (grantType === 'authorization_code') {
      const entry = form.code ? this.codes.get(form.code) : undefined;
      if (!entry || entry.clientId !== app.clientId)
        throw oauthError(400, 'invalid_grant', 'BAD_AUTH_CODE', 'auth code not found');
      if (entry.used)
        throw oauthError(400, 'invalid_grant', 'BAD_AUTH_CODE', 'auth code has already been used');
      if (entry.expiresAt <= this.hooks.now())
        throw oauthError(400, 'invalid_grant', 'BAD_AUTH_CODE', 'auth code has expired');
      if (form.redirect_uri !== entry.redirectUri)
        throw oauthError(
          400,
          'invalid_grant',
          'BAD_REDIRECT_URI',
          'redirect_uri does not match the one used to get the code',
        );
      entry.used = true;
      return this.issue(entry);
    }
    const refreshToken = form.refresh_token ?? '';
    const entry = this.refreshTokens.get(refreshToken);
    if (
      !entry ||
      entry.revoked ||
      entry.appId !== app.appId ||
      this.hooks.refreshRevokedByFault(entry.portalId)
    ) {
      throw oauthError(
        400,
        'invalid_grant',
        'BAD_REFRESH_TOKEN',
        'refresh token is invalid, expired or revoked',
      );
    }
    const accessToken = this.newAccessToken(entry);
    return this.response(accessToken, refreshToken, entry);
  }

  /** Issues a fresh install's tokens (the admin API's shortcut past the browser step). */
  issue(grant: Grant): TokenResponse {
    const refreshToken = `na1-${randomUUID().slice(0, 4)}-${randomUUID()}`;
    this.refreshTokens.set(refreshToken, {
      portalId: grant.portalId,
      appId: grant.appId,
      userId: grant.userId,
      scopes: grant.scopes,
      revoked: false,
    });
    return this.response(this.newAccessToken(grant), refreshToken, grant);
  }

  private newAccessToken(grant: Grant): string {
    // Longer than 255 characters on purpose: HubSpot's tokens vary in length and exceed 300 (reference §1).
    const token = `CN${randomBytes(240).toString('base64url')}`;
    this.accessTokens.set(token, {
      ...grant,
      expiresAt: this.hooks.now() + ACCESS_TOKEN_TTL_SECONDS * 1000,
      revoked: false,
    });
    return token;
  }

  private response(accessToken: string, refreshToken: string, grant: Grant): TokenResponse {
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      token_type: 'bearer',
      token_use: 'access_token',
      hub_id: grant.portalId,
      user_id: grant.userId,
      scopes: [...grant.scopes],
    };
  }

  introspect(form: Record<string, string | undefined>): object {
    const app = this.requireClient(form);
    const token = form.token ?? '';
    const now = this.hooks.now();
    const access = this.accessTokens.get(token);
    if (access && access.appId === app.appId) {
      const portal = this.hooks.portal(access.portalId);
      const active = !access.revoked && access.expiresAt > now;
      if (!active) return { active: false };
      return {
        active: true,
        token_use: 'access_token',
        token,
        hub_id: access.portalId,
        user_id: access.userId,
        client_id: app.clientId,
        app_id: app.appId,
        scopes: access.scopes,
        expires_in: Math.floor((access.expiresAt - now) / 1000),
        token_type: 'access',
        user: portal?.userEmail ?? '',
        hub_domain: portal?.domain ?? '',
        is_private_distribution: false,
        signed_access_token: signedAccessToken(app, access),
      };
    }
    const refresh = this.refreshTokens.get(token);
    if (refresh && refresh.appId === app.appId) {
      if (refresh.revoked || this.hooks.refreshRevokedByFault(refresh.portalId)) return { active: false };
      const portal = this.hooks.portal(refresh.portalId);
      return {
        active: true,
        token_use: 'refresh_token',
        token,
        hub_id: refresh.portalId,
        user_id: refresh.userId,
        client_id: app.clientId,
        app_id: app.appId,
        scopes: refresh.scopes,
        token_type: 'refresh',
        user: portal?.userEmail ?? '',
        hub_domain: portal?.domain ?? '',
      };
    }
    return { active: false };
  }

  /** Revokes a refresh token (existing access tokens keep working until they expire) or an access token. */
  revoke(form: Record<string, string | undefined>): void {
    const app = this.requireClient(form);
    const token = form.token ?? '';
    const refresh = this.refreshTokens.get(token);
    if (refresh && refresh.appId === app.appId) refresh.revoked = true;
    const access = this.accessTokens.get(token);
    if (access && access.appId === app.appId) access.revoked = true;
  }

  authenticate(authorization: string | undefined): AuthenticatedToken {
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw missingAuthError();
    const entry = this.accessTokens.get(match[1] as string);
    if (!entry || entry.revoked) throw invalidAuthError();
    const now = this.hooks.now();
    if (entry.expiresAt <= now) throw expiredAuthError(now - entry.expiresAt);
    return { portalId: entry.portalId, appId: entry.appId, userId: entry.userId, scopes: entry.scopes };
  }

  revokeRefreshTokens(portalId: number): number {
    let n = 0;
    for (const entry of this.refreshTokens.values()) {
      if (entry.portalId === portalId && !entry.revoked) {
        entry.revoked = true;
        n++;
      }
    }
    return n;
  }

  /** Makes every live access token of the portal expired now, so the next call gets HubSpot's expired-token 401. */
  expireAccessTokens(portalId: number): number {
    let n = 0;
    const now = this.hooks.now();
    for (const entry of this.accessTokens.values()) {
      if (entry.portalId === portalId && entry.expiresAt > now) {
        entry.expiresAt = now;
        n++;
      }
    }
    return n;
  }

  /** An uninstall: refresh and access tokens of the portal stop working at once. */
  uninstall(portalId: number): void {
    this.revokeRefreshTokens(portalId);
    for (const entry of this.accessTokens.values()) if (entry.portalId === portalId) entry.revoked = true;
  }
}

/**
 * The introspection's `signed_access_token` with every field of the 2026-03 spec's
 * SignedAccessToken. HubSpot's scope fields are opaque encoded bitsets and its signatures
 * HMACs we cannot reproduce: here the encodings are base64 of the scope list and the
 * signatures HMACs with the app's secret, the same types and never empty.
 */
function signedAccessToken(
  app: { appId: number; clientSecret: string },
  access: { portalId: number; userId: number; expiresAt: number; scopes: readonly string[] },
): object {
  const scopes = Buffer.from(access.scopes.join(' '), 'utf8').toString('base64');
  const fields = {
    expiresAt: access.expiresAt,
    scopes,
    hubId: access.portalId,
    userId: access.userId,
    appId: app.appId,
  };
  const sign = (version: string) =>
    createHmac('sha1', app.clientSecret)
      .update(`${version}:${JSON.stringify(fields)}`)
      .digest('base64');
  return {
    ...fields,
    signature: sign('v1'),
    scopeToScopeGroupPks: Buffer.from(access.scopes.map((_, i) => i + 1).join(','), 'utf8').toString(
      'base64',
    ),
    newSignature: sign('v2'),
    hublet: 'na1',
    trialScopes: '',
    trialScopeToScopeGroupPks: '',
    isUserLevel: false,
    installingUserId: access.userId,
    isServiceAccount: false,
    isPrivateDistribution: false,
  };
}
