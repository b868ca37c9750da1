/**
 * KPI computation benchmark: a generated portal loaded straight into Postgres (insert … select
 * generate_series, no round trip per row), then one full recompute (every snapshot, all ten
 * attribution models over three conversion kinds, deal and contact rows, in one transaction).
 * Build, then run one size per process (so peak RSS is that size's):
 *   npm run build && npx node dist/bench/kpi.bench.js 1000000
 * Sizes: N contacts, N/5 deals, 5N touches. Reports load time, time per stage and the worker's
 * peak RSS. Requirement at N = 1,000,000: under 60 s and under 1 GiB.
 * Uses its own schema (kpi_bench_<N>) in $BENCH_DATABASE_URL (default the local test database),
 * dropped afterwards unless --keep; --reuse recomputes a kept schema without loading it again.
 * --runs K recomputes K times (each run after the first deletes the previous one's results after
 * its commit: `visibleMs` is the time until the new figures are visible, `recomputeMs` includes the
 * cleanup).
 * --schema NAME uses another schema name (benchmarks that reuse a kept portal keep their own copy).
 * --vacuum runs `vacuum analyze` on the result tables before each run, as autovacuum would after
 * the previous run's cleanup (this machine's Postgres runs with autovacuum off).
 * Baselines, measured twice in the same process right before each recompute (the faster counts), so that figures taken on a
 * busy machine can be compared as ratios: a `count(*)` scan of the touches, and reading every
 * touch (id, time, channel) out of Postgres with binary COPY, the least any full recompute must do.
 */
import os from 'node:os';

import { sql } from 'kysely';
import pino from 'pino';

import { createKpiService } from '../src/kpi/kpi.service';
import { BinaryCopyReader, openCopyOut } from '../src/kpi/queries/pg-copy';
import { createDb } from '../src/db';
import type { Database } from '../src/db';
import { withRawClient } from '../src/platform/db/database';
import { migrateToLatest } from '../src/platform/db/migrator';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PORTAL = 1;
const NOW = Date.parse('2026-11-20T12:00:00Z');

