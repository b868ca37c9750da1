import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';

/**
 * Ties a transaction to an AbortSignal: on abort, the statement the transaction's connection is
 * running is cancelled (pg_cancel_backend from another pooled connection), so a long statement
 * ends in milliseconds, the transaction rolls back, and the caller's error handling runs while
 * the pool still exists. Without it, a worker shutting down waits for the statement, gives up,
 * destroys the pool, and the run dies with "driver has already been destroyed".
 * Returns the function that unties them; call it when the transaction ends.
 */
export async function cancelOnAbort<DB>(
  trx: Transaction<DB>,
  db: Kysely<DB>,
  signal: AbortSignal | undefined,
): Promise<() => void> {
  if (!signal) return () => undefined;
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
  const pid = rows[0]!.pid;
  const onAbort = () => {
    void sql`select pg_cancel_backend(${pid})`.execute(db).catch(() => undefined);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
