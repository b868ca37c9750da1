/**
 * Every HubSpot path the app calls, with the date-based API versions as constants
 * (reference §0): CRM 2026-09, OAuth 2026-03. Nothing else in the app spells a
 * HubSpot path, so moving to the next version is a change here and its tests.
 */
export const CRM_API_VERSION = '2026-09';
export const OAUTH_API_VERSION = '2026-03';
export const ACCOUNT_INFO_API_VERSION = '2026-09';

const seg = (value: string | number): string => encodeURIComponent(String(value));

export const HUBSPOT_PATHS = {
  // Objects (contacts, deals, meetings, …).
  objects: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${seg(objectType)}`,
  object: (objectType: string, id: string | number) =>
    `/crm/objects/${CRM_API_VERSION}/${seg(objectType)}/${seg(id)}`,
  batchRead: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${seg(objectType)}/batch/read`,
  batchUpdate: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${seg(objectType)}/batch/update`,
  search: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${seg(objectType)}/search`,

  associationsBatchRead: (fromObjectType: string, toObjectType: string) =>
    `/crm/associations/${CRM_API_VERSION}/${seg(fromObjectType)}/${seg(toObjectType)}/batch/read`,

  pipelines: (objectType: string) => `/crm/pipelines/${CRM_API_VERSION}/${seg(objectType)}`,
  pipeline: (objectType: string, pipelineId: string) =>
    `/crm/pipelines/${CRM_API_VERSION}/${seg(objectType)}/${seg(pipelineId)}`,

  properties: (objectType: string) => `/crm/properties/${CRM_API_VERSION}/${seg(objectType)}`,
  property: (objectType: string, name: string) =>
    `/crm/properties/${CRM_API_VERSION}/${seg(objectType)}/${seg(name)}`,
  propertyGroups: (objectType: string) => `/crm/properties/${CRM_API_VERSION}/${seg(objectType)}/groups`,
  propertyGroup: (objectType: string, groupName: string) =>
    `/crm/properties/${CRM_API_VERSION}/${seg(objectType)}/groups/${seg(groupName)}`,

  owners: () => `/crm/owners/${CRM_API_VERSION}`,
  owner: (ownerId: string | number) => `/crm/owners/${CRM_API_VERSION}/${seg(ownerId)}`,

  accountDetails: () => `/account-info/${ACCOUNT_INFO_API_VERSION}/details`,

  // Legacy, not date-versioned (reference §9): visits per source, tier-gated (403 without it).
  analyticsSources: (timePeriod: 'daily' | 'total') => `/analytics/v2/reports/sources/${seg(timePeriod)}`,

  // OAuth: form bodies, credentials in the body (never the query).
  oauthToken: () => `/oauth/${OAUTH_API_VERSION}/token`,
  oauthIntrospect: () => `/oauth/${OAUTH_API_VERSION}/token/introspect`,
  oauthRevoke: () => `/oauth/${OAUTH_API_VERSION}/token/revoke`,
} as const;

export type AuthorizeUrlParams = {
  clientId: string;
  redirectUri: string;
  /** Required scopes; space-separated on the wire (commas break it, reference §1). */
  scopes: readonly string[];
  optionalScopes?: readonly string[];
  state: string;
};

/** The page an admin is sent to for consent, on the auth host (app.hubspot.com). */
export function buildAuthorizeUrl(authBaseUrl: string, params: AuthorizeUrlParams): string {
  const url = new URL('/oauth/authorize', authBaseUrl);
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  url.searchParams.set('scope', params.scopes.join(' '));
  if (params.optionalScopes && params.optionalScopes.length > 0)
    url.searchParams.set('optional_scope', params.optionalScopes.join(' '));
  url.searchParams.set('state', params.state);
  // URLSearchParams writes spaces as '+'; HubSpot documents %20 between scopes.
  return url.toString().replace(/\+/g, '%20');
}
