import type { Logger } from 'pino';
import { z } from 'zod';
import { HubSpotApiError, HUBSPOT_PATHS } from '../hubspot';
import type { HubSpotClient, HubSpotClientFactory } from '../hubspot';
import type { Database } from '../db';
import { readCurrentRun } from '../kpi';
import type { WritebackPropertyDefinition, WritebackPropertyGroup } from './properties';
import { buildPropertySet, ensureProperties, UPDATED_AT_PROPERTY } from './properties';
import type { PageArgs, RecordValues } from './records';
import { loadMonthFactors, readContactPage, readDealPage } from './records';
import { getWritebackSettings } from './settings';
import { changedValues, sameValues } from './values';
import type { WritebackObjectType, WrittenValues } from './writeback.tables';

/**
 * One write-back of a portal: the values of the latest KPI run that differ from what HubSpot holds
 * from us, sent with batch/update (100 inputs per call) through the adapter on the `background`
 * budget, which leaves a reserve of every rate window to the sync. Each accepted batch is
 * committed to `writeback_last_written` with the run's cursor in one transaction (the checkpoint):
 * a killed worker resumes after the last committed batch and re-sends nothing HubSpot accepted.
 * A record HubSpot refuses (207 errors, a whole-batch 4xx narrowed down by halving) is recorded
 * with the reason and retried only when its values change.
 */
export const BATCH_INPUTS = 100;
/**
 * Records read per page. Small enough that parsing a page (credit arrays of every model) does not
 * block the event loop for long: a call granted by the rate budget but sent late is counted late
 * by HubSpot, and its window then holds 111 calls (a 429 and a 10 s back-off). Measured on an
 * idle machine at 20,000 records: 5,000-row pages met 3 answered 429s, 1,000-row pages none.
 */
const PAGE_ROWS = 1_000;
/**
 * Batches in flight at once: one call at a time cannot use HubSpot's 11 calls per second once
 * an answer takes longer than 90 ms; the shared rate budget, not this number, sets the pace.
 */
const CONCURRENT_BATCHES = 6;
const RECORD_LEVEL_STATUSES = new Set([400, 404, 409, 422]);

const batchErrorSchema = z
  .object({
    category: z.string().optional(),
    message: z.string().optional(),
    context: z.record(z.string(), z.array(z.string())).optional(),
    errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() })).optional(),
  })
  .loose();
const batchUpdateResponseSchema = z
  .object({
    status: z.string().optional(),
    results: z.array(z.object({ id: z.string() }).loose()).default([]),
    errors: z.array(batchErrorSchema).optional(),
    numErrors: z.number().optional(),
  })
  .loose();

export type WritebackServiceDeps = {
  readonly db: Database;
  readonly hubspot: HubSpotClientFactory;
  readonly logger: Logger;
  /** The manifest's kpibridge_* properties and groups (app-manifest.json). */
  readonly properties: readonly WritebackPropertyDefinition[];
  readonly propertyGroups: readonly WritebackPropertyGroup[];
  readonly pageRows?: number;
  /** Batch calls in flight at once (default 6). */
  readonly concurrency?: number;
};

export type WritebackRunSummary = {
  readonly portalId: number;
  readonly runId: number | null;
  readonly status: 'succeeded' | 'stopped' | 'skipped';
  readonly reason?: string;
  readonly records: Record<WritebackObjectType, number>;
  /** batch/update calls made by this job (the property checks not included). */
  readonly calls: number;
  readonly propertyCalls: number;
  readonly failures: Record<string, number>;
};

export type WritebackStatus = {
  readonly portalId: number;
  readonly lastRun: {
    readonly runId: number;
    readonly status: string;
    readonly startedAt: string;
    readonly finishedAt: string | null;
    readonly recordsWritten: Partial<Record<WritebackObjectType, number>>;
    readonly calls: number;
    readonly failures: Record<string, number>;
    readonly error: string | null;
  } | null;
  /** Records whose last attempt HubSpot refused, by reason. */
  readonly failingRecords: Record<string, number>;
};

export type WritebackProgress = {
  readonly objectType: WritebackObjectType;
  /** Records HubSpot accepted, and batch/update calls, by this job so far. */
  readonly records: Readonly<Record<WritebackObjectType, number>>;
  readonly calls: number;
};
export type WritebackRunOptions = {
  /** Aborts before the next call (worker shutdown); the run resumes from its last checkpoint. */
  readonly signal?: AbortSignal;
  /** Called after each batch is committed (the checkpoint). */
  readonly onProgress?: (progress: WritebackProgress) => void;
};

