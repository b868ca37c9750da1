import { sql } from 'kysely';
import type { Logger } from 'pino';

import type { Database, Executor } from '../db';
import { cancelOnAbort } from '../platform/db/cancel-on-abort';
import { withRawTransaction } from '../platform/db/database';
import type { PeriodTotalRow } from './attribution-periods';
import type { ChannelTotal, TouchFacts } from './attribution-pass';
import { runAttributionPass, writeTouchFacts } from './attribution-pass';
import { readCurrentRun } from './current-run';
import { BinaryCopyWriter, openCopyIn } from './queries/pg-copy';
import type { CopyClient } from './queries/pg-copy';
import { createContactFactsTable } from './queries/contact-facts';
import { insertDaysToDealSnapshots } from './queries/days-to-deal-snapshots';
import { createDealFactsTables } from './queries/deal-facts';
import { loadKpiSettings } from './queries/portal-settings';
import type { KpiSettings } from './queries/portal-settings';
import { insertContactRows } from './queries/record-rows';
import { listSnapshotPeriods, TRAILING_90D } from './queries/snapshot-periods';
import { computeSnapshotsInSession } from './snapshot-session';
import type { SnapshotSessionResult } from './snapshot-session';

export interface KpiProgress {
  readonly stage: string;
  /** Conversions credited so far and in all (0 / 0 outside the attribution stage). */
  readonly done: number;
  readonly total: number;
}

export interface RecomputeOptions {
  /** The computation's "now", epoch ms; default the wall clock. */
  readonly now?: number;
  readonly onProgress?: (progress: KpiProgress) => void;
  /** Aborts between batches (worker shutdown); the transaction rolls back. */
  readonly signal?: AbortSignal;
}

export interface KpiRunSummary {
  readonly portalId: number;
  readonly runId: number;
  readonly asOf: number;
  /** Wall ms from the start until the commit that made this run's figures the ones readers see. */
  readonly visibleMs: number;
  /** Rows of earlier runs deleted after that commit (`cleanup previous runs` in `timings`). */
  readonly deletedRows: number;
  /** Wall ms per stage, in the order they ran. */
  readonly timings: Readonly<Record<string, number>>;
  readonly counts: Readonly<Record<string, number>>;
}

export interface KpiHeadline {
  readonly portalId: number;
  readonly runId: number;
  readonly pipelineId: string | null;
  readonly period: { readonly start: string; readonly end: string; readonly label: string };
  /** Home currency per day; null when a factor is unknown. */
  readonly velocityPerDay: number | null;
  readonly winRate: number | null;
  readonly averageWonDealSize: number | null;
  readonly salesCycleDays: number | null;
  readonly qualifiedOpportunities: number | null;
  /** Won revenue per original source over the same period (null: won deals without home amounts). */
  readonly revenueBySource: Readonly<Record<string, number | null>>;
  /**
   * Revenue attribution over the same period (`period`, by the date each deal was won): the top
   * channels by credit under each model.
   */
  readonly topChannels: Readonly<
    Record<string, readonly { readonly channel: string; readonly credit: number }[]>
  >;
}

export interface KpiServiceDeps {
  readonly db: Database;
  readonly logger: Logger;
}

/**
 * The tables holding every run's results (migration 20261130T124500Z-kpi-results-by-run); readers
 * use the views of the same names without `_by_run`, which show the portal's current run only.
 */
const RESULT_TABLES = [
  'kpi_snapshots_by_run',
  'kpi_deal_rows_by_run',
  'kpi_contact_rows_by_run',
  'kpi_credits_by_run',
  'kpi_channel_totals_by_run',
  'kpi_attribution_totals_by_run',
] as const;

/**
 * The cleanup's deletes in two groups of about equal work (1.25 M credit rows against 1 M contact
 * rows, 200 k deal rows and the rest, at a million contacts), one transaction each on its own
 * connection: deleting is one core's work per statement.
 */
