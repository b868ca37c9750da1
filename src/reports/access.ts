import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * Access to the report pages without a second login. A one-time link (single use, valid 60 s)
 * is minted for a portal and user, by an operator's command or by a signed request from the app
 * page inside HubSpot; opening it starts an 8-hour session for that portal and user. Only
 * SHA-256 hashes of link tokens and session ids are stored (Redis, with the TTL as expiry), so a
 * copy of Redis opens nothing.
 */

export const LINK_TTL_MS = 60_000;
export const SESSION_TTL_MS = 8 * 3_600_000;
export const SESSION_COOKIE = 'kpi_bridge_report';

export interface ReportPrincipal {
  readonly portalId: number;
  /** The HubSpot user the link was minted for; null for an operator's link. */
  readonly userId: number | null;
}

const principalSchema = z.object({
  portalId: z.number().int().positive(),
  userId: z.number().int().nullable(),
});

export interface ReportAccessDeps {
  readonly redis: Pick<Redis, 'set' | 'getdel' | 'get' | 'del'>;
  readonly keyPrefix: string;
  readonly publicBaseUrl: string;
  /** Secure cookies outside development (HTTPS). */
  readonly secureCookies: boolean;
  /** Tests shorten it; 60 s otherwise. */
  readonly linkTtlMs?: number;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function createReportAccess(deps: ReportAccessDeps) {
  const linkKey = (token: string) => `${deps.keyPrefix}:reports:link:${hash(token)}`;
  const sessionKey = (id: string) => `${deps.keyPrefix}:reports:session:${hash(id)}`;

  /** `query`: the view's pickers (an URL query string, validated by the caller), kept for the redirect. */
  async function mintLink(
    principal: ReportPrincipal,
    view = 'overview',
    query = '',
  ): Promise<{ url: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const ttl = deps.linkTtlMs ?? LINK_TTL_MS;
    await deps.redis.set(linkKey(token), JSON.stringify({ ...principal, view, query }), 'PX', ttl);
    return {
      url: `${deps.publicBaseUrl}/reports/open?token=${token}`,
      expiresAt: new Date(Date.now() + ttl).toISOString(),
    };
  }

  /**
   * Spends a link: GETDEL is atomic, so of two concurrent openings exactly one gets the session.
   * Expired, reused and unknown links all come back undefined.
   */
  async function redeemLink(
    token: string,
  ): Promise<{ sessionId: string; principal: ReportPrincipal; view: string; query: string } | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const raw = await deps.redis.getdel(linkKey(token));
    if (raw === null) return undefined;
    const parsed = principalSchema
      .extend({ view: z.string(), query: z.string().default('') })
      .safeParse(JSON.parse(raw));
    if (!parsed.success) return undefined;
    const { view, query, ...principal } = parsed.data;
    const sessionId = randomBytes(32).toString('base64url');
    await deps.redis.set(sessionKey(sessionId), JSON.stringify(principal), 'PX', SESSION_TTL_MS);
    return { sessionId, principal, view, query };
  }

  async function readSession(sessionId: string | undefined): Promise<ReportPrincipal | undefined> {
    if (sessionId === undefined || !TOKEN.test(sessionId)) return undefined;
    const raw = await deps.redis.get(sessionKey(sessionId));
    if (raw === null) return undefined;
    const parsed = principalSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async function endSession(sessionId: string): Promise<void> {
    if (TOKEN.test(sessionId)) await deps.redis.del(sessionKey(sessionId));
  }

  function sessionCookie(sessionId: string): string {
    const parts = [
      `${SESSION_COOKIE}=${sessionId}`,
      'Path=/reports',
      `Max-Age=${SESSION_TTL_MS / 1000}`,
      'HttpOnly',
      'SameSite=Lax',
    ];
    if (deps.secureCookies) parts.push('Secure');
    return parts.join('; ');
  }

  return { mintLink, redeemLink, readSession, endSession, sessionCookie };
}

export type ReportAccess = ReturnType<typeof createReportAccess>;

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
