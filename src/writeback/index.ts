/**
 * Write-back: KPI Bridge's per-deal and per-contact figures written into `kpibridge_*` properties
 * in HubSpot after every KPI run (docs/writeback.md). The feature's public face.
 */
export {
  DEFAULT_WRITEBACK_SETTINGS,
  getWritebackSettings,
  saveWritebackSettings,
  writebackSettingsPatchSchema,
  writebackSettingsSchema,
} from './settings';
export type { WritebackSettings, WritebackSettingsPatch } from './settings';
export type { WritebackTables } from './writeback.tables';
export { BATCH_INPUTS, createWritebackService, formatWritebackStatus } from './writeback.service';
export type {
  WritebackProgress,
  WritebackRunOptions,
  WritebackRunSummary,
  WritebackService,
  WritebackServiceDeps,
  WritebackStatus,
} from './writeback.service';
export { createWritebackHandler } from './writeback.worker';
export { buildPropertySet, creditPropertyName, ensureProperties } from './properties';
export type { PropertySet, WritebackPropertyDefinition, WritebackPropertyGroup } from './properties';