const CLEANUP_GROUPS: readonly (readonly {
  table: (typeof RESULT_TABLES)[number];
  kinds?: 'contact' | 'other';
}[])[] = [
  [{ table: 'kpi_credits_by_run', kinds: 'contact' }],
  RESULT_TABLES.map((table) =>
    table === 'kpi_credits_by_run' ? { table, kinds: 'other' as const } : { table },
  ),
];

/**
 * Deletes a portal's result rows of every run but its current one (`kpi_current_runs`): what a
 * computation leaves behind once its commit has switched the readers to its own rows, and what a
 * failed one committed before it failed (its snapshot session commits its own rows). Readers never
 * see those rows, so this runs after the commit, outside the computation's time. It holds the
 * computation's lock shared and does nothing while a computation of the portal runs: that one's
 * rows may already be committed, and its own cleanup comes after it. Returns the rows deleted.
 */
export async function deleteOtherRuns(db: Database, portalId: number, signal?: AbortSignal): Promise<number> {
  const deleted = await Promise.all(
    CLEANUP_GROUPS.map((group) =>
      db.transaction().execute(async (trx) => {
        const untie = await cancelOnAbort(trx, db, signal);
        try {
          const { rows } = await sql<{ free: boolean }>`
            select pg_try_advisory_xact_lock_shared(hashtext('kpi.compute'), hashtext(${String(portalId)})) as free`.execute(
            trx,
          );
          if (rows[0]?.free !== true) return 0;
          await sql`set local synchronous_commit = off`.execute(trx);
          let n = 0;
          for (const { table, kinds } of group) {
            const kind =
              kinds === undefined
                ? sql``
                : kinds === 'contact'
                  ? sql`and r.conversion_kind = 'contact_create'`
                  : sql`and r.conversion_kind <> 'contact_create'`;
            const result = await sql`
              delete from ${sql.table(table)} r where r.portal_id = ${portalId} ${kind}
                and r.run_id <> (select c.run_id from kpi_current_runs c where c.portal_id = ${portalId})`.execute(
              trx,
            );
            n += Number(result.numAffectedRows ?? 0);
          }
          return n;
        } finally {
          untie();
        }
      }),
    ),
  );
  return deleted.reduce((a, b) => a + b, 0);
}

/**
 * The KPI computation of one portal: every figure from the mirror tables, written by two sessions
 * under a new run id and shown to readers by one commit.
 */
