import type { Kysely, Transaction } from 'kysely';
import type { CardsTables } from './cards/cards.tables';
import type { Config } from './config';
import type { InstallTables } from './install/install.tables';
import type { KpiTables } from './kpi/kpi.tables';
import { createKysely } from './platform/db/database';
import type { PoolEvents } from './platform/db/database';
import type { MirrorTables } from './sync/mirror.tables';
import type { SyncTables } from './sync/sync.tables';
import type { TrafficTables } from './sync/traffic.tables';

/**
 * Every table of the app, assembled here where the features are composed (src/platform
 * imports no feature). Each feature keeps its table types beside its code
 * (`<feature>.tables.ts`) and adds them with one `extends`. Every tenant table's key
 * starts with portal_id, and every query is scoped by it (see the tenant-isolation tests).
 */
export interface DB extends InstallTables, MirrorTables, SyncTables, KpiTables, TrafficTables, CardsTables {}

export type Database = Kysely<DB>;

/** What repository functions take: the database or a transaction opened by a service. */
export type Executor = Kysely<DB> | Transaction<DB>;

export function createDb(db: Config['db'], events: PoolEvents = {}): Database {
  return createKysely<DB>(db, events);
}