class WritebackStopped extends Error {}

type Input = { id: string; properties: WrittenValues };
type Pending = { record: RecordValues; changes: WrittenValues };

/** The reason recorded for a refused record: HubSpot's category, else the HTTP status. */
function reasonOf(error: HubSpotApiError): string {
  return error.category ?? `HTTP_${error.status}`;
}

export function createWritebackService(deps: WritebackServiceDeps) {
  const log = deps.logger.child({ name: 'writeback' });
  const pageRows = deps.pageRows ?? PAGE_ROWS;
  const concurrency = Math.max(1, deps.concurrency ?? CONCURRENT_BATCHES);

  async function portalInstalled(portalId: number): Promise<boolean> {
    const row = await deps.db
      .selectFrom('portals')
      .select('status')
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
    return row?.status === 'installed';
  }

  async function saveCursor(
    portalId: number,
    runId: number,
    cursor: Partial<Record<WritebackObjectType, number>>,
  ): Promise<void> {
    await deps.db
      .updateTable('writeback_runs')
      .set({ cursor: JSON.stringify(cursor) })
      .where('portal_id', '=', portalId)
      .where('run_id', '=', runId)
      .execute();
  }

  async function run(portalId: number, options: WritebackRunOptions = {}): Promise<WritebackRunSummary> {
    const empty = (status: 'skipped' | 'stopped', reason: string): WritebackRunSummary => ({
      portalId,
      runId: null,
      status,
      reason,
      records: { deals: 0, contacts: 0 },
      calls: 0,
      propertyCalls: 0,
      failures: {},
    });
    if (!(await portalInstalled(portalId))) return empty('stopped', 'portal not installed');
    const settings = await getWritebackSettings(deps.db, portalId);
    const objectTypes = (['deals', 'contacts'] as const).filter((t) => settings[t]);
    if (objectTypes.length === 0) return empty('skipped', 'write-back is off for deals and contacts');
    // The run whose results the views show.
    const kpiRun = await readCurrentRun(deps.db, portalId);
    if (!kpiRun) return empty('skipped', 'no KPI run yet');
    const kpiRunId = kpiRun.runId;

    // A run of the same KPI results that did not finish (worker killed, job retried) carries on.
    const unfinished = await deps.db
      .selectFrom('writeback_runs')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('status', 'in', ['running', 'failed'])
      .orderBy('run_id', 'desc')
      .executeTakeFirst();
    const resumed = unfinished && Number(unfinished.kpi_run_id) === kpiRunId ? unfinished : undefined;
    if (unfinished && !resumed)
      await deps.db
        .updateTable('writeback_runs')
        .set({ status: 'failed', finished_at: new Date(), error: 'superseded by a newer KPI run' })
        .where('portal_id', '=', portalId)
        .where('status', 'in', ['running'])
        .execute();
    const runRow =
      resumed ??
      (await deps.db
        .insertInto('writeback_runs')
        .values({ portal_id: portalId, kpi_run_id: kpiRunId, status: 'running' })
        .returningAll()
        .executeTakeFirstOrThrow());
    const runId = Number(runRow.run_id);
    if (resumed)
      await deps.db
        .updateTable('writeback_runs')
        .set({ status: 'running', error: null })
        .where('portal_id', '=', portalId)
        .where('run_id', '=', runId)
        .execute();
    const cursor: Partial<Record<WritebackObjectType, number>> = { ...runRow.cursor };
    const thisJob = {
      records: { deals: 0, contacts: 0 },
      calls: 0,
      propertyCalls: 0,
      failures: {} as Record<string, number>,
    };

    const channels = await deps.db
      .selectFrom('kpi_channel_totals')
      .select('channel')
      .distinct()
      .where('portal_id', '=', portalId)
      .execute();
    const set = buildPropertySet(
      deps.properties,
      deps.propertyGroups,
      channels.map((c) => c.channel),
    );
    const factors = await loadMonthFactors(deps.db, portalId);
    const client = deps.hubspot.forPortal(portalId);
    const asOfIso = kpiRun.asOf.toISOString();
    let ensured = false;

    try {
      for (const objectType of objectTypes) {
        const done = cursor[objectType];
        if (done === Number.MAX_SAFE_INTEGER) continue;
        let after = done ?? 0;
        let pending: Pending[] = [];
        // Each batch in flight, with the id of its first record (they are sent in id order).
        const inFlight = new Map<Promise<void>, number>();
        let firstError: Error | undefined;
        const launch = async (batch: Pending[]) => {
          if (!ensured) {
            const ensuredResult = await ensureProperties(
              client,
              set,
              objectTypes,
              options.signal,
              'background',
            );
            thisJob.propertyCalls += ensuredResult.calls;
            if (ensuredResult.created.length + ensuredResult.patched.length > 0)
              log.info(
                { portalId, created: ensuredResult.created, patched: ensuredResult.patched },
                'kpibridge properties brought up to date',
              );
            ensured = true;
          }
          while (inFlight.size >= concurrency) await Promise.race(inFlight.keys());
          if (firstError !== undefined) throw firstError;
          // Uninstall stops write-back at once: checked before every call.
          if (!(await portalInstalled(portalId))) throw new WritebackStopped('portal uninstalled');
          const sent = sendBatch(client, portalId, runId, objectType, batch, asOfIso, thisJob, options.signal)
            .then(() =>
              options.onProgress?.({ objectType, records: { ...thisJob.records }, calls: thisJob.calls }),
            )
            .catch((error: unknown) => {
              firstError ??= error instanceof Error ? error : new Error(String(error));
            })
            .finally(() => inFlight.delete(sent));
          inFlight.set(sent, batch[0]!.record.id);
        };
        // Every batch launched so far answered and committed; the first failure, if any, rethrown.
        const drain = async () => {
          await Promise.all([...inFlight.keys()]);
          if (firstError !== undefined) throw firstError;
        };
        const readPage = (afterId: number): Promise<RecordValues[]> => {
          const args: PageArgs = {
            portalId,
            after: afterId,
            limit: pageRows,
            asOf: kpiRun.asOf.getTime(),
            settings,
            set,
            factors,
          };
          const page = objectType === 'deals' ? readDealPage(deps.db, args) : readContactPage(deps.db, args);
          // Awaited in the loop; a failure there, not an unhandled rejection if the loop ended first.
          page.catch(() => undefined);
          return page;
        };
        let nextPage = readPage(after);
        try {
          for (;;) {
            options.signal?.throwIfAborted();
            const page = await nextPage;
            if (page.length === 0) break;
            // Read ahead: the next page loads while this one's batches are sent, so a page
            // boundary does not stall a burst of calls behind a page read.
            nextPage = page.length < pageRows ? Promise.resolve([]) : readPage(page[page.length - 1]!.id);
            for (const record of page) {
              const changes = changedValues(record.desired, record.written);
              if (Object.keys(changes).length === 0) continue;
              // Refused before with exactly these values: wait until they change.
              if (record.failed && sameValues(changes, record.failed)) continue;
              // Reported with every write of the record (an unchanged record is not written again).
              for (const bad of record.invalid) {
                const key = `INVALID_VALUE:${bad.reason}`;
                thisJob.failures[key] = (thisJob.failures[key] ?? 0) + 1;
                log.warn(
                  { portalId, objectType, recordId: record.id, property: bad.property, reason: bad.reason },
                  'value not sent; written as empty',
                );
              }
              pending.push({ record, changes });
              if (pending.length === BATCH_INPUTS) {
                await launch(pending);
                pending = [];
              }
            }
            after = page[page.length - 1]!.id;
            if (page.length < pageRows && pending.length > 0) {
              await launch(pending);
              pending = [];
            }
            // The checkpoint stays before the first record not committed yet: the oldest batch
            // still in flight, else the records pending (a batch not full yet). Resuming re-reads
            // from there, and records whose batch was committed compare equal and are not sent
            // again. No wait for the batches in flight: the calls go on across page boundaries,
            // which is what lets the first window's calls leave at once (a wait per page spread
            // them over seconds, and every later window kept that shape).
            if (firstError !== undefined) throw firstError;
            let uncommitted = pending.length > 0 ? pending[0]!.record.id : Infinity;
            for (const first of inFlight.values()) uncommitted = Math.min(uncommitted, first);
            cursor[objectType] = Number.isFinite(uncommitted) ? uncommitted - 1 : after;
            await saveCursor(portalId, runId, cursor);
          }
          if (pending.length > 0) await launch(pending);
          await drain();
        } finally {
          // Nothing is left answering after this run (a failure waits for the batches in flight).
          await Promise.allSettled([...inFlight.keys()]);
        }
        cursor[objectType] = Number.MAX_SAFE_INTEGER;
        await saveCursor(portalId, runId, cursor);
      }
      await deps.db
        .updateTable('writeback_runs')
        .set({ status: 'succeeded', finished_at: new Date() })
        .where('portal_id', '=', portalId)
        .where('run_id', '=', runId)
        .execute();
      log.info({ portalId, runId, ...thisJob }, 'write-back done');
      return { portalId, runId, status: 'succeeded', ...thisJob };
    } catch (error) {
      const stopped = error instanceof WritebackStopped;
      await deps.db
        .updateTable('writeback_runs')
        .set({
          status: stopped ? 'stopped' : 'failed',
          finished_at: new Date(),
          error: error instanceof Error ? error.message : String(error),
        })
        .where('portal_id', '=', portalId)
        .where('run_id', '=', runId)
        .execute()
        .catch((e: unknown) =>
          log.warn({ err: e, portalId, runId }, 'could not record the write-back outcome'),
        );
      if (stopped) {
        log.info({ portalId, runId }, 'write-back stopped: portal uninstalled');
        return { portalId, runId, status: 'stopped', reason: error.message, ...thisJob };
      }
      throw error;
    }
  }

  /**
   * One batch/update call; a whole-batch refusal (4xx other than 429) is narrowed down by halving,
   * so one bad record costs log2(100) extra calls and never blocks the other 99.
   */
  async function callBatch(
    client: HubSpotClient,
    objectType: WritebackObjectType,
    inputs: readonly Input[],
    stats: { calls: number },
    signal: AbortSignal | undefined,
  ): Promise<{ accepted: Set<string>; refused: Map<string, { reason: string; message: string }> }> {
    const accepted = new Set<string>();
    const refused = new Map<string, { reason: string; message: string }>();
    try {
      stats.calls++;
      const answer = await client.requestMultiStatus(
        {
          method: 'POST',
          path: HUBSPOT_PATHS.batchUpdate(objectType),
          body: { inputs },
          kind: 'background',
          signal,
        },
        batchUpdateResponseSchema,
      );
      for (const r of answer.body.results) accepted.add(r.id);
      for (const e of answer.body.errors ?? []) {
        const ids = e.context?.ids ?? e.context?.id ?? [];
        const detail = e.errors
          ?.map((d) => d.code)
          .filter(Boolean)
          .join(',');
        for (const id of ids)
          if (!accepted.has(id))
            refused.set(id, {
              reason: e.category ?? 'UNKNOWN',
              message: `${e.message ?? ''}${detail ? ` (${detail})` : ''}`.slice(0, 1000),
            });
      }
      // An input neither confirmed nor named in an error: HubSpot did not say; treat as refused.
      for (const input of inputs)
        if (!accepted.has(input.id) && !refused.has(input.id))
          refused.set(input.id, { reason: 'NOT_CONFIRMED', message: 'absent from the batch answer' });
      return { accepted, refused };
    } catch (error) {
      // Only a refusal of the content is narrowed down; auth, scope or rate problems fail the job.
      if (!(error instanceof HubSpotApiError) || !RECORD_LEVEL_STATUSES.has(error.status)) throw error;
      if (inputs.length === 1) {
        refused.set(inputs[0]!.id, { reason: reasonOf(error), message: error.message.slice(0, 1000) });
        return { accepted, refused };
      }
      const half = Math.ceil(inputs.length / 2);
      for (const part of [inputs.slice(0, half), inputs.slice(half)]) {
        const sub = await callBatch(client, objectType, part, stats, signal);
        for (const id of sub.accepted) accepted.add(id);
        for (const [id, why] of sub.refused) refused.set(id, why);
      }
      return { accepted, refused };
    }
  }

  async function sendBatch(
    client: HubSpotClient,
    portalId: number,
    runId: number,
    objectType: WritebackObjectType,
    batch: readonly Pending[],
    asOfIso: string,
    thisJob: {
      records: Record<WritebackObjectType, number>;
      calls: number;
      failures: Record<string, number>;
    },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const inputs: Input[] = batch.map((p) => ({
      id: String(p.record.id),
      properties: { ...p.changes, [UPDATED_AT_PROPERTY]: asOfIso },
    }));
    const stats = { calls: 0 };
    const { accepted, refused } = await callBatch(client, objectType, inputs, stats, signal);
    thisJob.calls += stats.calls;
    const now = new Date();
    const failures: Record<string, number> = {};
    for (const why of refused.values()) failures[why.reason] = (failures[why.reason] ?? 0) + 1;
    let written = 0;
    await deps.db.transaction().execute(async (trx) => {
      // One statement for the accepted records and one for the refused ones (not one per record).
      const acceptedRows = batch
        .filter((p) => accepted.has(String(p.record.id)))
        .map((p) => ({
          portal_id: portalId,
          object_type: objectType,
          record_id: p.record.id,
          written: JSON.stringify({ ...p.record.written, ...p.changes }),
          written_at: now,
        }));
      written = acceptedRows.length;
      if (acceptedRows.length > 0)
        await trx
          .insertInto('writeback_last_written')
          .values(acceptedRows)
          .onConflict((oc) =>
            oc.columns(['portal_id', 'object_type', 'record_id']).doUpdateSet((eb) => ({
              written: eb.ref('excluded.written'),
              written_at: eb.ref('excluded.written_at'),
              failed: null,
              failure_reason: null,
              failure_message: null,
              failed_at: null,
            })),
          )
          .execute();
      const refusedRows = batch.flatMap((p) => {
        const why = accepted.has(String(p.record.id)) ? undefined : refused.get(String(p.record.id));
        return why
          ? [
              {
                portal_id: portalId,
                object_type: objectType,
                record_id: p.record.id,
                written: JSON.stringify(p.record.written),
                failed: JSON.stringify(p.changes),
                failure_reason: why.reason,
                failure_message: why.message,
                failed_at: now,
              },
            ]
          : [];
      });
      if (refusedRows.length > 0)
        await trx
          .insertInto('writeback_last_written')
          .values(refusedRows)
          .onConflict((oc) =>
            oc.columns(['portal_id', 'object_type', 'record_id']).doUpdateSet((eb) => ({
              failed: eb.ref('excluded.failed'),
              failure_reason: eb.ref('excluded.failure_reason'),
              failure_message: eb.ref('excluded.failure_message'),
              failed_at: eb.ref('excluded.failed_at'),
            })),
          )
          .execute();
      // The checkpoint: the counters move with the rows, in the same commit.
      const current = await trx
        .selectFrom('writeback_runs')
        .select(['failures', 'records_written', 'calls'])
        .where('portal_id', '=', portalId)
        .where('run_id', '=', runId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const merged = { ...current.failures };
      for (const [reason, n] of Object.entries(failures)) merged[reason] = (merged[reason] ?? 0) + n;
      await trx
        .updateTable('writeback_runs')
        .set({
          calls: current.calls + stats.calls,
          records_written: JSON.stringify({
            ...current.records_written,
            [objectType]: (current.records_written[objectType] ?? 0) + written,
          }),
          failures: JSON.stringify(merged),
        })
        .where('portal_id', '=', portalId)
        .where('run_id', '=', runId)
        .execute();
    });
    thisJob.records[objectType] += written;
    for (const [reason, n] of Object.entries(failures))
      thisJob.failures[reason] = (thisJob.failures[reason] ?? 0) + n;
  }

  async function status(portalId: number): Promise<WritebackStatus> {
    const last = await deps.db
      .selectFrom('writeback_runs')
      .selectAll()
      .where('portal_id', '=', portalId)
      .orderBy('run_id', 'desc')
      .executeTakeFirst();
    const failing = await deps.db
      .selectFrom('writeback_last_written')
      .select(['failure_reason', (eb) => eb.fn.countAll<number>().as('n')])
      .where('portal_id', '=', portalId)
      .where('failure_reason', 'is not', null)
      .groupBy('failure_reason')
      .execute();
    return {
      portalId,
      lastRun: last
        ? {
            runId: Number(last.run_id),
            status: last.status,
            startedAt: last.started_at.toISOString(),
            finishedAt: last.finished_at?.toISOString() ?? null,
            recordsWritten: last.records_written,
            calls: last.calls,
            failures: last.failures,
            error: last.error,
          }
        : null,
      failingRecords: Object.fromEntries(failing.map((f) => [f.failure_reason ?? '', Number(f.n)])),
    };
  }

  return { run, status };
}

export type WritebackService = ReturnType<typeof createWritebackService>;

/** Lines for `kpi-bridge status`: the portal's last write-back and its refused records. */
export function formatWritebackStatus(s: WritebackStatus): string {
  const run = s.lastRun;
  if (!run) return `portal ${s.portalId} write-back: none yet\n`;
  const failures = Object.entries(run.failures)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const failing = Object.entries(s.failingRecords)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return (
    `portal ${s.portalId} write-back: ${run.status}, started ${run.startedAt}, finished ${run.finishedAt ?? '-'}, ` +
    `${run.recordsWritten.deals ?? 0} deals and ${run.recordsWritten.contacts ?? 0} contacts written in ${run.calls} calls` +
    `${failures ? `; failures: ${failures}` : ''}${failing ? `; records refused until their values change: ${failing}` : ''}` +
    `${run.error ? `; error: ${run.error}` : ''}\n`
  );
}