export function createKpiService(deps: KpiServiceDeps) {
  const log = deps.logger.child({ name: 'kpi' });

  async function recompute(portalId: number, options: RecomputeOptions = {}): Promise<KpiRunSummary> {
    const now = options.now ?? Date.now();
    const started = Date.now();
    const run = await deps.db
      .insertInto('kpi_runs')
      .values({ portal_id: portalId, status: 'running', as_of: new Date(now), started_at: new Date(started) })
      .returning('run_id')
      .executeTakeFirstOrThrow();
    const runId = Number(run.run_id);
    const timings: Record<string, number> = {};
    // Stages of the snapshot session, which overlap this transaction's own (not in the sum below).
    const concurrent: Record<string, number> = {};
    const counts: Record<string, number> = {};
    log.info({ portalId, runId }, 'kpi computation started');
    let untie = () => {};
    try {
      // With the raw client: the attribution pass streams with binary COPY in this transaction.
      await withRawTransaction(deps.db, async (trx, client) => {
        // A worker shutting down aborts the signal: cancel the running statement, roll back.
        untie = await cancelOnAbort(trx, deps.db, options.signal);
        let stageStart = Date.now();
        const stage = (name: string) => {
          if (options.signal?.aborted) throw new Error('kpi computation aborted');
          const t = Date.now();
          timings[name] = t - stageStart;
          stageStart = t;
          options.onProgress?.({ stage: name, done: 0, total: 0 });
        };
        // One computation per portal at a time: a second one waits, then recomputes from fresher rows.
        await sql`select pg_advisory_xact_lock(hashtext('kpi.compute'), hashtext(${String(portalId)}))`.execute(
          trx,
        );
        stage('lock');
        // For this transaction only. No JIT: compiling the big statements costs more than it saves.
        // Memory for the sorts and hashes of a million rows, instead of spilling them to disk.
        // synchronous_commit off: a crash right after commit may lose this run, never corrupt
        // anything, and every result is recomputed from the mirror by the next run anyway.
        await sql`set local jit = off`.execute(trx);
        await sql`set local work_mem = '256MB'`.execute(trx);
        await sql`set local synchronous_commit = off`.execute(trx);
        // Its two sessions wait on each other in the worker, where Postgres sees no deadlock: a
        // lock wait that long means something else holds a lock, and failing (the job is retried)
        // is better than hanging. Set after the advisory lock, whose wait may be a whole run.
        await sql`set local lock_timeout = '2min'`.execute(trx);
        // The previous run's rows stay until after the commit: this run writes its own beside them
        // (keyed by run_id), and turning `succeeded` below switches the readers' views to them.
        const settings = await loadKpiSettings(trx, portalId);
        const periods = listSnapshotPeriods(now, settings.timeZone);
        const q = { settings, periods, runId, now };
        // The snapshot statements and the deal rows run beside the attribution, on a second
        // connection that sees what this transaction sees now and commits this run's rows itself
        // before this transaction commits (snapshot-session.ts).
        const { rows: exported } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx);
        const sessionStop = new AbortController();
        const stopSession = () => sessionStop.abort();
        options.signal?.addEventListener('abort', stopSession, { once: true });
        // The contact rows are written in two halves, one on each connection, once the attribution
        // has read the touches (their facts come from that read).
        let passTouchFacts: (facts: TouchFacts) => void = () => undefined;
        const touchFacts = new Promise<TouchFacts>((resolve) => (passTouchFacts = resolve));
        const session = computeSnapshotsInSession(deps.db, exported[0]!.id, q, now, sessionStop.signal, {
          touchFacts,
          part: 1,
          parts: 2,
        });
        // Awaited below; until then a failure must not count as unhandled.
        session.catch(() => undefined);
        let snapshots: SnapshotSessionResult;
        let contactRows: number;
        try {
          counts.deals = await createDealFactsTables(trx, settings);
          stage('deal facts');
          counts.contacts = await createContactFactsTable(trx, settings, now, { stageNow: false });
          stage('contact facts');
          const pass = await runAttributionPass(
            { client },
            {
              portalId,
              runId,
              periods,
              signal: options.signal,
              onProgress: (done, total) =>
                options.onProgress?.({ stage: 'attribution credits', done, total }),
              onTouchFacts: (facts) => passTouchFacts(facts),
            },
          );
          Object.assign(counts, pass.counts);
          stageStart += Object.values(pass.timings).reduce((a, b) => a + b, 0);
          Object.assign(timings, pass.timings);
          const split = { part: 0, parts: 2 };
          await writeTouchFacts(trx, client, await touchFacts, split);
          stage('attribution facts');
          counts.channelTotalRows = await insertChannelTotals(trx, portalId, runId, pass.channelTotals);
          counts.attributionPeriodRows = await insertPeriodTotals(client, portalId, runId, pass.periodTotals);
          stage('channel totals');
          contactRows = await insertContactRows(trx, { settings, runId, split });
          stage('contact rows');
          // Nothing above reads the session's rows, so it is waited for only now: its last
          // statements and this transaction's own last ones share the two cores.
          snapshots = await session;
          stage('wait for snapshots');
          // The days to deal read the contact rows of both halves (the session's are committed).
          counts.daysToDealRows = await insertDaysToDealSnapshots(trx, q);
          stage('days to deal snapshots');
        } catch (err) {
          // Stop the session and let it end before this transaction rolls back and the pool closes.
          sessionStop.abort();
          await session.catch(() => undefined);
          throw err;
        } finally {
          options.signal?.removeEventListener('abort', stopSession);
        }
        Object.assign(counts, snapshots.counts);
        counts.contactKpiRows = contactRows + (snapshots.counts.contactKpiRows ?? 0);
        Object.assign(concurrent, snapshots.timings);
        await trx
          .updateTable('kpi_runs')
          .set({
            status: 'succeeded',
            finished_at: new Date(),
            counts: JSON.stringify(counts),
            timings: JSON.stringify({ ...timings, ...concurrent }),
          })
          .where('portal_id', '=', portalId)
          .where('run_id', '=', runId)
          .execute();
      });
      untie();
      const visibleMs = Date.now() - started;
      timings.commit = visibleMs - Object.values(timings).reduce((a, b) => a + b, 0);
      log.info({ portalId, runId, ms: visibleMs }, 'kpi computation committed');
      // The figures are the new ones now; the previous run's rows only take room. A failure here
      // leaves them to the next run's cleanup (they stay invisible), so it does not fail the run.
      let deletedRows = 0;
      try {
        deletedRows = await deleteOtherRuns(deps.db, portalId, options.signal);
      } catch (err) {
        log.warn({ err, portalId, runId }, "could not delete the previous runs' results; the next run will");
      }
      timings['cleanup previous runs'] = Date.now() - started - visibleMs;
      Object.assign(timings, concurrent);
      log.info({ portalId, runId, ms: Date.now() - started, deletedRows }, 'kpi computation done');
      return { portalId, runId, asOf: now, visibleMs, deletedRows, timings, counts };
    } catch (caught) {
      untie();
      // Rolled back: the previous results stay; the job is retried (by the next worker).
      const err = options.signal?.aborted
        ? new Error('kpi computation aborted (worker shutting down): rolled back, the job is retried', {
            cause: caught,
          })
        : caught;
      await deps.db
        .updateTable('kpi_runs')
        .set({
          status: 'failed',
          finished_at: new Date(),
          error: err instanceof Error ? err.message : String(err),
        })
        .where('portal_id', '=', portalId)
        .where('run_id', '=', runId)
        .execute()
        .catch((e: unknown) => log.warn({ err: e, portalId, runId }, 'could not mark the kpi run failed'));
      throw err;
    }
  }

  return { recompute, readHeadline: (portalId: number) => readHeadline(deps.db, portalId) };
}

