import { Redis } from 'ioredis';

export type RedisRole = 'producer' | 'worker';

/**
 * Producers (the API, enqueueing) fail fast when Redis is down, so a request gets a
 * 503 instead of hanging; workers wait for Redis forever, as BullMQ requires
 * (`maxRetriesPerRequest: null`) for its blocking commands.
 */
export function createRedis(url: string, role: RedisRole): Redis {
  if (role === 'worker') {
    return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  }
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

/** The address of a connection (as the outage log names it), without any password. */
export function redisUrlOf(connection: Redis): string {
  const { host, port, db } = connection.options;
  return `redis://${host ?? 'localhost'}:${port ?? 6379}${db ? `/${db}` : ''}`;
}
