import { once } from 'node:events';

import { installIntoSimulator } from '../../../src/simulator/browser-install';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { startWorker } from '../../../src/main/worker';
import { deriveApp, startSimulator } from '../../../src/simulator';
import type { SimulatorHandle } from '../../../src/simulator';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { freePort } from '../../helpers/ports';

export interface SimulatedPortals {
  readonly ctx: TestContext;
  readonly api: ApiHandle;
  readonly simulator: SimulatorHandle;
  readonly portalIds: readonly number[];
  close(): Promise<void>;
}

/**
 * The demo's path in a test: simulated HubSpot portals, installed through the OAuth redirects,
 * fully synced and computed by the real workers through the real queues.
 */
export async function startSimulatedPortals(options: {
  portals: number;
  contacts: number;
  deals: number;
  seed?: number;
}): Promise<SimulatedPortals> {
  const seed = options.seed ?? 7;
  const [simulatorPort, apiPort] = [await freePort(), await freePort()];
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
  const app = deriveApp(seed);
  const ctx = await createTestContext({
    HUBSPOT_CLIENT_ID: app.clientId,
    HUBSPOT_CLIENT_SECRET: app.clientSecret,
    HUBSPOT_APP_ID: String(app.appId),
    HUBSPOT_API_BASE_URL: simulatorUrl,
    HUBSPOT_AUTH_BASE_URL: simulatorUrl,
    PORT: String(apiPort),
    HTTP_HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
  });
  const simulator = await startSimulator({
    seed,
    port: simulatorPort,
    portals: options.portals,
    contacts: options.contacts,
    deals: options.deals,
  });
  // The producer connection fails fast until it is connected (as the CLI, wait for it).
  if (ctx.redis.status !== 'ready') await once(ctx.redis, 'ready');
  const api = await startApi(ctx);
  const workers = startWorker(ctx);
  const close = async () => {
    await api.close();
    await workers.close(5_000);
    await ctx.cleanup();
    await simulator.close();
  };
  try {
    const startedAt = new Date();
    for (const portalId of simulator.portals) await installIntoSimulator({ apiUrl: api.url, portalId });
    const deadline = Date.now() + 120_000;
    for (const portalId of simulator.portals) {
      for (;;) {
        const run = await ctx.db
          .selectFrom('kpi_runs')
          .select(['status', 'error'])
          .where('portal_id', '=', portalId)
          .where('started_at', '>=', startedAt)
          .orderBy('run_id', 'desc')
          .executeTakeFirst();
        if (run?.status === 'failed') throw new Error(`KPI run failed: ${run.error ?? ''}`);
        if (run?.status === 'succeeded') break;
        if (Date.now() > deadline) throw new Error(`no KPI run for portal ${portalId}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return { ctx, api, simulator, portalIds: simulator.portals, close };
  } catch (err) {
    await close();
    throw err;
  }
}