export type KpiService = ReturnType<typeof createKpiService>;

/**
 * The headline of the latest stored computation, as the demo and `kpi-bridge kpi` print it:
 * pipeline velocity and its factors over the trailing 90 days of the default pipeline (id
 * `default` when present, else the first non-archived one), won revenue per source over the
 * same days, and the top channels per model of the revenue won over the same days.
 */
export async function readHeadline(db: Executor, portalId: number): Promise<KpiHeadline> {
  const run = await readCurrentRun(db, portalId);
  const pipeline = await db
    .selectFrom('pipelines')
    .select('pipeline_id')
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .orderBy(sql`pipeline_id = 'default'`, 'desc')
    .orderBy('display_order')
    .orderBy('pipeline_id')
    .executeTakeFirst();
  const trailing = await db
    .selectFrom('kpi_snapshots')
    .select(['period_start', 'period_end', 'period_label'])
    .where('portal_id', '=', portalId)
    .where('period_unit', '=', TRAILING_90D)
    .orderBy('period_start', 'desc')
    .executeTakeFirst();
  const pipelineId = pipeline?.pipeline_id ?? null;
  const factors = new Map<string, number | null>();
  const revenueBySource: Record<string, number | null> = {};
  if (trailing !== undefined) {
    const rows = await db
      .selectFrom('kpi_snapshots')
      .select(['kpi', 'pipeline_id', 'breakdown', 'breakdown_value', 'value'])
      .where('portal_id', '=', portalId)
      .where('period_unit', '=', TRAILING_90D)
      .where('period_start', '=', trailing.period_start)
      .where((eb) =>
        eb.or([
          eb.and([eb('pipeline_id', '=', pipelineId ?? ''), eb('breakdown', '=', 'all')]),
          eb.and([eb('kpi', '=', 'won_revenue'), eb('breakdown', '=', 'source')]),
        ]),
      )
      .execute();
    for (const r of rows) {
      const value = r.value === null ? null : Number(r.value);
      if (r.kpi === 'won_revenue' && r.breakdown === 'source') revenueBySource[r.breakdown_value] = value;
      else factors.set(r.kpi, value);
    }
  }
  const channelRows = await db
    .selectFrom('kpi_attribution_totals')
    .select(['model', 'channel', 'credit'])
    .where('portal_id', '=', portalId)
    .where('conversion_kind', '=', 'revenue')
    .where('period_unit', '=', TRAILING_90D)
    .where('period_start', '=', trailing?.period_start ?? new Date(0))
    .where('breakdown', '=', 'all')
    .orderBy('model')
    .orderBy('credit', 'desc')
    .orderBy('channel')
    .execute();
  const topChannels: Record<string, { channel: string; credit: number }[]> = {};
  for (const r of channelRows) {
    const list = (topChannels[r.model] ??= []);
    if (list.length < 3) list.push({ channel: r.channel, credit: Math.round(r.credit * 100) / 100 });
  }
  return {
    portalId,
    runId: run?.runId ?? 0,
    pipelineId,
    period: {
      start: trailing?.period_start.toISOString() ?? '',
      end: trailing?.period_end.toISOString() ?? '',
      label: trailing?.period_label ?? '',
    },
    velocityPerDay: factors.get('pipeline_velocity') ?? null,
    winRate: factors.get('win_rate') ?? null,
    averageWonDealSize: factors.get('average_won_deal_size') ?? null,
    salesCycleDays: factors.get('sales_cycle_days') ?? null,
    qualifiedOpportunities: factors.get('qualified_opportunities') ?? null,
    revenueBySource,
    topChannels,
  };
}

