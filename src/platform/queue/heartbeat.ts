import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A worker serves no port, so a container's health check cannot ask it over HTTP. Instead the
 * worker rewrites a small file while it is able to work (its queues run, Postgres and Redis
 * answer), and `kpi-bridge healthcheck --worker` reads the file's age: a hung or cut-off worker
 * stops refreshing it and turns unhealthy within `maxAgeMs`.
 */
export const DEFAULT_HEARTBEAT_FILE = path.join(tmpdir(), 'kpi-bridge-worker.heartbeat.json');

/** KPI_BRIDGE_HEARTBEAT_FILE moves the file (several workers on one host, tests). */
export function heartbeatFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.KPI_BRIDGE_HEARTBEAT_FILE || DEFAULT_HEARTBEAT_FILE;
}

export type HeartbeatProbe = () => Promise<void>;

export type Heartbeat = { stop(): void; beat(): Promise<boolean> };

export function startHeartbeat(options: {
  probe: HeartbeatProbe;
  file?: string;
  everyMs?: number;
  now?: () => Date;
}): Heartbeat {
  const file = options.file ?? heartbeatFile();
  const now = options.now ?? (() => new Date());
  let inFlight: Promise<boolean> | undefined;

  // One beat at a time: a slow probe must not pile up beats behind it.
  function beat(): Promise<boolean> {
    inFlight ??= beatOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  async function beatOnce(): Promise<boolean> {
    try {
      await options.probe();
      // Write then rename: a reader never sees a half-written file.
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ pid: process.pid, at: now().toISOString() }));
      await rename(tmp, file);
      return true;
    } catch {
      // Not healthy right now: leave the old beat to age; the outage itself is logged elsewhere.
      return false;
    }
  }

  void beat();
  const timer = setInterval(() => void beat(), options.everyMs ?? 10_000);
  timer.unref();
  return { stop: () => clearInterval(timer), beat };
}

export type HeartbeatCheck = { healthy: boolean; message: string };

export async function checkHeartbeat(options: {
  file?: string;
  maxAgeMs?: number;
  now?: () => Date;
}): Promise<HeartbeatCheck> {
  const file = options.file ?? heartbeatFile();
  const maxAgeMs = options.maxAgeMs ?? 45_000;
  const now = (options.now ?? (() => new Date()))();
  let at: Date;
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { at?: unknown };
    at = new Date(typeof parsed.at === 'string' ? parsed.at : Number.NaN);
    if (Number.isNaN(at.getTime())) return { healthy: false, message: `unreadable heartbeat in ${file}` };
  } catch {
    return { healthy: false, message: `no worker heartbeat at ${file}` };
  }
  const ageMs = now.getTime() - at.getTime();
  return ageMs <= maxAgeMs
    ? { healthy: true, message: `worker heartbeat ${Math.round(ageMs / 1000)} s ago` }
    : {
        healthy: false,
        message: `worker heartbeat is ${Math.round(ageMs / 1000)} s old (limit ${maxAgeMs / 1000} s)`,
      };
}
