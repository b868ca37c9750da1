import { sql } from 'kysely';
import { createDb } from '../../../src/db';
import { createTestSchema, TEST_DATABASE_URL } from '../../helpers/test-context';

/**
 * Multi-tenancy starts in the schema: every table of the app (now and future ones, read
 * from the catalog) carries portal_id as the first column of its primary key, so every
 * lookup by key is a lookup within one portal and the schema can be distributed by it.
 */
describe('tenant keys', () => {
  it('every table has a primary key that starts with portal_id', async () => {
    const { schema, drop } = await createTestSchema();
    const db = createDb({ url: TEST_DATABASE_URL, poolMax: 1, schema });
    try {
      const { rows } = await sql<{ table_name: string; first_key_column: string | null }>`
        select t.table_name,
               (select a.attname
                  from pg_index i
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                 where i.indrelid = (quote_ident(t.table_schema) || '.' || quote_ident(t.table_name))::regclass
                   and i.indisprimary) as first_key_column
          from information_schema.tables t
         where t.table_schema = ${schema} and t.table_type = 'BASE TABLE'
           and t.table_name not like 'kysely\\_%'`.execute(db);
      expect(rows.length).toBeGreaterThan(5);
      const offenders = rows.filter((r) => r.first_key_column !== 'portal_id').map((r) => r.table_name);
      expect(offenders).toEqual([]);
    } finally {
      await db.destroy();
      await drop();
    }
  });
});
