/**
 * Every path the simulator serves, in one place, with HubSpot's date-based API
 * versions as constants (reference §0): CRM 2026-09, OAuth 2026-03.
 */
export const CRM_API_VERSION = '2026-09';
export const OAUTH_API_VERSION = '2026-03';
export const ACCOUNT_INFO_API_VERSION = '2026-09';

export const PATHS = {
  authorize: '/oauth/authorize',
  authorizeForPortal: '/oauth/:portalId/authorize',
  token: `/oauth/${OAUTH_API_VERSION}/token`,
  introspect: `/oauth/${OAUTH_API_VERSION}/token/introspect`,
  revoke: `/oauth/${OAUTH_API_VERSION}/token/revoke`,

  objects: `/crm/objects/${CRM_API_VERSION}/:objectType`,
  object: `/crm/objects/${CRM_API_VERSION}/:objectType/:objectId`,
  batchRead: `/crm/objects/${CRM_API_VERSION}/:objectType/batch/read`,
  batchUpdate: `/crm/objects/${CRM_API_VERSION}/:objectType/batch/update`,
  search: `/crm/objects/${CRM_API_VERSION}/:objectType/search`,
  merge: `/crm/objects/${CRM_API_VERSION}/:objectType/merge`,

  associationsBatchRead: `/crm/associations/${CRM_API_VERSION}/:fromObjectType/:toObjectType/batch/read`,
  pipelines: `/crm/pipelines/${CRM_API_VERSION}/:objectType`,
  pipeline: `/crm/pipelines/${CRM_API_VERSION}/:objectType/:pipelineId`,
  pipelineStages: `/crm/pipelines/${CRM_API_VERSION}/:objectType/:pipelineId/stages`,
  properties: `/crm/properties/${CRM_API_VERSION}/:objectType`,
  property: `/crm/properties/${CRM_API_VERSION}/:objectType/:propertyName`,
  propertyGroups: `/crm/properties/${CRM_API_VERSION}/:objectType/groups`,
  propertyGroup: `/crm/properties/${CRM_API_VERSION}/:objectType/groups/:groupName`,
  owners: `/crm/owners/${CRM_API_VERSION}`,
  owner: `/crm/owners/${CRM_API_VERSION}/:ownerId`,
  accountDetails: `/account-info/${ACCOUNT_INFO_API_VERSION}/details`,
} as const;

/** Concrete paths for clients (tests, the app's adapter) that need a URL rather than a route pattern. */
export const API_PATHS = {
  token: PATHS.token,
  introspect: PATHS.introspect,
  revoke: PATHS.revoke,
  objects: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${objectType}`,
  object: (objectType: string, id: string | number) => `/crm/objects/${CRM_API_VERSION}/${objectType}/${id}`,
  batchRead: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${objectType}/batch/read`,
  batchUpdate: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${objectType}/batch/update`,
  search: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${objectType}/search`,
  merge: (objectType: string) => `/crm/objects/${CRM_API_VERSION}/${objectType}/merge`,
  associationsBatchRead: (from: string, to: string) =>
    `/crm/associations/${CRM_API_VERSION}/${from}/${to}/batch/read`,
  pipelines: (objectType: string) => `/crm/pipelines/${CRM_API_VERSION}/${objectType}`,
  properties: (objectType: string) => `/crm/properties/${CRM_API_VERSION}/${objectType}`,
  propertyGroups: (objectType: string) => `/crm/properties/${CRM_API_VERSION}/${objectType}/groups`,
  owners: PATHS.owners,
  accountDetails: PATHS.accountDetails,
} as const;

/** The simulator's own control surface; never part of HubSpot. */
export const ADMIN_PREFIX = '/_sim';
