import { checkHeartbeat, heartbeatFile } from '../../platform/queue/heartbeat';
import type { Command } from './command';
import { parseCommandArgs, UsageError } from './command';

/**
 * `kpi-bridge healthcheck --worker`: exit 0 when this machine's worker beat recently (its
 * queues run, Postgres and Redis answer), 1 otherwise. Docker's HEALTHCHECK runs it inside the
 * worker's container; the API has /readyz for the same purpose.
 */
export const healthcheckCommand: Command = {
  name: 'healthcheck',
  summary: "is this container's worker healthy? (exit 0 or 1; for Docker health checks)",
  usage: `kpi-bridge healthcheck --worker [--max-age-seconds 45]
  Reads the worker's heartbeat file (rewritten every 10 s while its queues run and Postgres
  and Redis answer) and exits 1 when it is missing or older than --max-age-seconds.`,
  needs: [],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, {
      worker: { type: 'boolean' },
      'max-age-seconds': { type: 'string' },
    });
    if (!values.worker) throw new UsageError('say what to check: --worker');
    const raw = values['max-age-seconds'] ?? '45';
    const maxAgeSeconds = Number(raw);
    if (!/^\d+$/.test(raw) || maxAgeSeconds < 1)
      throw new UsageError('--max-age-seconds must be a whole number of seconds, at least 1');
    const result = await checkHeartbeat({
      file: heartbeatFile(rt.io.env),
      maxAgeMs: maxAgeSeconds * 1000,
    });
    (result.healthy ? rt.io.stdout : rt.io.stderr).write(`${result.message}\n`);
    return result.healthy ? 0 : 1;
  },
};
