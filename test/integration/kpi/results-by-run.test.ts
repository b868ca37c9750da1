import { sql } from 'kysely';
import pg from 'pg';
import { purgePortal } from '../../../src/install/purge';
import { readPortalState } from '../../../src/cards/portal-state';
import { findLatestRun } from '../../../src/reports/report-data';
import { createKpiService, deleteOtherRuns } from '../../../src/kpi/kpi.service';
import { createTestContext, silentLogger, TEST_DATABASE_URL } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { OPEN_WON_PIPELINE, seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 51;
const OTHER = 52;

/** The result views readers use, and the tables under them. */
const VIEWS = [
  'kpi_snapshots',
  'kpi_deal_rows',
  'kpi_contact_rows',
  'kpi_credits',
  'kpi_channel_totals',
  'kpi_attribution_totals',
] as const;

let ctx: TestContext;
const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    options: `-c search_path=${ctx.config.db.schema!}`,
  });
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  ctx = await createTestContext();
  for (const portalId of [PORTAL, OTHER])
    await seedPortal(ctx.db, {
      portalId,
      pipelines: [OPEN_WON_PIPELINE],
      contacts: [
        { id: 1, createdAt: NOW - 60 * DAY, source: 'REFERRALS' },
        { id: 2, createdAt: NOW - 50 * DAY, source: 'ORGANIC_SEARCH' },
      ],
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
        {
          id: 6,
          pipelineId: 'default',
          stageId: 'open',
          amount: 50,
          createdAt: NOW - 20 * DAY,
          closedAt: null,
          contactIds: [2],
        },
      ],
      touches: [
        { id: 't1', contactId: 1, at: NOW - 61 * DAY, channel: 'REFERRALS' },
        { id: 't2', contactId: 2, at: NOW - 51 * DAY, channel: 'PAID_SEARCH' },
      ],
    });
});
afterAll(async () => {
  for (const client of clients) await client.end();
  await ctx.cleanup();
});

/** Run ids per view (or per `_by_run` table), all read in one statement, so from one snapshot. */
async function runsPerTable(
  client: pg.Client,
  portalId: number,
  suffix: '' | '_by_run',
): Promise<Record<string, number[]>> {
  const union = VIEWS.map((v) => `select '${v}' as t, run_id from ${v}${suffix} where portal_id = $1`).join(
    ' union all ',
  );
  const { rows } = await client.query<{ t: string; runs: string[] }>(
    `select t, array_agg(distinct run_id order by run_id) as runs from (${union}) x group by t`,
    [portalId],
  );
  return Object.fromEntries(VIEWS.map((v) => [v, (rows.find((r) => r.t === v)?.runs ?? []).map(Number)]));
}

async function currentRun(client: pg.Client, portalId: number): Promise<number | undefined> {
  const { rows } = await client.query<{ run_id: string }>(
    'select run_id from kpi_current_runs where portal_id = $1',
    [portalId],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].run_id);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a recompute switches the readers from one run to the next in its commit and deletes the old rows after it', async () => {
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  const first = await service.recompute(PORTAL, { now: NOW });
  const other = await service.recompute(OTHER, { now: NOW });
  const reader = await connect();
  const all = (runId: number) => Object.fromEntries(VIEWS.map((v) => [v, [runId]]));
  expect(await runsPerTable(reader, PORTAL, '')).toEqual(all(first.runId));
  expect(await runsPerTable(reader, PORTAL, '_by_run')).toEqual(all(first.runId));
  const otherBefore = await runsPerTable(reader, OTHER, '_by_run');
  const firstRows = Number(
    (
      await reader.query<{ n: string }>(
        `select (${VIEWS.map((v) => `(select count(*) from ${v} where portal_id = $1)`).join(' + ')}) as n`,
        [PORTAL],
      )
    ).rows[0]!.n,
  );

  // Another session holds run 1's snapshot rows, so the cleanup after the commit waits on them and
  // the moment between the switch and the cleanup can be looked at.
  const blocker = await connect();
  await blocker.query('begin');
  await blocker.query('select 1 from kpi_snapshots_by_run where portal_id = $1 for update', [PORTAL]);

  // A reader polling all the views while the second run computes, commits and cleans up: every
  // statement sees one run's rows in every view, first run 1's, then run 2's.
  const seen: number[][] = [];
  let done = false;
  const second = service.recompute(PORTAL, { now: NOW });
  second.finally(() => (done = true)).catch(() => undefined);
  const poller = await connect();
  const polling = (async () => {
    while (!done) {
      const runs = await runsPerTable(poller, PORTAL, '');
      seen.push([...new Set(Object.values(runs).flat())]);
      for (const v of VIEWS) expect(runs[v]).toHaveLength(1);
    }
  })();

  const secondRunId = await waitFor('the switch to the second run', async () => {
    const run = await currentRun(reader, PORTAL);
    return run !== undefined && run !== first.runId ? run : undefined;
  });
  // Committed: the readers see run 2 only, while both runs' rows are still in the tables.
  expect(await runsPerTable(reader, PORTAL, '')).toEqual(all(secondRunId));
  expect(await runsPerTable(reader, PORTAL, '_by_run')).toEqual(
    Object.fromEntries(VIEWS.map((v) => [v, [first.runId, secondRunId]])),
  );
  expect(done).toBe(false);

  await blocker.query('rollback');
  const summary = await second;
  await polling;
  expect(summary.runId).toBe(secondRunId);
  expect(summary.visibleMs).toBeGreaterThan(0);
  expect(summary.timings['cleanup previous runs']).toBeGreaterThanOrEqual(0);
  // After the cleanup only run 2's rows are left, and the other portal's are untouched.
  expect(await runsPerTable(reader, PORTAL, '_by_run')).toEqual(all(secondRunId));
  expect(summary.deletedRows).toBe(firstRows);
  expect(await runsPerTable(reader, OTHER, '_by_run')).toEqual(otherBefore);
  expect(otherBefore).toEqual(all(other.runId));

  // Each poll saw exactly one run; the runs seen go from the first to the second, never back.
  expect(seen.length).toBeGreaterThan(0);
  for (const runs of seen) expect(runs).toHaveLength(1);
  const order = seen.map((runs) => runs[0]!);
  expect(order.filter((run, i) => i > 0 && run !== order[i - 1])).toEqual(
    order.includes(first.runId) ? [secondRunId] : [],
  );
  expect(order.at(-1)).toBe(secondRunId);
}, 60_000);