async function insertChannelTotals(
  db: Executor,
  portalId: number,
  runId: number,
  totals: readonly ChannelTotal[],
): Promise<number> {
  const rows = totals.map((t) => ({
    portal_id: portalId,
    conversion_kind: t.kind,
    model: t.model,
    channel: t.channel,
    credit: t.credit,
    conversions: t.conversions,
    removal_effect: t.removalEffect,
    run_id: runId,
  }));
  for (let i = 0; i < rows.length; i += 2_000)
    await db
      .insertInto('kpi_channel_totals_by_run')
      .values(rows.slice(i, i + 2_000))
      .execute();
  return rows.length;
}

/** Attribution totals per period (binary COPY: a portal has some 10⁵ of them). */
async function insertPeriodTotals(
  client: CopyClient,
  portalId: number,
  runId: number,
  rows: readonly PeriodTotalRow[],
): Promise<number> {
  if (!Number.isSafeInteger(portalId) || !Number.isSafeInteger(runId)) throw new RangeError('bad ids');
  const writer = new BinaryCopyWriter(
    openCopyIn(
      client,
      `copy kpi_attribution_totals_by_run (portal_id, conversion_kind, model, period_unit, period_start, period_end,
        period_label, breakdown, breakdown_value, channel, credit, conversions, run_id) from stdin with (format binary)`,
    ),
  );
  for (const r of rows) {
    writer.beginTuple(13);
    writer.writeInt8(portalId);
    writer.writeText(r.kind);
    writer.writeText(r.model);
    writer.writeText(r.period.unit);
    writer.writeTimestampMs(r.period.period.start);
    writer.writeTimestampMs(r.period.period.end);
    writer.writeText(r.period.period.label);
    writer.writeText(r.breakdown);
    writer.writeText(r.breakdownValue);
    writer.writeText(r.channel);
    writer.writeFloat8(r.credit);
    writer.writeInt4(r.conversions);
    writer.writeInt8(runId);
    await writer.flushIfFull();
  }
  await writer.finish();
  return rows.length;
}

export type { KpiSettings };
