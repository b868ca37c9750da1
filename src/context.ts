import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createCardsFeature } from './cards';
import type { CardsFeature } from './cards';
import type { Config } from './config';
import { createHubSpotClientFactory } from './hubspot/client';
import type { HubSpotClientFactory } from './hubspot/client';
import { createHubSpotOAuth } from './hubspot/oauth';
import { verifySignatureV3 } from './hubspot/signature';
import type { HubSpotOAuth } from './hubspot/oauth';
import type { RateBudget } from './hubspot/rate-budget';
import { createRedisRateBudget } from './hubspot/rate-budget.redis';
import { createInstallService } from './install/install.service';
import type { InstallService } from './install/install.service';
import { loadManifest } from './install/manifest';
import { createPurgeService } from './install/purge';
import type { PurgeService } from './install/purge';
import type { AppManifest } from './install/manifest';
import { createTokenCipher } from './install/token-cipher';
import type { TokenCipher } from './install/token-cipher';
import { createTokenService } from './install/token-service';
import type { TokenService } from './install/token-service';
import { createDb } from './db';
import type { Database } from './db';
import { createKpiService } from './kpi/kpi.service';
import type { KpiService } from './kpi/kpi.service';
import { withRawClient } from './platform/db/database';
import { outageLogFor } from './platform/outage-log';
import { createRedis, redisUrlOf } from './platform/queue/connection';
import { createProducer } from './platform/queue/producer';
import type { Producer } from './platform/queue/producer';
import type { ReadinessCheck } from './platform/http/health.routes';
import { createWebhookIntake } from './sync/webhook-intake';
import type { WebhookIntake } from './sync/webhook-intake';
import { createSyncJobHandlers } from './sync/sync.worker';
import type { SyncJobHandlers } from './sync/sync.worker';
import { createWritebackService } from './writeback';
import type { WritebackService } from './writeback';
import { createReportService } from './reports';
import { importCsv } from './sync';
import type { ReportService } from './reports';

/**
 * The composition root: every long-lived resource and every feature service is made here,
 * once, and closed here. Entry points (src/main) build one context and only mount its
 * routers (api.ts) or register its job handlers (worker.ts); tests build one per file
 * with their own config.
 *
 * A new feature adds one `createXService({ …narrow deps })` call below and one field on
 * AppContext; api.ts mounts its router, worker.ts registers its handlers.
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

  // ---- feature services ----
  /** The OAuth install: consent redirect, callback, property provisioning (src/install). */
  install: InstallService;
  /** Deleting a portal's data and queued jobs, now or after the uninstall grace period (src/install). */
  purge: PurgeService;
  /** Signed webhook batches in, refresh jobs out (src/sync). */
  webhookIntake: WebhookIntake;
  /** The sync's job handlers: full sync, webhook refreshes, catch-up (src/sync). */
  syncJobs: SyncJobHandlers;
  /** KPI computation of one portal and its headline figures (src/kpi). */
  kpi: KpiService;
  /** KPIs into kpibridge_* properties in HubSpot, status of the write-back (src/writeback). */
  writeback: WritebackService;
  /** Deal and contact cards, settings page: the signed read API over the KPI tables (src/cards). */
  cards: CardsFeature;

  /** Report pages, CSV exports and one-time report links. */
  reports: ReportService;
  close(): Promise<void>;
};

/** The vault's keys are read on first use, for the same reason as the HubSpot secrets. */
function lazyCipher(create: () => TokenCipher): TokenCipher {
  let cipher: TokenCipher | undefined;
  const get = () => (cipher ??= create());
  return {
    get currentKeyId() {
      return get().currentKeyId;
    },
    encrypt: (plaintext, ad) => get().encrypt(plaintext, ad),
    decrypt: (ciphertext, ad) => get().decrypt(ciphertext, ad),
    keyIdOf: (ciphertext) => get().keyIdOf(ciphertext),
  };
}

