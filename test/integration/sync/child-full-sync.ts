import { Redis } from 'ioredis';
import pino from 'pino';
import { createHubSpotClientFactory } from '../../../src/hubspot/client';
import { createRedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import { createDb } from '../../../src/db';
import { runFullSync } from '../../../src/sync/full-sync';

/**
 * A worker process for the kill test (started through TS_LOADER below): one full sync of
 * a simulated portal, configured by environment variables, until it is killed.
 */
export const TS_LOADER = `
const fs = require('node:fs');
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
require(process.argv[1]).runChild();
`;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export async function runChildSync(): Promise<void> {
  const db = createDb({ url: required('SYNC_DB_URL'), poolMax: 4, schema: required('SYNC_DB_SCHEMA') });
  const redis = new Redis(required('SYNC_REDIS_URL'));
  const token = required('SYNC_ACCESS_TOKEN');
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: required('SYNC_API_URL'),
    getAccessToken: () => Promise.resolve(token),
    rateBudget: createRedisRateBudget({ redis, prefix: required('SYNC_PREFIX') }),
    logger: pino({ level: 'silent' }),
  });
  const counts = await runFullSync(
    { db, hubspot, logger: pino({ level: 'silent' }) },
    Number(required('SYNC_PORTAL')),
    { segments: { contacts: 3, deals: 2 } },
  );
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  await db.destroy();
  await redis.quit();
}

export function runChild(): void {
  runChildSync().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
