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

/** One granted call. */
export interface RateGrant {
  /**
   * The call has its answer (or failed): from now on its slot counts from this moment instead of
   * the grant. HubSpot counts a call when it arrives, which is after our grant by however long
   * the call waited in our process and on the wire; its answer is always later than that, so a
   * slot timed from the answer can never be reused too early.
   */
  settle(): Promise<void>;
}

export interface RateBudget {
  /**
   * Resolves when the portal may make one more call of this kind, with the grant to settle when
   * the call is answered; rejects if `signal` aborts,
   * and with RateBudgetWaitTooLongError when that is more than `maxWaitMs` away (a caller
   * that can be rescheduled, such as a queued job, should not sit out a long park).
   */
  take(
    portalId: number,
    kind: RateBudgetKind,
    signal?: AbortSignal,
    options?: { maxWaitMs?: number },
  ): Promise<RateGrant>;
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
