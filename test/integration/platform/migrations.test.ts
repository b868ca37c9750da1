import { sql } from 'kysely';
import { createDb } from '../../../src/db';
import {
  FolderMigrationProvider,
  migrateDownAll,
  migrateDownOne,
  migrateToLatest,
} from '../../../src/platform/db/migrator';
import { TEST_DATABASE_URL, uniqueName } from '../../helpers/test-context';

async function tablesIn(db: ReturnType<typeof createDb>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(
    db,
  );
  return rows.map((r) => r.table_name).filter((t) => !t.startsWith('kysely_'));
}

describe('migrations', () => {
  const schema = uniqueName('mig');
  const db = createDb({ url: TEST_DATABASE_URL, poolMax: 2, schema });

  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  it('apply to an empty database, revert one by one to nothing, and apply again', async () => {
    const names = Object.keys(await new FolderMigrationProvider().getMigrations());
    expect(names.length).toBeGreaterThan(0);
    expect([...names].sort()).toEqual(names); // ISO timestamps order the files

    const up = await migrateToLatest(db, schema);
    expect(up.results?.map((r) => r.migrationName)).toEqual(names);
    expect(await tablesIn(db, schema)).toContain('portals');

    // Every down() must work on its own, newest first.
    for (let i = names.length - 1; i >= 0; i--) {
      const down = await migrateDownOne(db, schema);
      expect(down.results?.map((r) => [r.migrationName, r.direction])).toEqual([[names[i], 'Down']]);
    }
    expect(await tablesIn(db, schema)).toEqual([]);

    await migrateToLatest(db, schema);
    const again = await migrateToLatest(db, schema);
    expect(again.results).toEqual([]); // idempotent
    await migrateDownAll(db, schema);
    expect(await tablesIn(db, schema)).toEqual([]);
  });
});
