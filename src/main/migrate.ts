import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { sql } from 'kysely';
import { createDb } from '../db';
import type { Database } from '../db';
import { migrateDownOne, migrateToLatest } from '../platform/db/migrator';

/**
 * Creates the configured database when it does not exist yet, so that a machine with a
 * local Postgres needs no setup beyond `kpi-bridge migrate`.
 */
export async function ensureDatabaseExists(dbUrl: string, logger: Logger): Promise<void> {
  const probe = new pg.Client({ connectionString: dbUrl });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
  } finally {
    await probe.end().catch(() => undefined);
  }
  const url = new URL(dbUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    logger.info({ database: name }, 'created database');
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by another process
  } finally {
    await admin.end();
  }
}

export async function runMigrations(
  config: Config,
  logger: Logger,
  direction: 'up' | 'down',
): Promise<string[]> {
  await ensureDatabaseExists(config.db.url, logger);
  const db = createDb(config.db);
  try {
    // Always name the schema of the migration tables: without one, kysely looks for them in
    // every schema, finds another schema's (the demo's kpi_bridge_demo), and then fails on the
    // missing kysely_migration_lock of this one.
    const schema = config.db.schema ?? (await currentSchema(db));
    const result = direction === 'up' ? await migrateToLatest(db, schema) : await migrateDownOne(db, schema);
    const applied = (result.results ?? []).map(
      (r) => `${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`,
    );
    for (const line of applied) logger.info(line);
    if (applied.length === 0)
      logger.info(direction === 'up' ? 'database is up to date' : 'nothing to revert');
    return applied;
  } finally {
    await db.destroy();
  }
}

async function currentSchema(db: Database): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? 'public';
}
