import type { ColumnType } from 'kysely';

/** Web traffic inputs besides `web_traffic_daily` (migration 20261130T060409Z-activities-and-traffic). */

// pg reads a `date` as a Date at local midnight: select `day::text` for the calendar day.
type Day = ColumnType<Date, string, string>;

/** Uploaded branded search volume per day (HubSpot does not know it). */
export interface BrandedSearchDailyTable {
  portal_id: number;
  day: Day;
  searches: number;
}

export type AnalyticsAccessStatus = 'available' | 'unavailable';

/** Whether the portal's subscription serves the analytics sources report, checked once. */
export interface AnalyticsAccessTable {
  portal_id: number;
  status: AnalyticsAccessStatus;
  reason: string | null;
  checked_at: ColumnType<Date, Date | string, Date | string>;
  loaded_through: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface TrafficTables {
  branded_search_daily: BrandedSearchDailyTable;
  analytics_access: AnalyticsAccessTable;
}
