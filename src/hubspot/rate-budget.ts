/**
 * One rate budget per portal, shared by every process (architecture §6). The adapter
 * calls `take` before each request and `backOff` when HubSpot answers 429; the
 * implementation is Redis buckets (rate-budget.redis.ts).
 */
/**
 * `background`: work that can wait (the KPI write-back). It spends the standard budget but stops
 * short of it by a reserve while the sync or webhook refreshes are using the window, so they always
 * find room; alone, it may use the whole window.
 */
export type RateBudgetKind = 'standard' | 'search' | 'background';
export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export interface RateBudget {
  /**
   * Resolves when the portal may make one more call of this kind; rejects if `signal` aborts,
   * and with RateBudgetWaitTooLongError when that is more than `maxWaitMs` away (a caller
   * that can be rescheduled, such as a queued job, should not sit out a long park).
   */
  take(
    portalId: number,
    kind: RateBudgetKind,
    signal?: AbortSignal,
    options?: { maxWaitMs?: number },
  ): Promise<void>;
  /** Nobody calls this portal's `policy` budget before `untilMs` (epoch ms). */
  backOff(portalId: number, policy: RateLimitPolicy, untilMs: number): Promise<void>;
}

/** The budget is parked (or full) for longer than the caller will wait. */
export class RateBudgetWaitTooLongError extends Error {
  constructor(
    readonly retryAtMs: number,
    /** The 429 policy that parked the budget, when a park is the reason. */
    readonly policy: RateLimitPolicy | undefined,
  ) {
    super(
      `rate budget unavailable until ${new Date(retryAtMs).toISOString()}${policy ? ` (${policy})` : ''}`,
    );
    this.name = 'RateBudgetWaitTooLongError';
  }
}
