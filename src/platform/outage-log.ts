import type { Logger } from 'pino';

/**
 * Logs a dependency's outage once when it starts and once when it ends, however many
 * reconnection attempts happen in between (a worker retries Redis every few hundred ms:
 * one line per attempt buried everything else in the log).
 */
export type OutageLog = {
  /** Returns true when `err` is a connection failure (logged only on the first one of an outage). */
  failed(err: unknown): boolean;
  /** The dependency answered again: logs the end of the outage, if there was one. */
  recovered(): void;
  readonly down: boolean;
};

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Postgres: the server ended the session (admin shutdown, crash, terminate) or is starting. */
const PG_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006']);

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === 'string' && (CONNECTION_CODES.has(e.code) || PG_CONNECTION_CODES.has(e.code)))
    return true;
  if (Array.isArray(e?.errors) && e.errors.some(isConnectionError)) return true;
  return (
    typeof e?.message === 'string' &&
    /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Connection terminated|not queryable/.test(
      e.message,
    )
  );
}

/** A URL fit for a log or a message: scheme, host, port and path, never a user or password. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

const shared = new Map<string, OutageLog>();

/**
 * The process's one outage log for a service at a URL: the producer connection and every
 * worker connection report to it, so an outage is one line, not one per connection.
 */
export function outageLogFor(logger: Logger, service: string, url: string): OutageLog {
  const key = `${service} ${redactUrl(url)}`;
  let log = shared.get(key);
  if (!log) {
    log = createOutageLog(logger, service, redactUrl(url));
    shared.set(key, log);
  }
  return log;
}

/**
 * Several connections report to one log, and they recover one by one: "reachable again" is
 * logged once one has been ready for `settleMs` with no new failure, so a connection still
 * failing from before does not start a second outage line.
 */
export function createOutageLog(logger: Logger, service: string, url: string, settleMs = 1_000): OutageLog {
  let down = false;
  let since = 0;
  let settle: NodeJS.Timeout | undefined;
  return {
    failed(err) {
      if (!isConnectionError(err)) return false;
      clearTimeout(settle);
      settle = undefined;
      if (!down) {
        down = true;
        since = Date.now();
        const reason = (err as { code?: string; message?: string }).code ?? (err as Error).message;
        logger.error(
          { dependency: service, url, reason },
          `${service} is unreachable; retrying until it is back`,
        );
      }
      return true;
    },
    recovered() {
      if (!down || settle) return;
      settle = setTimeout(() => {
        settle = undefined;
        down = false;
        logger.info(
          { dependency: service, url, downForMs: Date.now() - since },
          `${service} is reachable again`,
        );
      }, settleMs);
      settle.unref();
    },
    get down() {
      return down;
    },
  };
}
