import type { ColumnType, Generated, Selectable } from 'kysely';
import type { InstallTables } from '../../install/install.tables';
import type { KpiTables } from '../../kpi/kpi.tables';
import type { MirrorTables } from '../../sync/mirror.tables';
import type { SyncTables } from '../../sync/sync.tables';
import type { WritebackTables } from '../../writeback/writeback.tables';

/**
 * The typed shape of every table. Every tenant table's key starts with portal_id,
 * and every query is scoped by it (see the tenant-isolation test).
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type PortalStatus = 'installed' | 'uninstalled';

export interface PortalTable {
  portal_id: number;
  status: PortalStatus;
  hub_domain: string | null;
  time_zone: string | null;
  company_currency: string | null;
  installed_at: Timestamp;
  uninstalled_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type PortalRow = Selectable<PortalTable>;

/**
 * Every table of the app. Each feature keeps its table types beside its code and
 * adds them here with one `extends`.
 */
export interface DB extends MirrorTables, SyncTables, KpiTables, InstallTables, WritebackTables {
  portals: PortalTable;
}

export type { Generated };
