import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import type { Config, ConfigSection } from '../../config';
import type { AppContext } from '../../context';

/** The streams and environment a command talks to; tests pass in-memory streams. */
export type CommandIo = {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
};

/** What the CLI hands a command. Everything is built on first call, once. */
export type CommandRuntime = {
  readonly io: CommandIo;
  /** The configuration, validated for the command's `needs` only. */
  config(): Config;
  logger(): Logger;
  /**
   * The composition root, once Postgres and Redis (as far as `needs` uses them) answered
   * within the startup wait. The CLI closes it after a one-shot command.
   */
  context(): Promise<AppContext>;
};

/**
 * A subcommand of `kpi-bridge`. `run` resolves with the exit code when a one-shot command is
 * done; a serving command (`serves`) resolves once started and keeps running until a signal.
 */
export type Command = {
  readonly name: string;
  readonly summary: string;
  /** The synopsis after `Usage: `, possibly several lines (options explained). */
  readonly usage: string;
  /** Configuration sections validated before `run`; a command without services needs none. */
  readonly needs: readonly ConfigSection[];
  readonly serves?: boolean;
  run(args: string[], rt: CommandRuntime): Promise<number>;
};

/** A bad command line: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_USAGE = 2;

/** node:util parseArgs with strict options; its complaints become UsageErrors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (err) {
    // Checked by code, not class: node's errors come from another realm under jest.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((err as Error).message);
    throw err;
  }
}

/** A HubSpot portal id from `--portal`, or a UsageError. */
export function portalIdArg(raw: string | undefined, required: true): number;
export function portalIdArg(raw: string | undefined, required: false): number | undefined;
export function portalIdArg(raw: string | undefined, required: boolean): number | undefined {
  if (raw === undefined) {
    if (required) throw new UsageError('--portal ID is required');
    return undefined;
  }
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id <= 0)
    throw new UsageError('--portal must be a HubSpot portal id (a positive integer)');
  return id;
}

/** A runtime around a context that already exists (the demo's, a test's): nothing is checked or closed. */
export function runtimeOf(ctx: AppContext, io: Partial<CommandIo> = {}): CommandRuntime {
  return {
    io: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, ...io },
    config: () => ctx.config,
    logger: () => ctx.logger,
    context: () => Promise.resolve(ctx),
  };
}
