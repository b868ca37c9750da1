import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

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
require(${JSON.stringify(path.resolve(__dirname, '../../src/main/cli.ts'))})
  .main(process.argv.slice(1))
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
  /** Resolves with the exit code (or signal) and the time since spawn. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Resolves once `pattern` appears in stdout or stderr; rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
};

export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const started = Date.now();
  const child = spawn(process.execPath, ['-e', CLI_LOADER, ...args], {
    // Nothing of the parent's environment but PATH: every setting the test relies on is explicit.
    env: { PATH: process.env.PATH ?? '', KPI_BRIDGE_SKIP_DOTENV: '1', LOG_FORMAT: 'json', ...env },
    cwd: path.resolve(__dirname, '../..'),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - started })),
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

/** A TCP port nothing listens on (bound then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
