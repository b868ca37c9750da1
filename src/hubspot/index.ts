/**
 * The HubSpot adapter: the one place that talks to HubSpot (architecture §1, §6).
 * Paths and API versions, the per-portal client with retries and zod parsing, OAuth,
 * request signatures, and the rate-budget contract.
 */
export {
  ACCOUNT_INFO_API_VERSION,
  buildAuthorizeUrl,
  CRM_API_VERSION,
  HUBSPOT_PATHS,
  OAUTH_API_VERSION,
} from './endpoints';
export type { AuthorizeUrlParams } from './endpoints';
export { abortableSleep, buildQueryString, createHubSpotClientFactory } from './client';
export type {
  AccessTokenProvider,
  HubSpotClient,
  HubSpotClientDeps,
  HubSpotClientFactory,
  HubSpotMethod,
  HubSpotMultiStatus,
  HubSpotRequest,
  QueryValue,
} from './client';
export {
  HubSpotApiError,
  HubSpotDailyLimitError,
  HubSpotError,
  HubSpotOAuthError,
  HubSpotRateLimitError,
  HubSpotResponseError,
  HubSpotTransportError,
} from './errors';
export { createHubSpotOAuth } from './oauth';
export type { HubSpotOAuth, HubSpotOAuthDeps } from './oauth';
export type { RateBudget, RateBudgetKind, RateLimitPolicy } from './rate-budget';
export * from './schemas';
export {
  computeSignatureV3,
  normalizeSignatureUri,
  SIGNATURE_MAX_AGE_MS,
  signatureUri,
  verifySignatureV3,
} from './signature';
export type { SignatureCheck, SignatureV3Input } from './signature';
