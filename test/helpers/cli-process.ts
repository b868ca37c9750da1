import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Runs `kpi-bridge <args>` from the TypeScript sources in a child process, as bin/kpi-bridge.js
 * runs the build: same exit-code handling, real signals, real stdout/stderr.
 */
const CLI_LOADER = `
const fs = require('node:fs');
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const cli = require(${JSON.stringify(path.resolve(__dirname, '../../src/main/cli.ts'))});
// Compiling the sources on the fly takes seconds on a busy machine; the built binary loads in
// a fraction of one. Time from here, and report it on fd 3.
const started = Date.now();
process.on('exit', () => { try { fs.writeSync(3, String(Date.now() - started)); } catch {} });
cli.main(process.argv.slice(1))
  .then((code) => {
    if (code !== 0) {
      process.exitCode = code;
      setTimeout(() => process.exit(code), 2000).unref();
    }
  }, (err) => { console.error(err); process.exitCode = 1; });
`;

export type CliProcess = {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal), the time the command ran (from main(), sources loaded) and since spawn. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; wallMs: number }>;
  /** Resolves once `pattern` appears in stdout or stderr; rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
};

export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const started = Date.now();
  const child = spawn(process.execPath, ['-e', CLI_LOADER, ...args], {
    // Nothing of the parent's environment but PATH: every setting the test relies on is explicit.
    env: { PATH: process.env.PATH ?? '', KPI_BRIDGE_SKIP_DOTENV: '1', LOG_FORMAT: 'json', ...env },
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let ran = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  (child.stdio[3] as Readable).on('data', (c: Buffer) => (ran += c.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    ms: number;
    wallMs: number;
  }>((resolve) =>
    child.on('close', (code, signal) => {
      const wallMs = Date.now() - started;
      resolve({ code, signal, ms: ran ? Number(ran) : wallMs, wallMs });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let gone = false;
      void exited.then(() => (gone = true));
      while (!pattern.test(out) && !pattern.test(err)) {
        if (gone) throw new Error(`exited before ${String(pattern)}:\n${out}\n${err}`);
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${String(pattern)}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
