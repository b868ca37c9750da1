import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';

/** Errors a service may throw on purpose; anything else is a 500 with a generic body. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'bad_request', message, details);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'unauthorized') {
    super(401, 'unauthorized', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'forbidden') {
    super(403, 'forbidden', message);
  }
}
export class NotFoundError extends AppError {
  constructor(message = 'not found') {
    super(404, 'not_found', message);
  }
}
export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}
export class UpstreamError extends AppError {
  constructor(message: string) {
    super(502, 'upstream_error', message);
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(message: string, details?: unknown) {
    super(503, 'unavailable', message, details);
  }
}

export type ErrorBody = { error: { code: string; message: string; requestId: string; details?: unknown } };

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route for ${req.method} ${req.path}`));
};

/** body-parser raises these with a `type`; they are the client's fault, not ours. */
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed_json', 'request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'request body is too large'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'unsupported content encoding'],
  'charset.unsupported': [415, 'unsupported_charset', 'unsupported charset'],
  'request.aborted': [400, 'request_aborted', 'request aborted'],
};

/**
 * The status of a plumbing error that is the client's fault: an http-errors 4xx marked
 * `expose` (body-parser, raw-body: a body that does not inflate), or the router's URIError
 * with status 400 (a path parameter that is not valid percent-encoding). Else undefined.
 */
function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode, expose } = err as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const s = typeof status === 'number' ? status : statusCode;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 400 || s >= 500) return undefined;
  return expose === true || err instanceof URIError ? s : undefined;
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  const log = logger.child({ name: 'http' });
  return (err: unknown, req, res, _next) => {
    const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '';
    let status = 500;
    let body: ErrorBody['error'] = { code: 'internal_error', message: 'internal server error', requestId };
    const parserType = (err as { type?: unknown }).type;
    if (err instanceof AppError) {
      status = err.status;
      body = {
        code: err.code,
        message: err.message,
        requestId,
        ...(err.details === undefined ? {} : { details: err.details }),
      };
    } else if (typeof parserType === 'string' && BODY_PARSER_ERRORS[parserType]) {
      const [s, code, message] = BODY_PARSER_ERRORS[parserType];
      status = s;
      body = { code, message, requestId };
    } else {
      const clientStatus = clientErrorStatus(err);
      if (clientStatus !== undefined) {
        // http-errors from the plumbing (a body that does not inflate, a URL that does not
        // decode): the request's fault. Our own words, never the library's message.
        status = clientStatus;
        body = { code: 'bad_request', message: 'the request could not be read', requestId };
      }
    }
    if (status >= 500) log.error({ err, requestId }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json({ error: body });
  };
}