async function load(db: Database, contacts: number): Promise<Record<string, number>> {
  const deals = Math.floor(contacts / 5);
  const touches = contacts * 5;
  const now = new Date(NOW).toISOString();
  const times: Record<string, number> = {};
  const step = async (name: string, query: ReturnType<typeof sql>) => {
    const t = Date.now();
    await query.execute(db);
    times[name] = Date.now() - t;
  };
  await step(
    'portal',
    sql`insert into portals (portal_id, status, time_zone, company_currency, installed_at)
      values (${PORTAL}::bigint, 'installed', 'Europe/Berlin', 'EUR', now())`,
  );
  await step(
    'pipelines',
    sql`insert into pipelines (portal_id, pipeline_id, label, display_order)
      values (${PORTAL}::bigint, 'default', 'Sales', 0), (${PORTAL}::bigint, 'p2', 'Renewals', 1)`,
  );
  await step(
    'stages',
    sql`
    insert into pipeline_stages (portal_id, pipeline_id, stage_id, label, display_order, is_closed, probability)
      select ${PORTAL}::bigint, p, p || '-' || s, s, o, s in ('won', 'lost'), case s when 'won' then 1 when 'lost' then 0 else 0.2 * o end
      from unnest(array['default', 'p2']) p,
        unnest(array['appt', 'qualified', 'proposal', 'negotiation', 'won', 'lost'], array[0, 1, 2, 3, 4, 5]) as st(s, o)`,
  );
  // Every value is a function of the row number (mixed by multiplying with large primes), so runs are reproducible.
  await step(
    'contacts',
    sql`
    insert into contacts (portal_id, contact_id, created_at, updated_at, lifecycle_stage, owner_id, analytics_source, first_visit_at)
    select ${PORTAL}::bigint, g, ${now}::timestamptz - ((g * 7919) % 720) * interval '1 day' - ((g * 104729) % 86400) * interval '1 second',
      ${now}::timestamptz,
      (array['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'])[(1 + (g * 31) % 6)::int],
      'o' || (g % 20),
      (array['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING', 'SOCIAL_MEDIA', 'REFERRALS', 'OTHER_CAMPAIGNS',
        'DIRECT_TRAFFIC', 'OFFLINE', 'PAID_SOCIAL', 'AI_REFERRALS'])[(1 + (g * 13) % 10)::int],
      ${now}::timestamptz - ((g * 7919) % 720) * interval '1 day' - interval '3 days'
    from generate_series(1::bigint, ${contacts}) g`,
  );
  await step(
    'lifecycle history',
    sql`
    insert into contact_lifecycle_history (portal_id, contact_id, changed_at, stage)
    select portal_id, contact_id, created_at, 'lead' from contacts where portal_id = ${PORTAL}::bigint
    union all
    select portal_id, contact_id, created_at + interval '20 days', lifecycle_stage
    from contacts where portal_id = ${PORTAL}::bigint and lifecycle_stage in ('opportunity', 'customer')`,
  );
  await step(
    'deals',
    sql`
    insert into deals (portal_id, deal_id, pipeline_id, stage_id, amount, currency, owner_id, created_at, close_date,
      is_closed, is_won, updated_at)
    select ${PORTAL}::bigint, g, pl, pl || '-' || st, 500 + (g * 7927) % 50000 + ((g * 17) % 100) / 100.0, 'EUR', 'o' || (g % 20),
      created, case when st in ('won', 'lost') then created + ((g * 53) % 120 + 1) * interval '1 day' end,
      st in ('won', 'lost'), st = 'won', ${now}::timestamptz
    from (
      select g, case when g % 5 = 0 then 'p2' else 'default' end as pl,
        (array['appt', 'qualified', 'proposal', 'negotiation', 'won', 'won', 'lost', 'lost'])[(1 + (g * 37) % 8)::int] as st,
        ${now}::timestamptz - ((g * 5 * 7919) % 720) * interval '1 day' + ((g * 101) % 30 + 1) * interval '1 day' as created
      from generate_series(1::bigint, ${deals}) g
    ) x`,
  );
  await step(
    'deal contacts',
    sql`
    insert into deal_contacts (portal_id, deal_id, contact_id, is_primary)
    select ${PORTAL}::bigint, g, g * 5, true from generate_series(1::bigint, ${deals}) g
    union all
    select ${PORTAL}::bigint, g, g * 5 - 1, false from generate_series(1::bigint, ${deals}) g where g % 3 = 0`,
  );
  await step(
    'deal stage history',
    sql`
    insert into deal_stage_history (portal_id, deal_id, changed_at, stage_id)
    select portal_id, deal_id, created_at, pipeline_id || '-appt' from deals where portal_id = ${PORTAL}::bigint
    union all
    select portal_id, deal_id, created_at + interval '5 days', pipeline_id || '-qualified' from deals
      where portal_id = ${PORTAL}::bigint and stage_id not like '%-appt' and (close_date is null or close_date > created_at + interval '5 days')
    union all
    select portal_id, deal_id, close_date, stage_id from deals where portal_id = ${PORTAL}::bigint and close_date > created_at + interval '5 days'`,
  );
  await step(
    'touches',
    sql`
    insert into touches (portal_id, touch_id, contact_id, occurred_at, channel, kind)
    select ${PORTAL}::bigint, 't' || g, c, created - ((g * 7) % 40) * interval '1 day' + ((g * 11) % 12 - 2) * interval '1 day'
        - ((g * 104723) % 86400) * interval '1 second',
      (array['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING', 'SOCIAL_MEDIA', 'REFERRALS', 'OTHER_CAMPAIGNS',
        'DIRECT_TRAFFIC', 'PAID_SOCIAL'])[(1 + (g * 29 + c) % 8)::int],
      'visit'
    from (
      select g, (g - 1) / 5 + 1 as c,
        ${now}::timestamptz - ((((g - 1) / 5 + 1) * 7919) % 720) * interval '1 day' as created
      from generate_series(1::bigint, ${touches}) g
    ) x`,
  );
  await step('analyze', sql`analyze`);
  return times;
}

async function measureBaselines(
  db: Database,
): Promise<{ touchCountScanMs: number; touchCopyOutMs: number; touchRowsCopied: number }> {
  let t = Date.now();
  await sql`select count(*) from touches where portal_id = ${PORTAL}::bigint`.execute(db);
  const countScanMs = Date.now() - t;
  t = Date.now();
  const rows = await withRawClient(db, async ({ client }) => {
    const reader = new BinaryCopyReader(
      openCopyOut(
        client,
        `copy (select touch_id, occurred_at, channel from touches where portal_id = ${PORTAL}) to stdout with (format binary)`,
      ),
    );
    let n = 0;
    while (await reader.next()) {
      reader.readBytes();
      reader.readTimestampMs();
      reader.readText();
      n += 1;
    }
    return n;
  });
  return { touchCountScanMs: countScanMs, touchCopyOutMs: Date.now() - t, touchRowsCopied: rows };
}

