import { Redis } from 'ioredis';
import { createRedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueName } from '../../helpers/test-context';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await redis.quit();
});

/** Takes slots until one would have to wait; returns how many were granted at once. */
async function grantedAtOnce(take: (signal: AbortSignal) => Promise<unknown>, max: number): Promise<number> {
  let granted = 0;
  for (let i = 0; i < max; i++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    try {
      await take(controller.signal);
      granted++;
    } catch {
      break;
    } finally {
      clearTimeout(timer);
    }
  }
  return granted;
}

describe('background budget (write-back) beside the sync', () => {
  const prefix = `{${uniqueName('rb')}}`;
  afterAll(async () => {
    await deleteQueueKeys(prefix);
  });

  it('alone, background work may use the whole window', async () => {
    const budget = createRedisRateBudget({ redis, prefix, standard: { limit: 20, windowMs: 60_000 } });
    expect(await grantedAtOnce((s) => budget.take(1, 'background', s), 30)).toBe(20);
  });

  it('while the sync uses the window, background work leaves the reserve to it', async () => {
    const budget = createRedisRateBudget({
      redis,
      prefix,
      standard: { limit: 20, windowMs: 60_000 },
      backgroundReserve: 5,
    });
    await budget.take(2, 'standard');
    expect(await grantedAtOnce((s) => budget.take(2, 'background', s), 30)).toBe(14);
    // The sync still gets its calls at once.
    expect(await grantedAtOnce((s) => budget.take(2, 'standard', s), 30)).toBe(5);
    expect(await budget.usage(2, 'background')).toBe(20);
  });
});

describe('a standard slot counts from the answer', () => {
  const prefix = `{${uniqueName('rbs')}}`;
  afterAll(async () => {
    await deleteQueueKeys(prefix);
  });

  // HubSpot counts a call when it arrives, somewhere between our grant and its answer: a slot
  // timed from the grant could come round again before HubSpot's window let it go.
  it('is reused a window after the call settled, not after it was granted', async () => {
    const windowMs = 600;
    const budget = createRedisRateBudget({ redis, prefix, standard: { limit: 1, windowMs }, marginMs: 0 });
    const grant = await budget.take(1, 'standard');
    await new Promise((r) => setTimeout(r, 400));
    await grant.settle();
    const settledAt = performance.now();
    await budget.take(1, 'standard');
    const waited = performance.now() - settledAt;
    // Timed from the grant, the slot would have been free 200 ms after the settle.
    expect(waited).toBeGreaterThanOrEqual(windowMs - 30);
  });

  it('a search slot stays timed from its grant', async () => {
    const windowMs = 600;
    const budget = createRedisRateBudget({ redis, prefix, search: { limit: 1, windowMs }, marginMs: 0 });
    const grant = await budget.take(2, 'search');
    await new Promise((r) => setTimeout(r, 400));
    await grant.settle();
    const settledAt = performance.now();
    await budget.take(2, 'search');
    expect(performance.now() - settledAt).toBeLessThan(windowMs - 200);
  });
});
