import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { NotFoundError, UnauthorizedError } from './errors';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The secret an operator presented: `Bearer <token>` for tools, Basic auth (any user) for browsers. */
function presentedSecret(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('Bearer ')) return header.slice(7);
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return '';
}

/**
 * Guards operator pages behind ADMIN_TOKEN. Without a configured token the pages do not
 * exist (404), so a forgotten setting never opens them.
 */
export function requireAdminToken(adminToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!adminToken) return next(new NotFoundError(`no route for ${req.method} ${req.path}`));
    if (!sameSecret(presentedSecret(req.headers.authorization), adminToken)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="KPI Bridge admin", charset="UTF-8"');
      return next(new UnauthorizedError('admin token required'));
    }
    next();
  };
}
