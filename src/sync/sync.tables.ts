import type { ColumnType, Selectable } from 'kysely';

/** Sync bookkeeping (migration 20261123T210000Z-create-sync-state). */
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type SyncStatus = 'idle' | 'running' | 'done' | 'failed';

export interface SyncStateTable {
  portal_id: number;
  stream: string;
  status: ColumnType<SyncStatus, SyncStatus | undefined, SyncStatus>;
  cursor: string | null;
  run_id: string | null;
  records_synced: ColumnType<number, number | undefined, number>;
  pages: ColumnType<number, number | undefined, number>;
  started_at: NullableTimestamp;
  last_success_at: NullableTimestamp;
  last_error: string | null;
  last_error_at: NullableTimestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SyncTables {
  sync_state: SyncStateTable;
}

export type SyncStateRow = Selectable<SyncStateTable>;
