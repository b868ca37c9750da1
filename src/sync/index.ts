/** What other features may use of sync. */
export type { BrandedSearchRow, CsvLineError, ImportKind, ImportResult, TrafficRow } from './traffic-import';
export {
  CsvImportError,
  importBrandedSearchRows,
  importCsv,
  importTrafficRows,
  parseBrandedSearchCsv,
  parseTrafficCsv,
  UnknownPortalError,
} from './traffic-import';
export type { AnalyticsAccess, TrafficLoadResult } from './traffic-sync';
export { loadTraffic, readAnalyticsAccess } from './traffic-sync';
