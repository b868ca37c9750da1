/**
 * HubSpot's per-portal budgets (reference §3): 110 requests per rolling 10 s
 * for everything but search, and 5 search requests per second on their own.
 */
export const TEN_SECONDLY_LIMIT = 110;
export const TEN_SECONDLY_WINDOW_MS = 10_000;
export const SEARCH_SECONDLY_LIMIT = 5;
export const SEARCH_WINDOW_MS = 1_000;

export type TakeResult = { allowed: boolean; limit: number; remaining: number; windowMs: number };

/** A rolling window counting accepted requests; rejected ones do not use the budget. */
export class RollingWindow {
  private readonly stamps: number[] = [];
  private head = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  take(now: number): TakeResult {
    if (!Number.isFinite(this.limit))
      return { allowed: true, limit: this.limit, remaining: this.limit, windowMs: this.windowMs };
    const since = now - this.windowMs;
    while (this.head < this.stamps.length && (this.stamps[this.head] as number) <= since) this.head++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
    const used = this.stamps.length - this.head;
    if (used >= this.limit)
      return { allowed: false, limit: this.limit, remaining: 0, windowMs: this.windowMs };
    // Requests are counted by arrival but may be handled out of that order: keep the stamps sorted.
    let at = this.stamps.length;
    while (at > this.head && (this.stamps[at - 1] as number) > now) at--;
    this.stamps.splice(at, 0, now);
    return { allowed: true, limit: this.limit, remaining: this.limit - used - 1, windowMs: this.windowMs };
  }
}

/** `rateScale` multiplies the limits; 0 or Infinity lifts them. */
export function scaledLimit(base: number, rateScale: number): number {
  if (rateScale === 0 || !Number.isFinite(rateScale)) return Infinity;
  return Math.max(1, Math.floor(base * rateScale));
}

export class PortalRateLimits {
  readonly general: RollingWindow;
  readonly search: RollingWindow;

  constructor(rateScale: number) {
    this.general = new RollingWindow(scaledLimit(TEN_SECONDLY_LIMIT, rateScale), TEN_SECONDLY_WINDOW_MS);
    this.search = new RollingWindow(scaledLimit(SEARCH_SECONDLY_LIMIT, rateScale), SEARCH_WINDOW_MS);
  }
}