test('a failed run leaves the current run and its rows in place; purge removes every run’s rows', async () => {
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  const reader = await connect();
  const before = await currentRun(reader, PORTAL);
  const controller = new AbortController();
  controller.abort();
  await expect(service.recompute(PORTAL, { now: NOW, signal: controller.signal })).rejects.toThrow('aborted');
  expect(await currentRun(reader, PORTAL)).toBe(before);
  expect(await runsPerTable(reader, PORTAL, '')).toEqual(Object.fromEntries(VIEWS.map((v) => [v, [before]])));

  // Rows an interrupted cleanup left behind (an older run's) are hidden, and purged with the rest.
  await sql`insert into kpi_deal_rows_by_run select portal_id, deal_id, pipeline_id, stage_id, owner_id, source,
      outcome, amount_home, created_at, close_date, age_days, days_to_close, days_in_stage, stage_median_days,
      pipeline_velocity, pipeline_qualified, pipeline_win_rate, pipeline_avg_won_size, pipeline_cycle_days, 0
    from kpi_deal_rows where portal_id = ${PORTAL}`.execute(ctx.db);
  expect((await runsPerTable(reader, PORTAL, '')).kpi_deal_rows).toEqual([before]);
  expect((await runsPerTable(reader, PORTAL, '_by_run')).kpi_deal_rows).toEqual([0, before]);
  await purgePortal(ctx.db, PORTAL);
  const { rows } = await reader.query<{ table_name: string }>(
    `select table_name from information_schema.columns where table_schema = current_schema() and column_name = 'portal_id'`,
  );
  expect(rows.map((r) => r.table_name)).toEqual(
    expect.arrayContaining(['kpi_current_runs', 'kpi_credits_by_run']),
  );
  for (const { table_name } of rows) {
    const n = await reader.query<{ n: string }>(
      `select count(*) as n from ${table_name} where portal_id = $1`,
      [PORTAL],
    );
    expect([table_name, Number(n.rows[0]!.n)]).toEqual([table_name, 0]);
  }
  // The other portal keeps its results.
  expect(Object.values(await runsPerTable(reader, OTHER, '')).every((runs) => runs.length === 1)).toBe(true);
});

