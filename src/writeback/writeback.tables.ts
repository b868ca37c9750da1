import type { ColumnType, Generated } from 'kysely';

/** Typed shape of the write-back tables (migration 20261130T072000Z-writeback). */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string | T | undefined, string | T>;

export type WritebackObjectType = 'deals' | 'contacts';
/** Canonical values as sent to HubSpot: property name → string ('' clears the property). */
export type WrittenValues = Record<string, string>;

export interface WritebackSettingsTable {
  portal_id: number;
  settings: Json<Record<string, unknown>>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WritebackLastWrittenTable {
  portal_id: number;
  object_type: WritebackObjectType;
  record_id: number;
  written: Json<WrittenValues>;
  written_at: Timestamp | null;
  failed: Json<WrittenValues> | null;
  failure_reason: string | null;
  failure_message: string | null;
  failed_at: Timestamp | null;
}

export type WritebackRunStatus = 'running' | 'succeeded' | 'failed' | 'stopped';

export interface WritebackRunTable {
  portal_id: number;
  run_id: Generated<number>;
  kpi_run_id: number | null;
  status: WritebackRunStatus;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Timestamp | null;
  cursor: Json<Partial<Record<WritebackObjectType, number>>>;
  records_written: Json<Partial<Record<WritebackObjectType, number>>>;
  calls: ColumnType<number, number | undefined, number>;
  failures: Json<Record<string, number>>;
  error: string | null;
}

export interface WritebackTables {
  writeback_settings: WritebackSettingsTable;
  writeback_last_written: WritebackLastWrittenTable;
  writeback_runs: WritebackRunTable;
}
