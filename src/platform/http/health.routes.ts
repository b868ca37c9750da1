import { Router } from 'express';
import type { Logger } from 'pino';

export type ReadinessCheck = { name: string; check: () => Promise<void> };

const CHECK_TIMEOUT_MS = 2_000;

/** A check's outcome: null when it answered, else the reason (for our log, never for the caller). */
async function runCheck(c: ReadinessCheck): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz: the process is up. /readyz: every dependency answers; 503 names the ones that
 * do not, as `"error"` only. /readyz needs no auth, so a driver's message (database names,
 * hosts, users) stays in our log, written once each time a dependency's state changes.
 */
export function createHealthRouter(checks: ReadinessCheck[], options: { logger?: Logger } = {}): Router {
  const router = Router();
  const log = options.logger?.child({ name: 'readiness' });
  const lastReason = new Map<string, string | null>();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const reasons = await Promise.all(checks.map(runCheck));
    const results: Record<string, 'ok' | 'error'> = {};
    checks.forEach((c, i) => {
      const reason = reasons[i] ?? null;
      results[c.name] = reason === null ? 'ok' : 'error';
      const before = lastReason.get(c.name);
      if (before !== undefined && (before === null) === (reason === null)) return;
      lastReason.set(c.name, reason);
      if (reason !== null) log?.warn({ dependency: c.name, reason }, 'readiness: dependency not answering');
      else if (before !== undefined)
        log?.info({ dependency: c.name }, 'readiness: dependency answering again');
    });
    const ready = Object.values(results).every((r) => r === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: results });
  });
  return router;
}
