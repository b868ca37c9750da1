import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import { createDb } from '../../../src/db';
import type { Database, DB } from '../../../src/db';
import { withRawClient, withRawTransaction } from '../../../src/platform/db/database';
import {
  BinaryCopyReader,
  BinaryCopyWriter,
  openCopyIn,
  openCopyOut,
} from '../../../src/kpi/queries/pg-copy';
import { createTestSchema, TEST_DATABASE_URL } from '../../helpers/test-context';

/**
 * Binary COPY runs on a pg client checked out of the pool (withRawClient), with a Kysely bound
 * to that same client: COPY and typed queries are one session and one transaction.
 */
let db: Database;
let drop: () => Promise<void>;

beforeAll(async () => {
  const schema = await createTestSchema();
  drop = schema.drop;
  db = createDb({ url: TEST_DATABASE_URL, poolMax: 3, schema: schema.schema });
  await sql`create table copy_probe (id int8 not null, label text not null)`.execute(db);
});
afterAll(async () => {
  await db.destroy();
  await drop();
});

async function copyRows(client: Parameters<typeof openCopyIn>[0], rows: [number, string][]): Promise<void> {
  const stream = openCopyIn(client, 'copy copy_probe (id, label) from stdin with (format binary)');
  const writer = new BinaryCopyWriter(stream);
  for (const [id, label] of rows) {
    writer.beginTuple(2);
    writer.writeInt8(id);
    writer.writeBytes(Buffer.from(label, 'utf8'));
    await writer.flushIfFull();
  }
  await writer.finish();
}

const ids = async () =>
  (await sql<{ id: number }>`select id from copy_probe order by id`.execute(db)).rows.map((r) => r.id);

afterEach(async () => {
  await sql`truncate copy_probe`.execute(db);
});

it('runs the session Kysely and the raw client on one backend', async () => {
  const [viaKysely, viaClient] = await withRawClient(db, async ({ db: session, client }) => {
    const a = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(session);
    const b = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return [a.rows[0]!.pid, b.rows[0]!.pid];
  });
  expect(viaKysely).toBe(viaClient);
});

it('a COPY in the transaction commits with it, and reads back through COPY TO', async () => {
  await withRawTransaction(db, async (trx, client) => {
    await sql`insert into copy_probe (id, label) values (1, 'typed')`.execute(trx);
    await copyRows(client, [
      [2, 'copied'],
      [3, 'copied'],
    ]);
    // The typed query sees the copied rows: same transaction.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from copy_probe`.execute(trx);
    expect(rows[0]!.n).toBe(3);
  });
  expect(await ids()).toEqual([1, 2, 3]);

  const labels = await withRawClient(db, async ({ client }) => {
    const reader = new BinaryCopyReader(
      openCopyOut(client, 'copy (select label from copy_probe order by id) to stdout with (format binary)'),
    );
    const out: (string | null)[] = [];
    while (await reader.next()) out.push(reader.readText());
    return out;
  });
  expect(labels).toEqual(['typed', 'copied', 'copied']);
});

it('a COPY in a transaction that fails is rolled back with it, and the pool stays usable', async () => {
  await expect(
    withRawTransaction(db, async (_trx, client) => {
      await copyRows(client, [[4, 'rolled back']]);
      throw new Error('later stage failed');
    }),
  ).rejects.toThrow('later stage failed');
  expect(await ids()).toEqual([]);

  // A COPY the server refuses mid-stream (a text value where int8 is expected) fails the call…
  await expect(
    withRawClient(db, async ({ client }) => {
      const stream = openCopyIn(client, 'copy copy_probe (id, label) from stdin with (format binary)');
      stream.end(Buffer.from('not a binary copy header'));
      await finished(stream);
    }),
  ).rejects.toThrow();
  // …and every connection the pool hands out afterwards works.
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => sql<{ one: number }>`select 1 as one`.execute(db)),
  );
  expect(answers.map((a) => a.rows[0]!.one)).toEqual([1, 1, 1, 1, 1, 1]);
});

it('refuses a transaction, which has no pool of its own to check a client out of', async () => {
  await expect(
    db.transaction().execute((trx) => withRawClient<DB, void>(trx, () => Promise.resolve())),
  ).rejects.toThrow(/root instance/);
});
