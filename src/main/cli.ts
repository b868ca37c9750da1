import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, parseConfig } from '../config';
import type { Config } from '../config';
import { createContext } from '../context';
import { createLogger } from '../logger';
import { runAttributionCommand } from '../kpi/attribution-command';
import { KPI_USAGE, runKpiCommand } from '../kpi/kpi-command';
import { HUBSPOT_PROJECT_USAGE, runHubSpotProjectCommand } from '../install/hubspot-project.command';
import { PURGE_USAGE, runPurgeCommand, runRotateKeyCommand } from '../install/install.command';
import type { AppContext } from '../context';
import { createDb } from '../db';
import { runSimulatorCommand, SIMULATOR_USAGE } from '../simulator';
import { runStatusCommand, runSyncCommand, STATUS_USAGE, SYNC_USAGE } from '../sync/sync-command';
import { startApi } from './api';
import { DEMO_USAGE, runDemoCommand } from './demo';
import { stopOnSignals } from './lifecycle';
import { runMigrations } from './migrate';
import { scheduleRecurringJobs, startWorker } from './worker';

/**
 * A subcommand of `kpi-bridge`. `run` resolves when a one-shot command is done (with
 * its exit code, if not 0); long-running ones resolve once started.
 */
type Command = {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number | void>;
};

function loadConfig(): Config {
  // A local .env is a convenience for developers; real deployments set the environment.
  const envFile = path.resolve(process.cwd(), '.env');
  if (!process.env.KPI_BRIDGE_SKIP_DOTENV && existsSync(envFile)) process.loadEnvFile(envFile);
  return parseConfig(process.env);
}

function rootLogger(config: Config): Logger {
  return createLogger({ level: config.log.level, format: config.log.format });
}

async function runServices(which: { api: boolean; worker: boolean }): Promise<void> {
  const config = loadConfig();
  const logger = rootLogger(config);
  const ctx = createContext(config, logger);
  const api = which.api ? await startApi(ctx) : undefined;
  const workers = which.worker ? startWorker(ctx) : undefined;
  if (workers) {
    await waitForRedis(ctx);
    await scheduleRecurringJobs(ctx);
  }
  stopOnSignals(async () => {
    // Order matters: stop taking new work, let active work finish, then close connections.
    await api?.close();
    const result = await workers?.close(config.shutdownTimeoutMs);
    if (result?.forced) logger.warn('active jobs did not finish in time; they will be retried');
    await ctx.close();
  }, logger);
}

/** The producer connection refuses commands until connected (it fails fast by design); give it a moment. */
async function waitForRedis(ctx: AppContext): Promise<void> {
  if (ctx.redis.status === 'ready') return;
  await Promise.race([
    once(ctx.redis, 'ready'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('Redis is not reachable')), 5_000).unref()),
  ]);
}

/** Runs a one-shot command with the full context (db, redis, queues, HubSpot), closing it after. */
async function withContext(run: (ctx: AppContext) => Promise<number>): Promise<number> {
  const config = loadConfig();
  const logger = rootLogger(config);
  const ctx = createContext(config, logger);
  try {
    await waitForRedis(ctx);
    return await run(ctx);
  } finally {
    await ctx.close();
    logger.flush();
  }
}

