import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { Migrator, NO_MIGRATIONS } from 'kysely/migration';
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider, MigrationResultSet } from 'kysely/migration';

/** Source (src/platform/db) and compiled (dist/src/platform/db) layouts both resolve here. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../../migrations');

/**
 * Loads every migration file of a folder with require(): the project is CommonJS, so the
 * compiled .js files load in production and the .ts sources load under jest's transform.
 * Files are ordered by name, which is an ISO timestamp.
 */
export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(this.folder))
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(this.folder, file)) as Partial<Migration>;
      if (typeof mod.up !== 'function') throw new Error(`migration ${file} exports no up()`);
      migrations[file.replace(/\.(ts|js)$/, '')] = mod as Migration;
    }
    return migrations;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any>
type AnyDb = Kysely<any>;

function createMigrator(db: AnyDb, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: new FolderMigrationProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

async function ensureSchema(db: AnyDb, schema?: string): Promise<void> {
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
}

function unwrap(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`, {
      cause: result.error,
    });
  }
  return result;
}

export async function migrateToLatest(db: AnyDb, schema?: string): Promise<MigrationResultSet> {
  await ensureSchema(db, schema);
  return unwrap(await createMigrator(db, schema).migrateToLatest());
}

export async function migrateDownOne(db: AnyDb, schema?: string): Promise<MigrationResultSet> {
  return unwrap(await createMigrator(db, schema).migrateDown());
}

export async function migrateDownAll(db: AnyDb, schema?: string): Promise<MigrationResultSet> {
  return unwrap(await createMigrator(db, schema).migrateTo(NO_MIGRATIONS));
}
