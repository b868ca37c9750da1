import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema';

/** What repository functions take: the database or a transaction opened by a service. */
export type Executor = Kysely<DB> | Transaction<DB>;
