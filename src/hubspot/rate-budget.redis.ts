import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateBudgetWaitTooLongError } from './rate-budget';
import type { RateBudget, RateBudgetKind, RateGrant, RateLimitPolicy } from './rate-budget';

/**
 * HubSpot's per-portal budgets, shared by every process through Redis (reference §3):
 * 110 requests per rolling 10 s, and 5 search requests per second on their own budget.
 * Each take() runs one Lua script over a sorted set of recent grants (a true rolling
 * window, the way HubSpot counts), using Redis' clock so processes on different hosts
 * agree. backOff() parks a portal's budget until a time (a 429's policy says which).
 */
type RateKind = Exclude<RateBudgetKind, 'background'>;
type RatePolicy = RateLimitPolicy;

export type RedisRateBudgetOptions = {
  redis: Redis;
  /** Key prefix; keep the queue's hash tag so the keys live in one Redis Cluster slot. */
  prefix: string;
  standard?: { limit: number; windowMs: number };
  search?: { limit: number; windowMs: number };
  /**
   * Added to each window. A standard call's slot is re-timed when the call is answered
   * (RateGrant.settle), which is never before HubSpot counted it, so its margin only covers
   * the clocks' granularity; a search call's slot stays timed from its grant (a round trip per
   * 1-s window would cost the search budget a third of its pace), so its margin covers the
   * delay between our grant and HubSpot's count.
   */
  marginMs?: number;
  /**
   * Standard slots per window that `background` calls leave free while foreground calls (sync,
   * webhook refreshes) were seen in the last window. Default 10 of 110.
   */
  backgroundReserve?: number;
};

export const BACKGROUND_RESERVE = 10;

export const HUBSPOT_LIMITS = {
  standard: { limit: 110, windowMs: 10_000 },
  search: { limit: 5, windowMs: 1_000 },
} as const;

// Returns {0} when a slot was granted, else {milliseconds to wait before asking again, the
// policy that parked the budget or ''}.
// KEYS[3] marks recent foreground use of the window: ARGV[4] 'fg' sets it, 'bg' (background
// work) then stops ARGV[5] slots short of the limit, so foreground callers always find room.
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local parked = redis.call('PTTL', KEYS[2])
if parked > 0 then return {parked, redis.call('GET', KEYS[2]) or ''} end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if ARGV[4] == 'fg' then
  redis.call('SET', KEYS[3], '1', 'PX', window)
elseif ARGV[4] == 'bg' and redis.call('EXISTS', KEYS[3]) == 1 then
  limit = limit - tonumber(ARGV[5])
  if limit < 1 then limit = 1 end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {0, ''}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return {wait, ''}
`;

// Re-times a granted slot (ARGV[1]) to now, if it is still in the window; keeps the set alive for
// a window (ARGV[2]) from now.
const SETTLE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`;

// Parks a budget until ARGV[1] (epoch ms), never shortening a longer park.
const PARK_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1]) - now
if ttl <= 0 then return 0 end
local current = redis.call('PTTL', KEYS[1])
if current >= ttl then return current end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return ttl
`;

export class RateBudgetAbortedError extends Error {
  constructor() {
    super('rate budget wait aborted');
    this.name = 'RateBudgetAbortedError';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new RateBudgetAbortedError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RateBudgetAbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const POLICIES: readonly RatePolicy[] = ['TEN_SECONDLY_ROLLING', 'SECONDLY', 'DAILY'];

/** Which budgets a 429's policy parks: DAILY stops everything, the others their own budget. */
function parkedKinds(policy: RatePolicy): RateKind[] {
  if (policy === 'DAILY') return ['standard', 'search'];
  if (policy === 'SECONDLY') return ['search'];
  return ['standard'];
}

export type RedisRateBudget = RateBudget & {
  /** Grants in the current window, for tests and the status command. */
  usage(portalId: number, kind: RateBudgetKind): Promise<number>;
};

export function createRedisRateBudget(options: RedisRateBudgetOptions): RedisRateBudget {
  const { redis, prefix } = options;
  // Timed from the grant, a standard slot needed 400 ms: with 150 ms an idle machine still met
  // 2 answered 429s per 1,200 write-back calls (our event loop alone delayed a granted call by up
  // to 109 ms, and the receiving side queues too), and each 429 parks the portal for 10 s. Timed
  // from the answer (settle), 50 ms is plenty. The search budget's 1-s window is not re-timed
  // and keeps 150 ms: a longer margin or a round trip would cost it a large share of its pace.
  const margins: Record<RateKind, number> = {
    standard: options.marginMs ?? 50,
    search: options.marginMs ?? 150,
  };
  const settled: Record<RateKind, boolean> = { standard: true, search: false };
  const noop: RateGrant = { settle: () => Promise.resolve() };
  const budgets: Record<RateKind, { limit: number; windowMs: number }> = {
    standard: options.standard ?? HUBSPOT_LIMITS.standard,
    search: options.search ?? HUBSPOT_LIMITS.search,
  };
  const windowKey = (portalId: number, kind: RateKind) => `${prefix}:rate:${portalId}:${kind}`;
  const parkKey = (portalId: number, kind: RateKind) => `${prefix}:rate:${portalId}:${kind}:parked`;

  const reserve = options.backgroundReserve ?? BACKGROUND_RESERVE;

  async function take(
    portalId: number,
    requested: RateBudgetKind,
    signal?: AbortSignal,
    options: { maxWaitMs?: number } = {},
  ): Promise<RateGrant> {
    // Background calls share the standard window; while the sync or webhook refreshes used it
    // within the last window, they see it full `reserve` slots early. Alone, they use all of it.
    const kind: RateKind = requested === 'background' ? 'standard' : requested;
    const { windowMs, limit } = budgets[kind];
    const key = windowKey(portalId, kind);
    const windowWithMargin = windowMs + margins[kind];
    const mode = requested === 'background' ? 'bg' : kind === 'standard' ? 'fg' : '';
    for (;;) {
      if (signal?.aborted) throw new RateBudgetAbortedError();
      const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
      const [waitReply, policyReply] = (await redis.eval(
        TAKE_SCRIPT,
        3,
        key,
        parkKey(portalId, kind),
        `${key}:foreground`,
        limit,
        windowWithMargin,
        member,
        mode,
        reserve,
      )) as [number, string];
      const wait = Number(waitReply);
      if (wait <= 0) {
        if (!settled[kind]) return noop;
        return {
          settle: async () => {
            await redis.eval(SETTLE_SCRIPT, 1, key, member, windowWithMargin);
          },
        };
      }
      if (options.maxWaitMs !== undefined && wait > options.maxWaitMs) {
        const policy = POLICIES.find((p) => p === policyReply);
        throw new RateBudgetWaitTooLongError(Date.now() + wait, policy);
      }
      // A little jitter so that waiting processes do not all ask again at the same instant.
      await sleep(Math.min(wait, 60_000) + Math.floor(Math.random() * 5), signal);
    }
  }

  async function backOff(portalId: number, policy: RatePolicy, untilMs: number): Promise<void> {
    for (const kind of parkedKinds(policy)) {
      await redis.eval(PARK_SCRIPT, 1, parkKey(portalId, kind), Math.ceil(untilMs), String(policy));
    }
  }

  async function usage(portalId: number, requested: RateBudgetKind): Promise<number> {
    const kind: RateKind = requested === 'background' ? 'standard' : requested;
    const { windowMs } = budgets[kind];
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    return redis.zcount(windowKey(portalId, kind), now - windowMs - margins[kind], '+inf');
  }

  return { take, backOff, usage };
}
