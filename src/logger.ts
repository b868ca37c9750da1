import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

/**
 * Every path a secret can travel under. Tokens, client secrets, cookies and
 * authorization headers are replaced before a log line is written, wherever
 * they appear one or two levels deep (e.g. `{ tokens: { access_token } }`).
 */
const SECRET_KEYS = [
  'access_token',
  'refresh_token',
  'accessToken',
  'refreshToken',
  'token',
  'client_secret',
  'clientSecret',
  'password',
  'secret',
  'authorization',
  'cookie',
  'set-cookie',
  'x-hubspot-signature-v3',
  'x-hubspot-signature',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS.map((k) => (/^[a-z_]\w*$/i.test(k) ? k : `[${JSON.stringify(k)}]`)),
  ...SECRET_KEYS.map((k) => `*[${JSON.stringify(k)}]`),
  ...SECRET_KEYS.map((k) => `*.*[${JSON.stringify(k)}]`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export type LoggerOptions = {
  level: string;
  format: 'json' | 'pretty';
  destination?: DestinationStream;
};

/** The root logger; every module takes a named child of it (`logger.child({ name: 'sync' })`). */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'kpi-bridge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.format === 'pretty') {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, destination: 2, singleLine: true, ignore: 'pid,hostname,service' },
      },
    });
  }
  return pino(base, pino.destination({ dest: 2, sync: false }));
}

export type { Logger };

const SECRET_QUERY_PARAMS = new Set([
  'code',
  'state',
  'access_token',
  'refresh_token',
  'token',
  'hapikey',
  'client_secret',
]);

/** A URL fit for a log line: secret-bearing query values (an OAuth `code`, say) replaced. */
export function sanitizeUrlForLog(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  if (q < 0) return rawUrl;
  const params = new URLSearchParams(rawUrl.slice(q + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) params.set(key, '[redacted]');
  }
  return `${rawUrl.slice(0, q)}?${params.toString()}`;
}
