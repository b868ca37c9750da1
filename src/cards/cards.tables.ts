import type { ColumnType } from 'kysely';

/** Typed shape of the settings page's table (migration *-create-portal-settings). */
export interface PortalSettingsTable {
  portal_id: number;
  default_models: ColumnType<Record<string, string>, string | undefined, string>;
  clv_average_order_value: number | null;
  clv_orders_per_year: number | null;
  clv_years_as_customer: number | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CardsTables {
  portal_settings: PortalSettingsTable;
}
