import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Express, Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { sanitizeUrlForLog } from '../../logger';
import { createErrorHandler, notFoundHandler } from './errors';

declare module 'http' {
  interface IncomingMessage {
    /** The exact bytes of the body, kept for HubSpot signature checks. */
    rawBody?: Buffer;
  }
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

export type AppOptions = {
  logger: Logger;
  bodyLimit: string;
  trustProxy: boolean;
  routers: Router[];
};

/**
 * The express app: request ids, request logs, JSON bodies with their raw bytes kept,
 * the feature routers, then 404 and one error handler that maps typed errors to statuses.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on dynamic answers: nobody revalidates a card or a report (hubspot.fetch does not),
  // and hashing every body cost the card API 3 % of its CPU. Static files keep serve-static's own.
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy);

  app.use(
    pinoHttp({
      logger: options.logger.child({ name: 'http' }),
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: sanitizeUrlForLog(req.url),
        }),
        // Response headers can carry secrets too: the OAuth state in a redirect's Location,
        // the install's state cookie. Only the status and harmless headers are logged.
        res: (res: { statusCode: number; headers?: Record<string, unknown> }) => {
          const headers = { ...res.headers };
          if (typeof headers.location === 'string') headers.location = sanitizeUrlForLog(headers.location);
          if (headers['set-cookie'] !== undefined) headers['set-cookie'] = '[redacted]';
          return { statusCode: res.statusCode, headers };
        },
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );

  app.use(
    express.json({
      limit: options.bodyLimit,
      verify: (req, _res, buf) => {
        req.rawBody = buf;
      },
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: options.bodyLimit }));

  for (const router of options.routers) app.use(router);

  app.use(notFoundHandler);
  app.use(createErrorHandler(options.logger));
  return app;
}