test('rows a failed run committed (its snapshot session commits its own) stay hidden and go with the next cleanup', async () => {
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  const reader = await connect();
  const first = await service.recompute(OTHER, { now: NOW });
  expect(await currentRun(reader, OTHER)).toBe(first.runId);

  // Hold the computation at its channel totals (a share lock conflicts with its insert) until the
  // snapshot session has committed this run's rows, then abort it: it rolls back its own rows only.
  const blocker = await connect();
  await blocker.query('begin');
  await blocker.query('lock table kpi_channel_totals_by_run in share mode');
  const controller = new AbortController();
  const failing = service.recompute(OTHER, { now: NOW, signal: controller.signal });
  failing.catch(() => undefined);
  const failedRun = await waitFor('the session rows of the second run', async () => {
    const { rows } = await reader.query<{ run_id: string }>(
      'select distinct run_id from kpi_deal_rows_by_run where portal_id = $1 and run_id <> $2',
      [OTHER, first.runId],
    );
    return rows[0] === undefined ? undefined : Number(rows[0].run_id);
  });
  controller.abort();
  await expect(failing).rejects.toThrow('aborted');
  await blocker.query('rollback');

  // Readers still see the first run only; the failed run's snapshot and deal rows are in the tables.
  expect(await currentRun(reader, OTHER)).toBe(first.runId);
  expect(await runsPerTable(reader, OTHER, '')).toEqual(
    Object.fromEntries(VIEWS.map((v) => [v, [first.runId]])),
  );
  const tables = await runsPerTable(reader, OTHER, '_by_run');
  expect(tables.kpi_snapshots).toEqual([first.runId, failedRun]);
  expect(tables.kpi_deal_rows).toEqual([first.runId, failedRun]);
  expect(tables.kpi_credits).toEqual([first.runId]);
  const { rows: status } = await reader.query<{ status: string }>(
    'select status from kpi_runs where portal_id = $1 and run_id = $2',
    [OTHER, failedRun],
  );
  expect(status[0]?.status).toBe('failed');

  // The next run's cleanup deletes both the first run's rows and the failed run's.
  const next = await service.recompute(OTHER, { now: NOW });
  expect(await runsPerTable(reader, OTHER, '_by_run')).toEqual(
    Object.fromEntries(VIEWS.map((v) => [v, [next.runId]])),
  );
}, 60_000);

test('a cleanup leaves every row alone while a computation of the portal holds its lock', async () => {
  const reader = await connect();
  const current = await currentRun(reader, OTHER);
  expect(current).toBeDefined();
  // Rows of a run in progress (its session commits them before the run turns succeeded).
  await sql`insert into kpi_deal_rows_by_run select portal_id, deal_id, pipeline_id, stage_id, owner_id, source,
      outcome, amount_home, created_at, close_date, age_days, days_to_close, days_in_stage, stage_median_days,
      pipeline_velocity, pipeline_qualified, pipeline_win_rate, pipeline_avg_won_size, pipeline_cycle_days, ${current! + 1000}
    from kpi_deal_rows where portal_id = ${OTHER}`.execute(ctx.db);
  const computing = await connect();
  await computing.query('begin');
  await computing.query(`select pg_advisory_xact_lock(hashtext('kpi.compute'), hashtext($1))`, [
    String(OTHER),
  ]);
  expect(await deleteOtherRuns(ctx.db, OTHER)).toBe(0);
  expect((await runsPerTable(reader, OTHER, '_by_run')).kpi_deal_rows).toEqual([current, current! + 1000]);
  // Another portal's computation does not hold this one back.
  await computing.query('commit');
  await computing.query('begin');
  await computing.query(`select pg_advisory_xact_lock(hashtext('kpi.compute'), hashtext($1))`, [
    String(PORTAL),
  ]);
  expect(await deleteOtherRuns(ctx.db, OTHER)).toBeGreaterThan(0);
  expect((await runsPerTable(reader, OTHER, '_by_run')).kpi_deal_rows).toEqual([current]);
  await computing.query('commit');
});

test('readers take the run that committed last as the current one, whatever its id', async () => {
  const service = createKpiService({ db: ctx.db, logger: silentLogger() });
  const latest = await service.recompute(OTHER, { now: NOW });
  // A run that took its id before `latest` but committed after it (run ids are taken before the
  // computation's lock): its commit makes it the current run, and the readers must follow.
  await sql`insert into kpi_runs (portal_id, run_id, status, as_of, started_at)
    values (${OTHER}, 0, 'running', ${new Date(NOW - DAY)}, now())`.execute(ctx.db);
  await sql`update kpi_runs set status = 'succeeded', finished_at = now()
    where portal_id = ${OTHER} and run_id = 0`.execute(ctx.db);
  expect(await currentRun(await connect(), OTHER)).toBe(0);
  expect(latest.runId).toBeGreaterThan(0);
  expect((await findLatestRun(ctx.db, OTHER))?.runId).toBe(0);
  expect((await findLatestRun(ctx.db, OTHER))?.asOf).toEqual(new Date(NOW - DAY));
  expect((await service.readHeadline(OTHER)).runId).toBe(0);
  expect((await readPortalState(ctx.db, OTHER)).lastRun?.runId).toBe(0);
});
