import { once } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from 'pino';
import { createContext } from '../../../src/context';
import type { AppContext } from '../../../src/context';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { startSimulator } from '../../../src/simulator';
import type { SimulatorHandle } from '../../../src/simulator';
import { createTestSchema, deleteQueueKeys, testConfig, uniqueName } from '../../helpers/test-context';
import { freePort } from '../../helpers/ports';

/** Log lines kept in memory, so tests can read what an operator would see. */
export function memoryLogger(): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

export type InstallHarness = {
  sim: SimulatorHandle;
  ctx: AppContext;
  api: ApiHandle;
  logs: () => string[];
  cleanup(): Promise<void>;
};

/** The simulator, a fresh schema and queue prefix, and our API playing the simulator's app. */
export async function startInstallHarness(
  options: { portals?: number; env?: Record<string, string> } = {},
): Promise<InstallHarness> {
  const sim = await startSimulator({
    seed: 'install-test',
    portals: options.portals ?? 3,
    contacts: 20,
    deals: 5,
    anchor: '2026-11-01T00:00:00Z',
    searchConsistencyMs: 0,
  });
  const { schema, drop } = await createTestSchema();
  const prefix = `{${uniqueName('q')}}`;
  const port = await freePort();
  const config = testConfig({
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    HUBSPOT_CLIENT_ID: sim.app.clientId,
    HUBSPOT_CLIENT_SECRET: sim.app.clientSecret,
    HUBSPOT_APP_ID: String(sim.app.appId),
    HUBSPOT_API_BASE_URL: sim.url,
    HUBSPOT_AUTH_BASE_URL: sim.url,
    ...options.env,
  });
  const { logger, lines } = memoryLogger();
  const ctx = createContext(config, logger);
  // The producer connection fails fast while it is still connecting (enableOfflineQueue: false).
  if (ctx.redis.status !== 'ready') await once(ctx.redis, 'ready');
  const api = await startApi(ctx);
  return {
    sim,
    ctx,
    api,
    logs: lines,
    async cleanup() {
      await api.close();
      await ctx.close();
      await sim.close();
      await drop();
      await deleteQueueKeys(prefix);
    },
  };
}
