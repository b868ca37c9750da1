/**
 * What the adapter throws. Every error names the method and path (never a token) and
 * says whether retrying later can help (`permanent`), so workers can map it to
 * BullMQ's UnrecoverableError or a retry without knowing HubSpot.
 */
export abstract class HubSpotError extends Error {
  abstract readonly permanent: boolean;
  constructor(
    message: string,
    readonly portalId: number | null,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** HubSpot answered with an error status we do not retry (4xx) or no longer retry (5xx after maxAttempts). */
export class HubSpotApiError extends HubSpotError {
  readonly permanent: boolean;
  constructor(
    readonly status: number,
    readonly category: string | undefined,
    readonly correlationId: string | undefined,
    message: string,
    portalId: number | null,
    path: string,
    readonly subCategory?: string,
  ) {
    super(message, portalId, path);
    // 4xx will fail the same way next time; a 5xx that outlasted our retries may not.
    this.permanent = status >= 400 && status < 500 && status !== 429 && status !== 423;
  }
}

/** A 429 that outlasted our retries (TEN_SECONDLY_ROLLING / SECONDLY): try again later. */
export class HubSpotRateLimitError extends HubSpotError {
  readonly permanent = false;
  constructor(
    readonly policyName: string,
    readonly retryAtMs: number,
    portalId: number | null,
    path: string,
  ) {
    super(`HubSpot rate limit ${policyName} for portal ${String(portalId)} on ${path}`, portalId, path);
  }
}

/** The portal's daily budget is spent: nothing for this portal succeeds before it resets. */
export class HubSpotDailyLimitError extends HubSpotError {
  readonly permanent = false;
  constructor(
    readonly retryAtMs: number,
    portalId: number | null,
    path: string,
  ) {
    super(
      `HubSpot daily limit reached for portal ${String(portalId)} (${path}); parked until ${new Date(retryAtMs).toISOString()}`,
      portalId,
      path,
    );
  }
}

/** No answer in time, or the connection failed, on every attempt. */
export class HubSpotTransportError extends HubSpotError {
  readonly permanent = false;
  constructor(
    readonly reason: 'timeout' | 'network',
    message: string,
    portalId: number | null,
    path: string,
    options?: { cause?: unknown },
  ) {
    super(message, portalId, path, options);
  }
}

/** HubSpot answered 2xx with a body that does not have the shape we depend on. */
export class HubSpotResponseError extends HubSpotError {
  readonly permanent = true;
  constructor(
    readonly issues: string[],
    portalId: number | null,
    path: string,
    readonly status: number,
  ) {
    super(
      `HubSpot answer to ${path} (HTTP ${status}) has an unexpected shape: ${issues.slice(0, 3).join('; ')}`,
      portalId,
      path,
    );
  }
}

/** The OAuth endpoints answered with an RFC 6749 error (invalid_grant, invalid_client, …). */
export class HubSpotOAuthError extends HubSpotError {
  readonly permanent: boolean;
  constructor(
    readonly status: number,
    readonly error: string,
    readonly hubspotStatus: string | undefined,
    description: string,
    path: string,
    portalId: number | null = null,
  ) {
    super(
      `HubSpot OAuth ${path} answered ${status} ${error}${description ? `: ${description}` : ''}`,
      portalId,
      path,
    );
    this.permanent = status < 500;
  }
}

/** zod issues as short strings for error messages: paths and expectations, never values. */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string[] {
  return issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
}