async function main(): Promise<void> {
  const contacts = Number(process.argv[2] ?? 100_000);
  const keep = process.argv.includes('--keep') || process.argv.includes('--reuse');
  const reuse = process.argv.includes('--reuse');
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt === -1 ? 1 : Number(process.argv[runsAt + 1]);
  const schemaAt = process.argv.indexOf('--schema');
  const schema = schemaAt === -1 ? `kpi_bench_${contacts}` : String(process.argv[schemaAt + 1]);
  const admin = createDb({ url: DATABASE_URL, poolMax: 1, schema: undefined });
  if (!reuse) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
  const db = createDb({ url: DATABASE_URL, poolMax: 2, schema });
  try {
    await migrateToLatest(db, schema);
    const loadStart = Date.now();
    const loadTimes = reuse ? {} : await load(db, contacts);
    const loadMs = Date.now() - loadStart;
    const vacuum = process.argv.includes('--vacuum');

    const service = createKpiService({ db, logger: pino({ level: 'silent' }) });
    for (let run = 1; run <= runs; run++) {
      // What autovacuum does between two runs in production (it is off on some machines, where
      // every re-run's dead rows would otherwise pile up in the result tables and their keys).
      if (vacuum)
        for (const t of [
          'kpi_credits',
          'kpi_contact_rows',
          'kpi_deal_rows',
          'kpi_snapshots',
          'kpi_attribution_totals',
        ])
          await sql`vacuum analyze ${sql.table(`${t}_by_run`)}`.execute(db);
      // The baseline twice, right before the run: the first read may find the touches out of the
      // page cache (seen: 3.3-7.0 s for the same rows), the second is warm; the ratio uses the
      // faster one, the stricter of the two.
      const first = await measureBaselines(db);
      const second = await measureBaselines(db);
      const baselines = first.touchCopyOutMs <= second.touchCopyOutMs ? first : second;
      const baselineCopyOutMsBoth = [first.touchCopyOutMs, second.touchCopyOutMs];
      let peakRss = process.memoryUsage.rss();
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
      const cpuStart = process.cpuUsage();
      const start = Date.now();
      const summary = await service.recompute(PORTAL, { now: NOW });
      const wall = Date.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
      const sizes = await sql<{ table: string; rows: number; bytes: number }>`
        select relname as table, n_live_tup::int as rows, pg_total_relation_size(relid)::float8 as bytes
        from pg_stat_user_tables
        where schemaname = ${schema} and relname like 'kpi_%' order by relname`.execute(db);
      const report = {
        contacts,
        deals: Math.floor(contacts / 5),
        touches: contacts * 5,
        run,
        loadMs,
        loadTimes,
        baselines,
        baselineCopyOutMsBoth,
        vacuumedBefore: vacuum,
        // Until the commit that makes the new figures the ones readers see (the previous run's rows
        // are deleted after it: `cleanup previous runs` in stagesMs, part of recomputeMs).
        visibleMs: summary.visibleMs,
        visibleOverCopyOut: Math.round((summary.visibleMs / baselines.touchCopyOutMs) * 10) / 10,
        deletedRows: summary.deletedRows,
        recomputeMs: wall,
        recomputeOverCopyOut: Math.round((wall / baselines.touchCopyOutMs) * 10) / 10,
        recomputeOverCountScan: Math.round((wall / baselines.touchCountScanMs) * 10) / 10,
        workerCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        peakRssMiB: Math.round(peakRss / 1024 / 1024),
        loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
        stagesMs: summary.timings,
        counts: summary.counts,
        resultRows: Object.fromEntries(sizes.rows.map((r) => [r.table, r.rows])),
        resultMiB: Object.fromEntries(sizes.rows.map((r) => [r.table, Math.round(r.bytes / 1024 / 1024)])),
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    }
  } finally {
    await db.destroy();
    if (!keep) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
    await admin.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
