import { randomUUID } from 'node:crypto';

/**
 * HubSpot's error bodies. The CRM APIs answer `{status:"error", message,
 * correlationId, category, …}`; OAuth answers RFC 6749 errors with HubSpot's
 * legacy `status`/`message` alongside (reference §1).
 */
export type HubSpotErrorBody = {
  status: 'error';
  message: string;
  correlationId: string;
  category: string;
  subCategory?: string;
  context?: Record<string, string[]>;
  errors?: { message: string; code?: string; in?: string; context?: Record<string, string[]> }[];
  links?: Record<string, string>;
};

export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export type RateLimitBody = {
  status: 'error';
  message: string;
  errorType: 'RATE_LIMIT';
  correlationId: string;
  policyName: RateLimitPolicy;
  groupName: string;
};

export type OAuthErrorBody = {
  error: string;
  error_description: string;
  status: string;
  message: string;
  correlationId: string;
};

/** A failure a route handler throws; the error middleware renders `body` with `status`. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
    readonly headers: Record<string, string> = {},
  ) {
    super(
      typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : `HTTP ${status}`,
    );
    this.name = 'SimHttpError';
  }
}

export function createErrorBody(
  category: string,
  message: string,
  extra: Partial<Omit<HubSpotErrorBody, 'status' | 'message' | 'category' | 'correlationId'>> = {},
): HubSpotErrorBody {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export function validationError(message: string, extra: Partial<HubSpotErrorBody> = {}): SimHttpError {
  return new SimHttpError(400, createErrorBody('VALIDATION_ERROR', message, extra));
}

export function notFoundError(message: string, context?: Record<string, string[]>): SimHttpError {
  return new SimHttpError(404, createErrorBody('OBJECT_NOT_FOUND', message, context ? { context } : {}));
}

export function conflictError(message: string, subCategory: string): SimHttpError {
  return new SimHttpError(409, createErrorBody('OBJECT_ALREADY_EXISTS', message, { subCategory }));
}

const MISSING_AUTH_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

export function missingAuthError(): SimHttpError {
  return new SimHttpError(401, createErrorBody('INVALID_AUTHENTICATION', MISSING_AUTH_MESSAGE));
}

export function invalidAuthError(): SimHttpError {
  return new SimHttpError(
    401,
    createErrorBody(
      'INVALID_AUTHENTICATION',
      'The OAuth token used to make this call is not valid for this account or has been revoked.',
    ),
  );
}

export function expiredAuthError(expiredForMs: number): SimHttpError {
  const seconds = Math.max(1, Math.round(expiredForMs / 1000));
  return new SimHttpError(
    401,
    createErrorBody(
      'EXPIRED_AUTHENTICATION',
      `The OAuth token used to make this call expired ${seconds} second(s) ago.`,
    ),
  );
}

const RATE_LIMIT_MESSAGES: Record<RateLimitPolicy, string> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
};

export function rateLimitBody(policyName: RateLimitPolicy, groupName: string): RateLimitBody {
  return {
    status: 'error',
    message: RATE_LIMIT_MESSAGES[policyName],
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName,
    groupName,
  };
}

export function oauthError(
  httpStatus: number,
  error: string,
  status: string,
  description: string,
): SimHttpError {
  const body: OAuthErrorBody = {
    error,
    error_description: description,
    status,
    message: description,
    correlationId: randomUUID(),
  };
  return new SimHttpError(httpStatus, body);
}
