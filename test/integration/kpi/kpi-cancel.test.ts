import { sql } from 'kysely';
import pg from 'pg';
import { startWorker } from '../../../src/main/worker';
import { createTestContext, TEST_DATABASE_URL } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { OPEN_WON_PIPELINE, seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 41;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
  await seedPortal(ctx.db, {
    portalId: PORTAL,
    pipelines: [OPEN_WON_PIPELINE],
    contacts: [{ id: 1, createdAt: NOW - 60 * DAY, source: 'REFERRALS' }],
    deals: [
      {
        id: 5,
        pipelineId: 'default',
        stageId: 'won',
        amount: 300,
        createdAt: NOW - 30 * DAY,
        closedAt: NOW - DAY,
        contactIds: [1],
      },
    ],
    touches: [{ id: 't', contactId: 1, at: NOW - 61 * DAY, channel: 'REFERRALS' }],
  });
});
afterAll(async () => {
  await ctx.cleanup();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const resultRows = async () =>
  Number(
    (
      await ctx.db
        .selectFrom('kpi_snapshots')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('portal_id', '=', PORTAL)
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * SIGTERM while a KPI run is in a long statement: the shutdown aborts the job's signal, the
 * statement is cancelled, the transaction rolls back (the previous results stay), the run is
 * marked cancelled before the pool closes, and the job is retried by the next worker.
 */
test('a worker shutting down mid-run cancels the KPI run cleanly and the next worker redoes it', async () => {
  await ctx.kpi.recompute(PORTAL, { now: NOW });
  const before = await resultRows();
  expect(before).toBeGreaterThan(0);

  // Another session holds the deals table: the run deletes the previous results, then blocks
  // in its first statement on deals, as a long statement would run.
  const blocker = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    options: `-c search_path=${ctx.config.db.schema!}`,
  });
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query('lock table deals in access exclusive mode');
  try {
    let workers = startWorker(ctx, { queues: ['kpi'] });
    const job = await ctx.producer.enqueue('kpi.compute', { portalId: PORTAL }, { debounceMs: 0 });
    await waitFor('the run to wait on the deals table', async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation
        join pg_namespace ns on ns.oid = c.relnamespace
        where not l.granted and c.relname = 'deals' and ns.nspname = ${ctx.config.db.schema!}`.execute(
        ctx.db,
      );
      return rows[0]!.n > 0 ? true : undefined;
    });

    // What SIGTERM does (src/main/lifecycle.ts), with a short patience.
    const started = Date.now();
    const { forced } = await workers.close(300);
    // The cancelled statement ends the job within close()'s last second: nothing is left running.
    expect(forced).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    // Finished before close() returned, so before the pool would be destroyed.
    const cancelled = await ctx.db
      .selectFrom('kpi_runs')
      .select(['status', 'error'])
      .where('portal_id', '=', PORTAL)
      .orderBy('run_id', 'desc')
      .executeTakeFirstOrThrow();
    expect(cancelled.status).toBe('failed');
    expect(cancelled.error).toMatch(/aborted \(worker shutting down\): rolled back/);
    expect(cancelled.error).not.toMatch(/destroyed/);
    expect(await resultRows()).toBe(before);
    expect(['waiting', 'delayed', 'prioritized']).toContain(await job.getState());

    await blocker.query('rollback');
    workers = startWorker(ctx, { queues: ['kpi'] });
    try {
      await waitFor('the retried job to complete', async () =>
        (await job.getState()) === 'completed' ? true : undefined,
      );
    } finally {
      await workers.close(5_000);
    }
    const runs = await ctx.db
      .selectFrom('kpi_runs')
      .select('status')
      .where('portal_id', '=', PORTAL)
      .orderBy('run_id')
      .execute();
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(await resultRows()).toBe(before);
  } finally {
    await blocker.end();
  }
}, 60_000);
