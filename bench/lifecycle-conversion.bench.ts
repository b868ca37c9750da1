/**
 * The stage-to-stage lifecycle conversion statement of the KPI run on the KPI benchmark's contacts
 * and lifecycle history (the same generated rows as bench/kpi.bench.ts, nothing else loaded), next
 * to a same-run baseline: the lifecycle counts at each period end, an existing statement over the
 * same history. Each run is its own transaction with the KPI run's session settings.
 *   npm run build && npx node dist/bench/lifecycle-conversion.bench.js 1000000 [--reuse] [--runs K]
 * Uses its own schema (lifecycle_bench_<N>), kept for --reuse.
 */
import os from 'node:os';

import { sql } from 'kysely';

import { createDb } from '../src/db';
import { createContactFactsTable } from '../src/kpi/queries/contact-facts';
import { insertLifecycleConversionSnapshots } from '../src/kpi/queries/lifecycle-conversion-snapshots';
import { insertPeriodEndLifecycleSnapshots } from '../src/kpi/queries/period-end-snapshots';
import { loadKpiSettings } from '../src/kpi/queries/portal-settings';
import { listSnapshotPeriods } from '../src/kpi/queries/snapshot-periods';
import { migrateToLatest } from '../src/platform/db/migrator';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PORTAL = 1;
const NOW = Date.parse('2026-11-20T12:00:00Z');

async function main(): Promise<void> {
  const contacts = Number(process.argv[2] ?? 100_000);
  const reuse = process.argv.includes('--reuse');
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt === -1 ? 3 : Number(process.argv[runsAt + 1]);
  const schema = `lifecycle_bench_${contacts}`;
  const admin = createDb({ url: DATABASE_URL, poolMax: 1, schema: undefined });
  if (!reuse) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
  await admin.destroy();
  const db = createDb({ url: DATABASE_URL, poolMax: 2, schema });
  const now = new Date(NOW).toISOString();
  try {
    if (!reuse) {
      await migrateToLatest(db, schema);
      await sql`insert into portals (portal_id, status, time_zone, company_currency, installed_at)
        values (${PORTAL}::bigint, 'installed', 'Europe/Berlin', 'EUR', now())`.execute(db);
      // As bench/kpi.bench.ts generates them.
      await sql`
        insert into contacts (portal_id, contact_id, created_at, updated_at, lifecycle_stage, owner_id, analytics_source, first_visit_at)
        select ${PORTAL}::bigint, g, ${now}::timestamptz - ((g * 7919) % 720) * interval '1 day' - ((g * 104729) % 86400) * interval '1 second',
          ${now}::timestamptz,
          (array['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'])[(1 + (g * 31) % 6)::int],
          'o' || (g % 20), 'ORGANIC_SEARCH',
          ${now}::timestamptz - ((g * 7919) % 720) * interval '1 day' - interval '3 days'
        from generate_series(1::bigint, ${contacts}) g`.execute(db);
      await sql`
        insert into contact_lifecycle_history (portal_id, contact_id, changed_at, stage)
        select portal_id, contact_id, created_at, 'lead' from contacts where portal_id = ${PORTAL}::bigint
        union all
        select portal_id, contact_id, created_at + interval '20 days', lifecycle_stage
        from contacts where portal_id = ${PORTAL}::bigint and lifecycle_stage in ('opportunity', 'customer')`.execute(
        db,
      );
      await sql`analyze`.execute(db);
    }
    for (let run = 1; run <= runs; run++) {
      const times: Record<string, number> = {};
      let rows = 0;
      await db.transaction().execute(async (trx) => {
        await sql`set local jit = off`.execute(trx);
        await sql`set local work_mem = '256MB'`.execute(trx);
        await sql`delete from kpi_snapshots_by_run where portal_id = ${PORTAL}`.execute(trx);
        const settings = await loadKpiSettings(trx, PORTAL);
        let t = Date.now();
        await createContactFactsTable(trx, settings, NOW);
        times.contactFacts = Date.now() - t;
        const q = { settings, periods: listSnapshotPeriods(NOW, settings.timeZone), runId: run, now: NOW };
        t = Date.now();
        await insertPeriodEndLifecycleSnapshots(trx, q);
        times.baselinePeriodEndLifecycle = Date.now() - t;
        t = Date.now();
        rows = await insertLifecycleConversionSnapshots(trx, q);
        times.lifecycleConversion = Date.now() - t;
      });
      process.stdout.write(
        `${JSON.stringify({ contacts, run, rows, ms: times, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) })}\n`,
      );
    }
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
