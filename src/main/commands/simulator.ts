import pino from 'pino';
import type { SimulatorOptions } from '../../simulator';
import type * as SimulatorModule from '../../simulator';
import type { Command } from './command';
import { parseCommandArgs, UsageError } from './command';
import { loadOptional } from './optional-module';

/**
 * `kpi-bridge simulator …`: starts the simulator, prints one line with its
 * base URL, portals and the app credentials KPI Bridge needs, and stops
 * cleanly on SIGINT/SIGTERM. Logs go to stderr.
 */
export const SIMULATOR_USAGE = `kpi-bridge simulator [--port 4010] [--host 127.0.0.1] [--seed 42] [--contacts 10000] [--deals 2000]
       [--meetings N] [--portals 1] [--latency-ms 0] [--rate-scale 1] [--search-consistency-ms 1000]
       [--webhook-target URL] [--anchor 2026-11-01] [--log-level info]`;

function toNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = raw === 'Infinity' ? Infinity : Number(raw);
  if (Number.isNaN(value) || value < 0)
    throw new UsageError(`--${name} must be a non-negative number, got ${raw}`);
  return value;
}

export function parseSimulatorArgs(
  args: string[],
): SimulatorOptions & { webhookTarget?: string; logLevel: string } {
  const { values } = parseCommandArgs(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    contacts: { type: 'string' },
    deals: { type: 'string' },
    meetings: { type: 'string' },
    portals: { type: 'string' },
    'latency-ms': { type: 'string' },
    'rate-scale': { type: 'string' },
    'search-consistency-ms': { type: 'string' },
    'webhook-target': { type: 'string' },
    anchor: { type: 'string' },
    'log-level': { type: 'string' },
  });
  const contacts = toNumber('contacts', values.contacts, 10_000);
  const deals = toNumber('deals', values.deals, 2_000);
  return {
    port: toNumber('port', values.port, 4010),
    host: values.host ?? '127.0.0.1',
    seed: values.seed ?? '42',
    contacts,
    deals,
    ...(values.meetings !== undefined ? { meetings: toNumber('meetings', values.meetings, 0) } : {}),
    portals: Math.max(1, Math.floor(toNumber('portals', values.portals, 1))),
    latencyMs: toNumber('latency-ms', values['latency-ms'], 0),
    rateScale: toNumber('rate-scale', values['rate-scale'], 1),
    searchConsistencyMs: toNumber('search-consistency-ms', values['search-consistency-ms'], 1000),
    ...(values.anchor !== undefined ? { anchor: values.anchor } : {}),
    ...(values['webhook-target'] !== undefined ? { webhookTarget: values['webhook-target'] } : {}),
    logLevel: values['log-level'] ?? 'info',
  };
}

export const simulatorCommand: Command = {
  name: 'simulator',
  summary: 'serve a simulated HubSpot (OAuth, CRM, webhooks) on loopback, for demos and tests',
  usage: SIMULATOR_USAGE,
  needs: [],
  run: async (args) => {
    await runSimulatorCommand(args);
    return 0;
  },
};

export async function runSimulatorCommand(args: string[]): Promise<void> {
  const { webhookTarget, logLevel, ...options } = parseSimulatorArgs(args);
  const logger = pino(
    { level: logLevel, base: { service: 'kpi-bridge-simulator' } },
    pino.destination({ dest: 2, sync: true }),
  );
  // Loaded on use: the production image leaves the simulator out.
  const { startSimulator } = loadOptional(
    'the HubSpot simulator',
    () =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../simulator') as typeof SimulatorModule,
  );
  const sim = await startSimulator({ ...options, logger });
  if (webhookTarget) sim.setWebhookTarget(webhookTarget);
  const app = sim.app;
  process.stdout.write(
    `HubSpot simulator listening on ${sim.url} (portals ${sim.portals.join(', ')}; app_id ${app.appId}; client_id ${app.clientId}; client_secret ${app.clientSecret}; generated in ${sim.generation.durationMs} ms)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info({ signal }, 'stopping the HubSpot simulator');
      void sim.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
