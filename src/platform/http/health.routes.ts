import { Router } from 'express';

export type ReadinessCheck = { name: string; check: () => Promise<void> };

const CHECK_TIMEOUT_MS = 2_000;

/** A check's outcome: 'ok' or 'error: <reason>'. */
async function runCheck(c: ReadinessCheck): Promise<[string, string]> {
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
    return [c.name, 'ok'];
  } catch (err) {
    return [c.name, `error: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz: the process is up. /readyz: every dependency answers; 503 names the ones that do not. */
export function createHealthRouter(checks: ReadinessCheck[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = Object.fromEntries(await Promise.all(checks.map(runCheck)));
    const ready = Object.values(results).every((r) => r === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: results });
  });
  return router;
}
