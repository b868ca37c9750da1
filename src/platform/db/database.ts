import { Kysely, PostgresDialect } from 'kysely';
import type { PostgresPool, PostgresPoolClient, Transaction } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Config } from '../../config';

/**
 * pg parsing policy, decided once for the whole app:
 * - int8 (bigint: HubSpot ids, counts) → JS number. HubSpot ids stay far below 2^53;
 *   a value that does not fit throws rather than silently losing digits.
 * - numeric (money, rates) → JS number. Amounts are stored with 2–6 decimals and stay
 *   far below 2^53 cents; KPI code rounds money to cents where it must sum exactly.
 */
const INT8_OID = 20;
const NUMERIC_OID = 1700;
pg.types.setTypeParser(INT8_OID, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
});
pg.types.setTypeParser(NUMERIC_OID, (value: string) => Number(value));

export type PoolEvents = {
  /** A connection was lost (server restart, failover, pg_terminate_backend, a pooler's timeout). */
  onConnectionError?: (err: Error) => void;
};

export function createPool(db: Config['db'], events: PoolEvents = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: db.url,
    max: db.poolMax,
    // The search_path lets one database hold isolated copies of the schema (tests, previews).
    ...(db.schema ? { options: `-c search_path=${db.schema}` } : {}),
    connectionTimeoutMillis: 5_000,
    // pg's default closes a connection after 10 s idle, and the pool hands out the most recently
    // used one first: at a steady 1,000 cards/s a few connections did all the work, the rest were
    // closed, and the next burst paid for new ones (a backend started, the card statements
    // prepared and planned anew: 5+ ms each), which made most of the card API's slowest answers.
    idleTimeoutMillis: 120_000,
  });
  // A dropped connection emits 'error' on its client (and on the pool when it was idle); with
  // no listener that event kills the process. The pool discards the client and the next query
  // opens a new connection; a query that was running on it fails and its caller retries.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', (err) => events.onConnectionError?.(err)));
  return pool;
}

/**
 * A Kysely over a pool of its own. Generic over the table types: the platform knows no
 * feature, and the app's `DB` is assembled where the features are composed (src/db.ts).
 */
export function createKysely<DB>(db: Config['db'], events: PoolEvents = {}): Kysely<DB> {
  const pool = createPool(db, events);
  // The cursor lets `stream()` read a large result in chunks (report drill-downs, CSV exports).
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  pools.set(kysely, pool);
  return kysely;
}

// Kysely keeps its pool to itself; withRawClient finds it here.
const pools = new WeakMap<object, pg.Pool>();

/** A pg connection of its own, for what Kysely does not do (binary COPY), and a Kysely on it. */
export type RawClientSession<DB> = {
  /** Kysely on `client` alone: its transactions and queries share the client's session. */
  db: Kysely<DB>;
  client: pg.PoolClient;
};

/**
 * Checks a pg client out of the database's pool for `fn`, with a Kysely bound to that one
 * client: a transaction opened on `session.db` and a COPY run on `session.client` are one
 * transaction, in order. The client goes back to the pool after `fn`; after a failure it is
 * closed instead (a COPY cut short can leave the connection mid-protocol).
 */
export async function withRawClient<DB, T>(
  db: Kysely<DB>,
  fn: (session: RawClientSession<DB>) => Promise<T>,
): Promise<T> {
  const pool = pools.get(db);
  if (!pool)
    throw new Error('withRawClient needs a Kysely made by createKysely (a root instance, not a transaction)');
  const client = await pool.connect();
  const session = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: singleClientPool(client), cursor: Cursor }),
  });
  let failed: Error | undefined;
  try {
    return await fn({ db: session, client });
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    await session.destroy();
    client.release(failed);
  }
}

/**
 * Like withRawClient, but on a connection of its own, opened for `fn` and closed after it (same
 * server, user and search_path as the pool): for work that runs beside a long transaction that
 * holds a pooled connection, without taking the pool's other connections, which the rest of the
 * process (cancelling a statement, for one) still needs.
 */
export async function withDedicatedClient<DB, T>(
  db: Kysely<DB>,
  fn: (session: { db: Kysely<DB>; client: pg.Client }) => Promise<T>,
): Promise<T> {
  const pool = pools.get(db);
  if (!pool)
    throw new Error(
      'withDedicatedClient needs a Kysely made by createKysely (a root instance, not a transaction)',
    );
  const { connectionString, options, connectionTimeoutMillis } = pool.options;
  const client = new pg.Client({
    ...(connectionString === undefined ? {} : { connectionString }),
    ...(options === undefined ? {} : { options }),
    ...(connectionTimeoutMillis === undefined ? {} : { connectionTimeoutMillis }),
  });
  client.on('error', () => undefined);
  await client.connect();
  const session = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: singleClientPool(client), cursor: Cursor }),
  });
  try {
    return await fn({ db: session, client });
  } finally {
    await session.destroy();
    await client.end().catch(() => undefined);
  }
}

/** withRawClient around one transaction: `fn` gets the transaction and the raw client it runs on. */
export function withRawTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>, client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withRawClient(db, (session) => session.db.transaction().execute((trx) => fn(trx, session.client)));
}

/** A "pool" that always hands Kysely the same checked-out client, whose release is ours to do. */
function singleClientPool(client: pg.PoolClient | pg.Client): PostgresPool {
  const lease: PostgresPoolClient = {
    query: client.query.bind(client),
    release: () => undefined,
  };
  return { connect: () => Promise.resolve(lease), end: () => Promise.resolve(), options: {} };
}
