import { createRandom, type Random } from './random';

/**
 * Faults a portal can be switched into at run time. Shares are drawn from a
 * PRNG seeded by the simulator seed and the portal, so the same request
 * sequence meets the same faults.
 */
export type PortalFaults = {
  /** Added before every API answer for this portal. */
  latencyMs: number;
  /** Share of API requests answered with `errorStatus` (5xx). */
  errorRate: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** Share of API requests answered with a TEN_SECONDLY_ROLLING 429 although the budget has room. */
  rateLimitRate: number;
  /** Share of API requests that never get an answer (the client has to give up). */
  timeoutRate: number;
  /** Refresh-token grants fail with invalid_grant / BAD_REFRESH_TOKEN while set. */
  refreshTokenRevoked: boolean;
  /** Every API request gets a DAILY 429 while set. */
  dailyLimitExhausted: boolean;
  /** The authorize page redirects with error=access_denied while set. */
  authorizeDenied: boolean;
  /** Records an admin's validation rule refuses on API writes (VALIDATION_ERROR per record in batches). */
  validationRuleIds: Readonly<Partial<Record<string, readonly number[]>>>;
  /**
   * Records whose batch/update is refused as a whole (400 VALIDATION_ERROR, no per-input errors),
   * as HubSpot answers some input errors of batch writes: the client must find the record itself.
   */
  batchRefusalIds: Readonly<Partial<Record<string, readonly number[]>>>;
};

export const NO_FAULTS: Readonly<PortalFaults> = Object.freeze({
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 500,
  rateLimitRate: 0,
  timeoutRate: 0,
  refreshTokenRevoked: false,
  dailyLimitExhausted: false,
  authorizeDenied: false,
  validationRuleIds: {},
  batchRefusalIds: {},
});

export type FaultDecision = 'none' | 'timeout' | 'error' | 'rateLimit';

export class FaultState {
  private current: PortalFaults = { ...NO_FAULTS };
  private readonly random: Random;

  constructor(seed: string, portalId: number) {
    this.random = createRandom(`${seed}/faults/${portalId}`);
  }

  get(): PortalFaults {
    return { ...this.current };
  }

  set(patch: Partial<PortalFaults>): PortalFaults {
    this.current = { ...this.current, ...patch };
    return this.get();
  }

  reset(): void {
    this.current = { ...NO_FAULTS };
  }

  /** One draw per API request, only while a share is set, so turning faults on never shifts other streams. */
  decide(): FaultDecision {
    const { timeoutRate, errorRate, rateLimitRate } = this.current;
    if (timeoutRate <= 0 && errorRate <= 0 && rateLimitRate <= 0) return 'none';
    const r = this.random.next();
    if (r < timeoutRate) return 'timeout';
    if (r < timeoutRate + errorRate) return 'error';
    if (r < timeoutRate + errorRate + rateLimitRate) return 'rateLimit';
    return 'none';
  }
}
