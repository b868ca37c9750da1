/**
 * Report pages benchmark, over the KPI benchmark's portal (bench/kpi.bench.ts keeps it with --keep):
 *   npm run build && npx node dist/bench/kpi.bench.js 1000000 --keep     # once: load + compute
 *   npx node dist/bench/reports.bench.js 1000000 [--iterations 30]
 * Server time per view = building the view from the stored KPI tables + rendering its HTML with
 * the SVG charts (what a GET of /reports/:portal/:view spends besides the socket), p50 / p95 over
 * the iterations after 3 warm-ups, cold (charts drawn anew) and warm (rendered charts cached), for the default pickers and for a second set (quarter, by
 * owner, another model). Requirement: p95 under 300 ms per view.
 * The app pages inside HubSpot get the same views as JSON (GET /api/reports/views/:view through
 * hubspot.fetch, whose answers may be at most 1 MB): per view the JSON's size and the time to
 * build and serialize it, also for weeks (the unit with the most periods).
 * Then the largest drill-down (every contact of the portal) is streamed out as CSV lines into a
 * counting sink, sampling RSS every 20 ms: it must stay flat (no array of a million rows).
 * Baselines in the same process, so that a busy machine's figures compare as ratios: a `select 1`
 * round trip and reading the portal's stored snapshot rows of one period unit.
 * Uses the schema kpi_bench_<N> of $BENCH_DATABASE_URL (default the local test database), or
 * --schema NAME (the card benchmark's cards_bench_1000000, say).
 */
import os from 'node:os';

import { sql } from 'kysely';

import { createDb } from '../src/db';
import type { Database } from '../src/db';
import { migrateToLatest } from '../src/platform/db/migrator';
import {
  buildView,
  clearChartCache,
  csvLine,
  openRecordList,
  renderViewPage,
  VIEWS,
  viewParamsSchema,
} from '../src/reports';
import type { ViewParams } from '../src/reports';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PORTAL = 1;

function percentile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[lo + 1] ?? sorted[lo]!) - sorted[lo]!);
}

async function time(iterations: number, run: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(percentile(ms, 0.5)), p95: r(percentile(ms, 0.95)), max: r(ms[ms.length - 1]!) };
}

async function serveView(db: Database, view: (typeof VIEWS)[number], params: ViewParams) {
  const built = await buildView(db, PORTAL, view, params);
  return renderViewPage(built, params, '').length;
}

/** What GET /api/reports/views/:view sends for a portal with figures (besides the socket). */
async function serveJson(db: Database, view: (typeof VIEWS)[number], params: ViewParams) {
  return Buffer.byteLength(
    JSON.stringify({ state: 'ready', ...(await buildView(db, PORTAL, view, params)) }),
  );
}

async function main(): Promise<void> {
  const contacts = Number(process.argv[2] ?? 100_000);
  const at = process.argv.indexOf('--iterations');
  const iterations = at === -1 ? 30 : Number(process.argv[at + 1]);
  const schemaAt = process.argv.indexOf('--schema');
  const schema = schemaAt === -1 ? `kpi_bench_${contacts}` : process.argv[schemaAt + 1]!;
  const db = createDb({ url: DATABASE_URL, poolMax: 4, schema });
  try {
    // The kept schema may predate a migration (the report reads the per-period attribution totals).
    await migrateToLatest(db, schema);
    const owner = await db
      .selectFrom('kpi_deal_rows')
      .select('owner_id')
      .where('portal_id', '=', PORTAL)
      .where('owner_id', 'is not', null)
      .limit(1)
      .executeTakeFirst();
    const pickers: Record<string, ViewParams> = {
      default: viewParamsSchema.parse({}),
      other: viewParamsSchema.parse({
        unit: 'quarter',
        owner: owner?.owner_id ?? undefined,
        model: 'markov',
        kind: 'deal_create',
      }),
    };
    const baselines = {
      selectOne: await time(iterations, () => sql`select 1`.execute(db)),
      snapshotsOfOneUnit: await time(iterations, () =>
        db
          .selectFrom('kpi_snapshots')
          .selectAll()
          .where('portal_id', '=', PORTAL)
          .where('period_unit', '=', 'month')
          .execute(),
      ),
    };
    // Cold: every chart drawn anew (the first view after a KPI run). Warm: charts from the cache
    // of rendered SVG (the same view again before the next run); the queries run every time.
    const views: Record<string, Record<string, unknown>> = {};
    for (const view of VIEWS)
      for (const [name, params] of Object.entries(pickers)) {
        const bytes = await serveView(db, view, params);
        const cold = await time(iterations, () => {
          clearChartCache();
          return serveView(db, view, params);
        });
        const warm = await time(iterations, () => serveView(db, view, params));
        views[`${view} (${name})`] = {
          cold,
          warm,
          htmlKiB: Math.round(bytes / 1024),
          warmP95OverSnapshotRead: Math.round((warm.p95 / baselines.snapshotsOfOneUnit.p95) * 10) / 10,
        };
      }

    const apiPickers = { ...pickers, weeks: viewParamsSchema.parse({ unit: 'week' }) };
    const api: Record<string, Record<string, unknown>> = {};
    for (const view of VIEWS)
      for (const [name, params] of Object.entries(apiPickers)) {
        const bytes = await serveJson(db, view, params);
        api[`${view} (${name})`] = {
          ...(await time(iterations, () => serveJson(db, view, params))),
          jsonKiB: Math.round(bytes / 1024),
        };
      }

    // The largest drill-down: every contact, streamed as CSV lines.
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
    const list = openRecordList(db, PORTAL, { kind: 'contacts' });
    const t = performance.now();
    let rows = 0;
    let bytes = 0;
    for await (const row of list.stream()) {
      rows += 1;
      bytes += csvLine(list.columns.map((c) => row[c.key])).length;
    }
    const drillMs = performance.now() - t;
    clearInterval(sampler);
    const countMs = await time(3, () =>
      sql`select count(*) from kpi_contact_rows where portal_id = ${PORTAL}`.execute(db),
    );
    const report = {
      contacts,
      iterations,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      baselines,
      views,
      worstColdP95: Math.max(...Object.values(views).map((v) => (v.cold as { p95: number }).p95)),
      worstWarmP95: Math.max(...Object.values(views).map((v) => (v.warm as { p95: number }).p95)),
      appPagesApi: api,
      appPagesWorstP95: Math.max(...Object.values(api).map((v) => v.p95 as number)),
      appPagesLargestJsonKiB: Math.max(...Object.values(api).map((v) => v.jsonKiB as number)),
      largestDrillDown: {
        rows,
        csvMiB: Math.round((bytes / 1024 / 1024) * 10) / 10,
        ms: Math.round(drillMs),
        rowsPerSecond: Math.round(rows / (drillMs / 1000)),
        rssBeforeMiB: Math.round(rssBefore / 1024 / 1024),
        rssPeakMiB: Math.round(peakRss / 1024 / 1024),
        rssGrowthMiB: Math.round((peakRss - rssBefore) / 1024 / 1024),
        countScanMs: countMs.p50,
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