export function createContext(
  config: Config,
  logger: Logger,
  options: { rateBudget?: RateBudget } = {},
): AppContext {
  const db = createDb(config.db, {
    onConnectionError: (err) =>
      logger
        .child({ name: 'postgres' })
        .warn({ reason: err.message }, 'lost a Postgres connection; reconnecting'),
  });
  const redis = createRedis(config.redis.url, 'producer');
  // A producer connection that is down is reported by /readyz; don't crash on it, and log the
  // outage once, not once per reconnection attempt.
  const redisOutage = outageLogFor(logger.child({ name: 'redis' }), 'Redis', redisUrlOf(redis));
  redis.on(
    'error',
    (err) => redisOutage.failed(err) || logger.child({ name: 'redis' }).warn({ err }, 'redis error'),
  );
  redis.on('ready', () => redisOutage.recovered());
  const producer = createProducer({ connection: redis, prefix: config.queue.prefix });
  const manifest = loadManifest();
  // Passed whole, not destructured: a command that did not ask for the HubSpot secrets
  // (config sections) builds the context and fails only if it really calls HubSpot.
  const hubspotOAuth = createHubSpotOAuth(config.hubspot);
  const tokens = createTokenService({
    db,
    redis,
    cipher: lazyCipher(() => createTokenCipher(config.tokenEncryptionKeys)),
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

  // ---- feature services: one factory call each, with only the dependencies it uses ----
  const install = createInstallService({
    db,
    redis,
    producer,
    oauth: hubspotOAuth,
    tokens,
    manifest,
    hubspot: {
      // Read on use: commands that never install run without the HubSpot secrets.
      get clientId() {
        return config.hubspot.clientId;
      },
      get clientSecret() {
        return config.hubspot.clientSecret;
      },
      authBaseUrl: config.hubspot.authBaseUrl,
      clients: hubspot,
    },
    publicBaseUrl: config.http.publicBaseUrl,
    keyPrefix: config.queue.prefix,
    logger,
  });
  const purge = createPurgeService({
    db,
    producer,
    // Read on use: a command that did not ask for that setting (status, migrate) builds the context.
    get graceDays() {
      return config.uninstallGraceDays;
    },
    logger,
  });
  const webhookIntake = createWebhookIntake({
    db,
    redis,
    producer,
    prefix: config.queue.prefix,
    logger,
    // Read on use, like the other HubSpot settings: commands that never take webhooks run without them.
    get appId() {
      return config.hubspot.appId;
    },
  });
  const syncJobs = createSyncJobHandlers({
    db,
    redis,
    prefix: config.queue.prefix,
    producer,
    logger,
    catchupEveryMs: config.sync.catchupEveryMs,
    hubspot,
  });
  const kpi = createKpiService({ db, logger });
  const writeback = createWritebackService({
    db,
    hubspot,
    logger,
    properties: manifest.properties,
    propertyGroups: manifest.propertyGroups,
  });
  const cards = createCardsFeature({
    db,
    // Named prepared statements (planned once per pooled connection) keep a card request under a
    // millisecond of Postgres time; Kysely itself sends unnamed statements, planned every time.
    prepared: (name, text, values) =>
      withRawClient(
        db,
        async ({ client }) => (await client.query({ name, text, values: [...values] })).rows as unknown[],
      ),
    producer,
    signature: () => ({
      verify: verifySignatureV3,
      clientSecret: config.hubspot.clientSecret,
      publicBaseUrl: config.http.publicBaseUrl,
    }),
    logger,
  });
  const reports = createReportService({
    db,
    redis,
    keyPrefix: config.queue.prefix,
    publicBaseUrl: config.http.publicBaseUrl,
    secureCookies: config.env === 'production' || config.http.publicBaseUrl.startsWith('https://'),
    importCsv: (portalId, kind, text) => importCsv(db, portalId, kind, text),
    requestRecompute: (portalId) => producer.enqueue('kpi.compute', { portalId }),
    signature: {
      verify: verifySignatureV3,
      // Read on the first request: commands that serve no HTTP (status, kpi) need no HubSpot secret.
      clientSecret: () => config.hubspot.clientSecret,
      publicBaseUrl: config.http.publicBaseUrl,
    },
    logger,
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
    install,
    purge,
    webhookIntake,
    syncJobs,
    kpi,
    writeback,
    cards,
    reports,
    close,
  };
}
