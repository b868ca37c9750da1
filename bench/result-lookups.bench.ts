/**
 * What reading the KPI results through the current-run views costs the card-style lookups, against
 * the same lookups on the `_by_run` tables (one run's rows after a cleanup: the old layout's
 * tables) and on the tables with the current run read in an uncorrelated subquery (what a reader
 * that wants no view could do). Over a kept KPI benchmark portal (bench/kpi.bench.ts --keep):
 *   npm run build && node_modules/.bin/node dist/bench/result-lookups.bench.js --schema reruns_bench_1m
 * Each query is sent unprepared, as kysely's `sql` does (parse + plan + execute every time), 3,000
 * times per variant and round, ids spread over the portal; client wall ms per query.
 */
import pg from 'pg';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PORTAL = 1;
const QUERIES_PER_ROUND = 3_000;

type Variant = 'view' | 'table + current run' | 'table alone';
const VARIANTS: readonly Variant[] = ['view', 'table + current run', 'table alone'];

/** The relation to read and the run filter to add, per variant. */
function from(variant: Variant, name: string, alias: string): { table: string; run: string } {
  if (variant === 'view') return { table: name, run: '' };
  return {
    table: `${name}_by_run`,
    run:
      variant === 'table + current run'
        ? ` and ${alias}.run_id = (select run_id from kpi_current_runs where portal_id = ${PORTAL})`
        : '',
  };
}

/** The shapes of the card API's reads (src/cards): a deal with its credits and contacts, a contact, the trailing window. */
const LOOKUPS: readonly { name: string; ids: number; text: (v: Variant) => string }[] = [
  {
    name: 'deal card',
    ids: 200_000,
    text: (v) => {
      const r = from(v, 'kpi_deal_rows', 'r');
      const k = from(v, 'kpi_credits', 'k');
      const c = from(v, 'kpi_contact_rows', 'cr');
      return `select r.deal_id::text, r.pipeline_id, r.stage_id, r.age_days, r.stage_median_days,
        (select json_build_array(k.conversion_kind, k.value, k.channels, k.credits) from ${k.table} k
          where k.portal_id = ${PORTAL} and k.conversion_id = $1::bigint
            and k.conversion_kind in ('revenue', 'deal_create')${k.run}
          order by k.conversion_kind = 'revenue' desc limit 1) as attribution,
        (select json_agg(json_build_array(cr.contact_id, cr.minutes_to_first_activity)) from ${c.table} cr
          where cr.portal_id = ${PORTAL} and cr.contact_id in ($1::bigint * 5, $1::bigint * 5 - 1)${c.run}) as contacts
        from ${r.table} r where r.portal_id = ${PORTAL} and r.deal_id = $1::bigint${r.run}`;
    },
  },
  {
    name: 'contact card',
    ids: 1_000_000,
    text: (v) => {
      const r = from(v, 'kpi_contact_rows', 'r');
      return `select r.contact_id::text, r.source, r.won_revenue, r.touches from ${r.table} r
        where r.portal_id = ${PORTAL} and r.contact_id = $1::bigint${r.run}`;
    },
  },
  {
    name: 'trailing window',
    ids: 0,
    text: (v) => {
      const r = from(v, 'kpi_snapshots', 'r');
      return `select max(r.period_start) from ${r.table} r where r.portal_id = ${PORTAL}
        and r.kpi = 'pipeline_velocity' and r.period_unit = 'trailing_90d'${r.run}`;
    },
  },
];

async function main(): Promise<void> {
  const schemaAt = process.argv.indexOf('--schema');
  const schema = schemaAt === -1 ? 'kpi_bench_1000000' : String(process.argv[schemaAt + 1]);
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const { rows } = await client.query<{ runs: string }>(
      `select count(distinct run_id) as runs from kpi_deal_rows_by_run where portal_id = ${PORTAL}`,
    );
    process.stdout.write(`${JSON.stringify({ schema, runsInTables: Number(rows[0]!.runs) })}\n`);
    for (const lookup of LOOKUPS)
      for (const round of [1, 2])
        for (const variant of VARIANTS) {
          const text = lookup.text(variant);
          const times: number[] = [];
          for (let i = 0; i < QUERIES_PER_ROUND; i++) {
            const id = 1 + ((i * 7919 + round * 13) % Math.max(1, lookup.ids));
            const t = process.hrtime.bigint();
            await client.query(text, lookup.ids === 0 ? [] : [id]);
            times.push(Number(process.hrtime.bigint() - t) / 1e6);
          }
          times.sort((a, b) => a - b);
          const at = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))]! * 1000) / 1000;
          const mean = times.reduce((a, b) => a + b, 0) / times.length;
          process.stdout.write(
            `${JSON.stringify({ lookup: lookup.name, variant, round, meanMs: Math.round(mean * 1000) / 1000, p50Ms: at(0.5), p99Ms: at(0.99) })}\n`,
          );
        }
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
