import { Redis } from 'ioredis';
import { createHubSpotClientFactory } from '../../../src/hubspot/client';
import type { HubSpotClientFactory } from '../../../src/hubspot/client';
import { createRedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import type { RedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import type { Database } from '../../../src/platform/db/database';
import { startSimulator } from '../../../src/simulator';
import type { SimulatorHandle, SimulatorOptions } from '../../../src/simulator';
import { silentLogger, TEST_REDIS_URL } from '../../helpers/test-context';

/**
 * The sync's world in tests: the simulator on loopback, the real adapter with the Redis
 * budget, and tokens issued by the simulator (what an install would have stored).
 */
export type SyncWorld = {
  sim: SimulatorHandle;
  hubspot: HubSpotClientFactory;
  budget: RedisRateBudget;
  redis: Redis;
  close(): Promise<void>;
};

export async function startSyncWorld(options: Partial<SimulatorOptions> & { prefix: string; maxAttempts?: number }): Promise<SyncWorld> {
  const { prefix, maxAttempts, ...simOptions } = options;
  const sim = await startSimulator({ seed: 'sync-tests', anchor: '2026-11-01T00:00:00Z', contacts: 60, ...simOptions });
  const redis = new Redis(TEST_REDIS_URL);
  const budget = createRedisRateBudget({ redis, prefix });
  const tokens = new Map<number, string>();
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: sim.url,
    getAccessToken: (portalId, opts) => {
      const known = tokens.get(portalId);
      if (known && known !== opts?.invalidToken) return Promise.resolve(known);
      const issued = sim.admin.issueTokens(portalId).access_token;
      tokens.set(portalId, issued);
      return Promise.resolve(issued);
    },
    rateBudget: budget,
    logger: silentLogger(),
    fetchTimeoutMs: 2_000,
    ...(maxAttempts ? { maxAttempts } : {}),
  });
  return {
    sim,
    hubspot,
    budget,
    redis,
    async close() {
      await sim.close();
      await redis.quit();
    },
  };
}

export async function insertPortal(db: Database, portalId: number): Promise<void> {
  await db
    .insertInto('portals')
    .values({ portal_id: portalId, status: 'installed', installed_at: new Date(), time_zone: 'UTC' })
    .onConflict((oc) => oc.column('portal_id').doNothing())
    .execute();
}
