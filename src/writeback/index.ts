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
