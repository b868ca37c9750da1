/**
 * One rate budget per portal, shared by every process (architecture §6). The adapter
 * calls `take` before each request and `backOff` when HubSpot answers 429; the
 * implementation (Redis buckets) lives with the sync, which is its main user.
 */
/**
 * `background`: work that can wait (the KPI write-back). It spends the standard budget but stops
 * short of it by a reserve while the sync or webhook refreshes are using the window, so they always
 * find room; alone, it may use the whole window.
 */
export type RateBudgetKind = 'standard' | 'search' | 'background';
export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export interface RateBudget {
  /** Resolves when the portal may make one more call of this kind; rejects if `signal` aborts. */
  take(portalId: number, kind: RateBudgetKind, signal?: AbortSignal): Promise<void>;
  /** Nobody calls this portal's `policy` budget before `untilMs` (epoch ms). */
  backOff(portalId: number, policy: RateLimitPolicy, untilMs: number): Promise<void>;
}
