import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { parseConfig } from '../config';
import type { Config } from '../config';
import { createContext } from '../context';
import type { AppContext } from '../context';
import { createLogger } from '../logger';
import { deriveApp, startSimulator } from '../simulator';
import type { SimulatorHandle } from '../simulator';
import { startApi } from './api';
import type { ApiHandle } from './api';
import { stopOnSignals } from './lifecycle';
import { runMigrations } from './migrate';
import { startWorker } from './worker';
import type { WorkerGroup } from '../platform/queue/worker-runner';

export const DEMO_USAGE = `Usage: kpi-bridge demo [--once] [--seed 42] [--contacts 2000] [--deals 400] [--port 3000] [--simulator-port 4010]
  Starts a simulated HubSpot portal, the API and the worker against the local Postgres and
  Redis (schema kpi_bridge_demo, queue prefix {kpi-bridge-demo}) and prints where each listens.
  --once runs the demo flow to its end and prints a one-line JSON summary as its last line.`;

export type DemoRun = {
  simulator: SimulatorHandle;
  ctx: AppContext;
  api: ApiHandle;
  workers: WorkerGroup;
  portalId: number;
  log: Logger;
};

/**
 * The demo flow, step by step; each step adds its figures to the summary. Later features
 * (install, sync, KPIs, write-back) add a step here.
 */
type DemoStep = { name: string; run(demo: DemoRun): Promise<Record<string, unknown>> };

const steps: DemoStep[] = [
  {
    name: 'simulator',
    run: (demo) =>
      Promise.resolve({
        simulator: {
          url: demo.simulator.url,
          portals: demo.simulator.portals,
          generatedInMs: Math.round(demo.simulator.generation.durationMs),
          records: demo.simulator.generation.portals[demo.portalId],
        },
      }),
  },
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function demoConfig(env: NodeJS.ProcessEnv, port: number, simulator: { url: string; seed: number | string }): Config {
  // The demo plays the simulator's app (its credentials derive from the seed), with a
  // demo-only token key: nothing here is a real secret.
  const app = deriveApp(simulator.seed);
  return parseConfig({
    ...env,
    HUBSPOT_CLIENT_ID: app.clientId,
    HUBSPOT_CLIENT_SECRET: app.clientSecret,
    HUBSPOT_APP_ID: String(app.appId),
    HUBSPOT_API_BASE_URL: simulator.url,
    HUBSPOT_AUTH_BASE_URL: simulator.url,
    TOKEN_ENCRYPTION_KEYS: `demo:${Buffer.from('kpi-bridge-demo-key-not-secret!!').toString('base64')}`,
    PORT: String(port),
    HTTP_HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATABASE_SCHEMA: env.DATABASE_SCHEMA || 'kpi_bridge_demo',
    QUEUE_PREFIX: '{kpi-bridge-demo}',
    LOG_LEVEL: env.LOG_LEVEL || 'warn',
  });
}

export async function runDemoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      once: { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      contacts: { type: 'string', default: '2000' },
      deals: { type: 'string', default: '400' },
      port: { type: 'string' },
      'simulator-port': { type: 'string' },
    },
  });
  const port = values.port ? Number(values.port) : values.once ? await freePort() : 3000;
  // Picked before the simulator starts: the config points the app at it.
  const simulatorPort = values['simulator-port'] ? Number(values['simulator-port']) : values.once ? await freePort() : 4010;
  const seed = Number.isFinite(Number(values.seed)) ? Number(values.seed) : values.seed;
  const config = demoConfig(process.env, port, { url: `http://127.0.0.1:${simulatorPort}`, seed });
  const log = createLogger({ level: config.log.level, format: config.log.format });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  await runMigrations(config, log, 'up');
  const simulator = await startSimulator({
    seed,
    port: simulatorPort,
    contacts: Number(values.contacts),
    deals: Number(values.deals),
    logger: log.child({ name: 'simulator' }),
  });
  const ctx = createContext(config, log);
  const api = await startApi(ctx);
  const workers = startWorker(ctx);
  simulator.setWebhookTarget(`${config.http.publicBaseUrl}/webhooks/hubspot`);
  const portalId = simulator.portals[0]!;

  say(`HubSpot simulator  ${simulator.url}  (portal ${portalId}, client_id ${simulator.app.clientId})`);
  say(`KPI Bridge API     ${api.url}  (health: ${api.url}/readyz)`);
  say(`KPI Bridge worker  queues ${workers.workers.map((w) => w.name).join(', ')} on ${config.redis.url}`);

  const stop = async () => {
    await api.close();
    await workers.close(config.shutdownTimeoutMs);
    await ctx.close();
    await simulator.close();
  };

  const demo: DemoRun = { simulator, ctx, api, workers, portalId, log };
  if (!values.once) {
    for (const step of steps) await step.run(demo);
    say('Ctrl-C stops all three.');
    stopOnSignals(stop, log);
    return 0;
  }
  try {
    const summary: Record<string, unknown> = { api: api.url, worker: { queues: workers.workers.map((w) => w.name) } };
    for (const step of steps) Object.assign(summary, await step.run(demo));
    say(JSON.stringify(summary));
    return 0;
  } finally {
    await stop();
  }
}
