import { createRedisServer } from '../../helpers/redis-server';
import type { RedisServer } from '../../helpers/redis-server';
import { spawnCli } from '../../helpers/cli-process';
import {
  createTestSchema,
  TEST_DATABASE_URL,
  TEST_HUBSPOT_ENV,
  uniqueName,
} from '../../helpers/test-context';

/** A running process logs an outage of Redis once when it starts and once when it ends. */
describe('Redis outage while running', () => {
  let redis: RedisServer;
  let schema: { schema: string; drop(): Promise<void> };
  beforeAll(async () => {
    redis = await createRedisServer();
    await redis.start();
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await redis.stop();
    await schema.drop();
  });

  it('the worker and the API log "unreachable" once and "reachable again" once, and stay up', async () => {
    const all = spawnCli(['all'], {
      ...TEST_HUBSPOT_ENV,
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema.schema,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `{${uniqueName('outage')}}`,
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    try {
      await all.waitFor(/worker started/);
      await redis.stop();
      await all.waitFor(/Redis is unreachable/);
      // Several seconds of reconnection attempts (every 200 ms to 2 s, on 5+ connections).
      await new Promise((r) => setTimeout(r, 4_000));
      await redis.start();
      await all.waitFor(/Redis is reachable again/, 15_000);
      await new Promise((r) => setTimeout(r, 500));
      const lines = (all.stdout() + all.stderr()).trim().split('\n');
      expect(lines.filter((l) => l.includes('unreachable'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('reachable again'))).toHaveLength(1);
      expect(lines.filter((l) => /ECONNREFUSED/.test(l) && !l.includes('unreachable'))).toEqual([]);
      expect(all.child.exitCode).toBeNull();
    } finally {
      all.child.kill('SIGTERM');
      await all.exited;
    }
  }, 60_000);
});
