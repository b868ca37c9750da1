import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, parseConfig } from '../config';
import type { Config } from '../config';
import { createContext } from '../context';
import type { AppContext } from '../context';
import { createLogger } from '../logger';
import type { Command, CommandIo, CommandRuntime } from './commands/command';
import { EXIT_USAGE, UsageError } from './commands/command';
import { COMMANDS } from './commands';
import { checkServices, EXIT_UNAVAILABLE, ServiceUnavailableError } from './lifecycle';

const EX_CONFIG = 78;

function packageVersion(): string {
  // Source (src/main) and compiled (dist/src/main) layouts: the nearest package.json up the tree.
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: kpi-bridge <command> [options]',
    '       kpi-bridge <command> --help | --version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from the environment (and ./.env when present); see .env.example.',
  ].join('\n');
}

/**
 * The runtime of one CLI invocation: configuration for the command's sections, a logger, and
 * the composition root built only after Postgres and Redis answered.
 */
function createRuntime(command: Command, io: CommandIo): CommandRuntime & { close(): Promise<void> } {
  let config: Config | undefined;
  let logger: Logger | undefined;
  let ctx: Promise<AppContext> | undefined;
  const rt = {
    io,
    config() {
      if (!config) {
        // A local .env is a convenience for developers; real deployments set the environment.
        const envFile = path.resolve(process.cwd(), '.env');
        if (!io.env.KPI_BRIDGE_SKIP_DOTENV && existsSync(envFile)) process.loadEnvFile(envFile);
        config = parseConfig(io.env, command.needs);
      }
      return config;
    },
    logger() {
      logger ??= createLogger({ level: rt.config().log.level, format: rt.config().log.format });
      return logger;
    },
    context() {
      ctx ??= (async () => {
        const c = rt.config();
        await checkServices(c, {
          postgres: command.needs.includes('db'),
          redis: command.needs.includes('redis'),
        });
        const created = createContext(c, rt.logger());
        // The producer connection fails fast by design (no offline queue): a command that
        // enqueues or schedules right after start must wait until it is connected.
        if (command.needs.includes('redis')) await untilReady(created.redis, c.startupWaitMs);
        return created;
      })();
      return ctx;
    },
    async close() {
      const opened = await ctx?.catch(() => undefined);
      await opened?.close();
      logger?.flush();
    },
  };
  return rt;
}

/**
 * Runs one command and turns its failures into exit codes: 2 a bad command line (with usage),
 * 78 bad configuration, 69 a service down, 1 anything else. Closes what the command opened,
 * unless it serves (api, worker) and started.
 */
export async function runCommand(
  command: Command,
  args: string[],
  rt: CommandRuntime & { close?(): Promise<void> },
): Promise<number> {
  const { stderr } = rt.io;
  let serving = false;
  try {
    const code = await command.run(args, rt);
    serving = command.serves === true && code === 0;
    return code;
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`kpi-bridge ${command.name}: ${err.message}\nUsage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      stderr.write(`kpi-bridge ${command.name}: ${err.message}\n(see .env.example for every setting)\n`);
      return EX_CONFIG;
    }
    if (err instanceof ServiceUnavailableError) {
      stderr.write(`kpi-bridge ${command.name}: ${err.message}\n`);
      return EXIT_UNAVAILABLE;
    }
    // 42P01 undefined_table: the usual cause is a database nobody migrated yet.
    const hint = (err as { code?: string }).code === '42P01' ? ' (run `kpi-bridge migrate` first)' : '';
    stderr.write(`kpi-bridge ${command.name}: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
    return 1;
  } finally {
    if (!serving) await rt.close?.();
  }
}

/** Entry of the `kpi-bridge` binary. Returns the process exit code (0 for a command that keeps serving). */
export async function main(argv: string[], io: Partial<CommandIo> = {}): Promise<number> {
  const fullIo: CommandIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    ...io,
  };
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    fullIo.stdout.write(`kpi-bridge ${packageVersion()}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    fullIo.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (!name) {
    fullIo.stderr.write(`${helpText()}\n`);
    return EXIT_USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    fullIo.stderr.write(`kpi-bridge: unknown command '${name}' (kpi-bridge --help lists them)\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    fullIo.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  // `kpi-bridge attribution … | head` closes our stdout early: that is not an error.
  if (fullIo.stdout === process.stdout)
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    });
  return runCommand(command, rest, createRuntime(command, fullIo));
}

async function untilReady(redis: AppContext['redis'], waitMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      once(redis, 'ready'),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new ServiceUnavailableError(`Redis did not accept the connection within ${waitMs} ms`)),
          waitMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
