import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { createHubSpotClientFactory } from './hubspot/client';
import type { HubSpotClientFactory } from './hubspot/client';
import { createHubSpotOAuth } from './hubspot/oauth';
import type { HubSpotOAuth } from './hubspot/oauth';
import type { RateBudget } from './hubspot/rate-budget';
import { createRedisRateBudget } from './hubspot/rate-budget.redis';
import { loadManifest } from './install/manifest';
import type { AppManifest } from './install/manifest';
import { createTokenCipher } from './install/token-cipher';
import { createTokenService } from './install/token-service';
import type { TokenService } from './install/token-service';
import { createDb } from './platform/db/database';
import type { Database } from './platform/db/database';
import { createRedis } from './platform/queue/connection';
import { createProducer } from './platform/queue/producer';
import type { Producer } from './platform/queue/producer';
import type { ReadinessCheck } from './platform/http/health.routes';
import { createWritebackService } from './writeback';
import type { WritebackService } from './writeback';

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
  /** The HubSpot adapter: per-portal clients whose tokens come from the vault. */
  hubspot: HubSpotClientFactory;
  hubspotOAuth: HubSpotOAuth;
  /** Access tokens on demand (refresh single-flight), install tokens, key rotation. */
  tokens: TokenService;
  manifest: AppManifest;
  /** KPIs into kpibridge_* properties in HubSpot (src/writeback). */
  writeback: WritebackService;
  close(): Promise<void>;
};

export function createContext(
  config: Config,
  logger: Logger,
  options: { rateBudget?: RateBudget } = {},
): AppContext {
  const db = createDb(config.db);
  const redis = createRedis(config.redis.url, 'producer');
  // A producer connection that is down is reported by /readyz; don't crash on it.
  redis.on('error', (err) => logger.child({ name: 'redis' }).debug({ err }, 'redis connection error'));
  const producer = createProducer({ connection: redis, prefix: config.queue.prefix });
  const manifest = loadManifest();
  const hubspotOAuth = createHubSpotOAuth({
    apiBaseUrl: config.hubspot.apiBaseUrl,
    clientId: config.hubspot.clientId,
    clientSecret: config.hubspot.clientSecret,
  });
  const tokens = createTokenService({
    db,
    redis,
    cipher: createTokenCipher(config.tokenEncryptionKeys),
    oauth: hubspotOAuth,
    producer,
    logger,
    keyPrefix: config.queue.prefix,
  });
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: config.hubspot.apiBaseUrl,
    getAccessToken: (portalId, opts) => tokens.getAccessToken(portalId, opts),
    logger,
    // One budget per portal shared by every process (architecture §6): Redis, unless a caller brings its own.
    rateBudget: options.rateBudget ?? createRedisRateBudget({ redis, prefix: config.queue.prefix }),
  });

  const writeback = createWritebackService({
    db,
    hubspot,
    logger,
    properties: manifest.properties,
    propertyGroups: manifest.propertyGroups,
  });

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

  return {
    config,
    logger,
    db,
    redis,
    producer,
    readinessChecks,
    hubspot,
    hubspotOAuth,
    tokens,
    manifest,
    writeback,
    close,
  };
}
