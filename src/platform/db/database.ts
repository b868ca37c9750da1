import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
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

export function createPool(db: Config['db']): pg.Pool {
  return new pg.Pool({
    connectionString: db.url,
    max: db.poolMax,
    // The search_path lets one database hold isolated copies of the schema (tests, previews).
    ...(db.schema ? { options: `-c search_path=${db.schema}` } : {}),
    connectionTimeoutMillis: 5_000,
  });
}

/**
 * A Kysely over a pool of its own. Generic over the table types: the platform knows no
 * feature, and the app's `DB` is assembled where the features are composed (src/db.ts).
 */
export function createKysely<DB>(db: Config['db']): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(db) }) });
}