const commands: Record<string, Command> = {
  demo: {
    summary: 'see it work: a simulated HubSpot portal, the API and the worker (--once: run through and exit)',
    usage: DEMO_USAGE.replace(/^Usage: /, ''),
    run: (args) => runDemoCommand(args),
  },
  simulator: {
    summary: 'serve a simulated HubSpot (OAuth, CRM, webhooks) on loopback, for demos and tests',
    usage: SIMULATOR_USAGE.replace(/^Usage: /, ''),
    run: (args) => runSimulatorCommand(args),
  },
  attribution: {
    summary:
      'credit conversions (JSON lines on stdin) or ChannelAttribution paths (--paths FILE) to channels',
    usage: 'kpi-bridge attribution [--paths FILE] [--models a,b] < conversions.jsonl',
    run: (args) =>
      runAttributionCommand(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }),
  },
  kpi: {
    summary: "recompute a portal's KPIs now (progress on stderr) and print the headline figures as JSON",
    usage: KPI_USAGE,
    run: (args) =>
      runKpiCommand(args, { stdout: process.stdout, stderr: process.stderr }, () => {
        const config = loadConfig();
        const logger = rootLogger(config);
        const db = createDb(config.db);
        return { db, logger, close: () => db.destroy() };
      }),
  },
  purge: {
    summary:
      'delete everything held about a portal now (--portal ID), or about portals past the uninstall grace period (--due)',
    usage: PURGE_USAGE.replace(/^Usage: /, ''),
    run: (args) =>
      withContext((ctx) => runPurgeCommand(args, ctx, { stdout: process.stdout, stderr: process.stderr })),
  },
  sync: {
    summary:
      'sync a portal from HubSpot now (--full: start a full sync over); progress on stderr, counts as JSON',
    usage: SYNC_USAGE.replace(/^Usage: /, ''),
    run: (args) =>
      withContext((ctx) => runSyncCommand(args, ctx, { stdout: process.stdout, stderr: process.stderr })),
  },
  status: {
    summary: 'show the sync state per portal and stream (running, records, last success, last error)',
    usage: STATUS_USAGE.replace(/^Usage: /, ''),
    run: (args) =>
      withContext((ctx) => runStatusCommand(args, ctx, { stdout: process.stdout, stderr: process.stderr })),
  },
  'rotate-key': {
    summary: 're-encrypt every stored OAuth token under the newest key of TOKEN_ENCRYPTION_KEYS',
    usage: 'kpi-bridge rotate-key',
    run: () =>
      withContext((ctx) => runRotateKeyCommand(ctx, { stdout: process.stdout, stderr: process.stderr })),
  },
  'hubspot-project': {
    summary:
      'generate the HubSpot developer project (hubspot-project/) from app-manifest.json (--check: verify only)',
    usage: HUBSPOT_PROJECT_USAGE.replace(/^Usage: /, ''),
    run: (args) =>
      runHubSpotProjectCommand(args, { stdout: process.stdout, stderr: process.stderr, env: process.env }),
  },
  api: {
    summary: 'serve the HTTP API (OAuth, webhooks, cards, reports, health)',
    usage: 'kpi-bridge api',
    run: () => runServices({ api: true, worker: false }),
  },
  worker: {
    summary: 'run the job workers (sync, KPI, write-back)',
    usage: 'kpi-bridge worker',
    run: () => runServices({ api: false, worker: true }),
  },
  all: {
    summary: 'run the API and the workers in one process (single-machine install)',
    usage: 'kpi-bridge all',
    run: () => runServices({ api: true, worker: true }),
  },
  migrate: {
    summary: 'apply all pending database migrations (--down reverts the latest one)',
    usage: 'kpi-bridge migrate [--down]',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { down: { type: 'boolean', default: false } } });
      const config = loadConfig();
      const logger = rootLogger(config);
      try {
        await runMigrations(config, logger, values.down ? 'down' : 'up');
      } finally {
        logger.flush();
      }
    },
  },
};

function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: kpi-bridge <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Configuration comes from the environment (and ./.env when present); see .env.example.',
  ].join('\n');
}

/** Entry of the `kpi-bridge` binary. Returns the process exit code for one-shot commands. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`kpi-bridge: unknown command '${name}'\n\n${helpText()}\n`);
    return 2;
  }
  // `kpi-bridge attribution … | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n  ${command.summary}\n`);
    return 0;
  }
  try {
    return (await command.run(rest)) ?? 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kpi-bridge: ${err.message}\n(see .env.example for every setting)\n`);
      return 78; // EX_CONFIG
    }
    process.stderr.write(`kpi-bridge ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
