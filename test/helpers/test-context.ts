import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Logger } from 'pino';
import { parseConfig } from '../../src/config';
import type { Config } from '../../src/config';
import { createContext } from '../../src/context';
import type { AppContext } from '../../src/context';
import { createDb } from '../../src/db';
import { migrateToLatest } from '../../src/platform/db/migrator';

/**
 * Each integration test file gets its own Postgres schema and its own queue prefix,
 * so files run in parallel against the one local Postgres and Redis without seeing
 * each other. Everything is dropped in `cleanup()`.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Valid HubSpot app settings for tests; tests that talk to the simulator override them with its app. */
export const TEST_HUBSPOT_ENV = {
  HUBSPOT_CLIENT_ID: 'test-client-id',
  HUBSPOT_CLIENT_SECRET: 'test-client-secret',
  HUBSPOT_APP_ID: '1000001',
  // Two fixed test-only keys (32 bytes each): t2 encrypts, t1 still decrypts.
  TOKEN_ENCRYPTION_KEYS: `t2:${Buffer.alloc(32, 2).toString('base64')},t1:${Buffer.alloc(32, 1).toString('base64')}`,
};

export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    ...TEST_HUBSPOT_ENV,
    LOG_LEVEL: 'silent',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    WORKER_CONCURRENCY: '2',
    ...overrides,
  });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A fresh, migrated schema. */
export async function createTestSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = uniqueName('t');
  const db = createDb({ url: TEST_DATABASE_URL, poolMax: 2, schema });
  await migrateToLatest(db, schema);
  await db.destroy();
  return {
    schema,
    async drop() {
      const admin = createDb({ url: TEST_DATABASE_URL, poolMax: 1, schema: undefined });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
      await admin.destroy();
    },
  };
}

/** Deletes every Redis key under a queue prefix (BullMQ keys are `<prefix>:<queue>:…`). */
export async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export type TestContext = AppContext & { cleanup(): Promise<void> };

export async function createTestContext(overrides: Record<string, string> = {}): Promise<TestContext> {
  const { schema, drop } = await createTestSchema();
  const prefix = `{${uniqueName('q')}}`;
  const config = testConfig({ DATABASE_SCHEMA: schema, QUEUE_PREFIX: prefix, ...overrides });
  const ctx = createContext(config, silentLogger());
  return {
    ...ctx,
    async cleanup() {
      await ctx.close();
      await drop();
      await deleteQueueKeys(prefix);
    },
  };
}
