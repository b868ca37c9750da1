import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db';
import type { Producer } from '../platform/queue/producer';
import { removeQueuedJobsOfPortal } from './portal-jobs';
import { listPortalsDueForPurge } from './portals.repository';

/**
 * Deleting everything we hold about a portal. The tables are read from the catalog
 * (every table of the connection's schema with a portal_id column), so a table added
 * by a later feature is covered without touching this file. Referencing tables are
 * emptied before the tables they reference; `portals` goes last.
 */
export async function listTenantTables(db: Database): Promise<string[]> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select c.table_name
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = current_schema() and c.column_name = 'portal_id' and t.table_type = 'BASE TABLE'
     order by c.table_name`.execute(db);
  const { rows: edges } = await sql<{ child: string; parent: string }>`
    select cl.relname as child, pcl.relname as parent
      from pg_constraint con
      join pg_class cl on cl.oid = con.conrelid
      join pg_class pcl on pcl.oid = con.confrelid
      join pg_namespace n on n.oid = cl.relnamespace
     where con.contype = 'f' and n.nspname = current_schema() and cl.relname <> pcl.relname`.execute(db);
  const names = tables.map((t) => t.table_name);
  const parentsOf = new Map(
    names.map((n) => [n, new Set(edges.filter((e) => e.child === n).map((e) => e.parent))]),
  );
  // Children first: a table is emitted once every table referencing it has been.
  const ordered: string[] = [];
  const remaining = new Set(names);
  while (remaining.size > 0) {
    const next = [...remaining].filter(
      (n) => ![...remaining].some((other) => other !== n && parentsOf.get(other)?.has(n)),
    );
    const batch = next.length > 0 ? next : [...remaining]; // a cycle: fall back to any order
    for (const n of batch.sort()) {
      ordered.push(n);
      remaining.delete(n);
    }
  }
  return ordered;
}

export async function purgePortal(
  db: Database,
  portalId: number,
): Promise<{ deleted: Record<string, number> }> {
  const tables = await listTenantTables(db);
  const deleted: Record<string, number> = {};
  await db.transaction().execute(async (trx) => {
    for (const table of tables) {
      const result = await sql`delete from ${sql.table(table)} where portal_id = ${portalId}`.execute(trx);
      deleted[table] = Number(result.numAffectedRows ?? 0);
    }
  });
  return { deleted };
}

/** Purges every portal uninstalled at least `graceDays` ago. */
export async function purgeDuePortals(
  db: Database,
  options: { graceDays: number; now: Date },
): Promise<number[]> {
  const cutoff = new Date(options.now.getTime() - options.graceDays * 86_400_000);
  const due = await listPortalsDueForPurge(db, cutoff);
  for (const portalId of due) await purgePortal(db, portalId);
  return due;
}

export type PurgeService = {
  /** Everything held about a portal, now: its queued jobs, then every row with its portal_id. */
  purgePortal(portalId: number): Promise<{ removedJobs: number; deleted: Record<string, number> }>;
  /** Purges every portal uninstalled at least the grace period ago; returns their ids. */
  purgeDue(now: Date): Promise<number[]>;
};

/** The purge as the worker's daily job and `kpi-bridge purge` use it. */
export function createPurgeService(deps: {
  db: Database;
  producer: Producer;
  graceDays: number;
  logger: Logger;
}): PurgeService {
  const log = deps.logger.child({ name: 'install' });
  async function purgeOne(portalId: number) {
    const removedJobs = await removeQueuedJobsOfPortal(deps.producer, portalId);
    const { deleted } = await purgePortal(deps.db, portalId);
    return { removedJobs, deleted };
  }
  async function purgeDue(now: Date): Promise<number[]> {
    const cutoff = new Date(now.getTime() - deps.graceDays * 86_400_000);
    const due = await listPortalsDueForPurge(deps.db, cutoff);
    for (const portalId of due) await purgeOne(portalId);
    if (due.length > 0) log.info({ portals: due }, 'purged uninstalled portals');
    return due;
  }
  return { purgePortal: purgeOne, purgeDue };
}
