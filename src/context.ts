import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { createDb } from './platform/db/database';
import type { Database } from './platform/db/database';
import { createRedis } from './platform/queue/connection';
import { createProducer } from './platform/queue/producer';
import type { Producer } from './platform/queue/producer';
import type { ReadinessCheck } from './platform/http/health.routes';

/**
 * The composition root: every long-lived resource is made here, once, and closed here.
 * Entry points (src/main) build one context; tests build one per file with their own config.
 */
export type AppContext = {
  config: Config;
  logger: Logger;
  db: Database;
  redis: Redis;
  producer: Producer;
  readinessChecks: ReadinessCheck[];
  close(): Promise<void>;
};

export function createContext(config: Config, logger: Logger): AppContext {
  const db = createDb(config.db);
  const redis = createRedis(config.redis.url, 'producer');
  // A producer connection that is down is reported by /readyz; don't crash on it.
  redis.on('error', (err) => logger.child({ name: 'redis' }).debug({ err }, 'redis connection error'));
  const producer = createProducer({ connection: redis, prefix: config.queue.prefix });

  const readinessChecks: ReadinessCheck[] = [
    {
      name: 'postgres',
      check: async () => {
        await sql`select 1`.execute(db);
      },
    },
    {
      name: 'redis',
      check: async () => {
        const pong = await redis.ping();
        if (pong !== 'PONG') throw new Error(`unexpected reply ${String(pong)}`);
      },
    },
  ];

  let closed = false;
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    // Queues first (they use the redis connection), then the connections themselves.
    await producer.close().catch((err: unknown) => logger.warn({ err }, 'closing queues failed'));
    await redis.quit().catch(() => redis.disconnect());
    await db.destroy();
  }

  return { config, logger, db, redis, producer, readinessChecks, close };
}
