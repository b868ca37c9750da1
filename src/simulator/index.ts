/**
 * The HubSpot simulator: a stand-in for the HubSpot APIs KPI Bridge uses,
 * faithful to the documented behaviour, with seeded data, faults and signed
 * webhooks. Tests, the demo and benchmarks start it; the app reaches it only
 * through its base URL. See docs/simulator.md.
 */
export {
  startSimulator,
  deriveApp,
  type SimulatorOptions,
  type SimulatorHandle,
  type SimulatorAppSpec,
} from './simulator';
export { API_PATHS, PATHS, CRM_API_VERSION, OAUTH_API_VERSION, ADMIN_PREFIX } from './endpoints';
export type { SimulatorAdmin, RecordRef, PropertyValues, ActorOptions } from './admin';
export { DEFAULT_SCOPES } from './admin';
export type { PortalFaults } from './faults';
export type { PortalSpec, Owner, AccountDetails } from './portal';
export type { GroundTruth, GroundTruthRecord, GroundTruthSummary } from './ground-truth';
export type { SimApp, TokenResponse } from './oauth';
export type {
  WebhookOptions,
  WebhookEvent,
  WebhookStats,
  DeliveryRecord,
  WebhookSubscription,
} from './webhooks';
export { signV3 } from './webhooks';
export type { RequestLog, RequestLogEntry, RequestLogFilter } from './request-log';
export type { PublicObject, HistoryVersion } from './serialize';
export {
  LIFECYCLE_STAGES,
  PIPELINES,
  CUSTOM_LIFECYCLE_STAGE_ID,
  ENTERPRISE_PIPELINE_ID,
  ASSOCIATION_TYPES,
  type ObjectTypeName,
} from './catalog';
export { SOURCE_PROFILES, ENTERPRISE } from './generator';
export {
  BrowserInstallError,
  finishBrowserInstall,
  installIntoSimulator,
  startBrowserInstall,
  type BrowserSteps,
  type SimulatorInstall,
} from './browser-install';
