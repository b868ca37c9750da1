import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { parseConfig } from '../config';
import type { Config } from '../config';
import { createContext } from '../context';
import type { AppContext } from '../context';
import { createLogger } from '../logger';
import { deriveApp, installIntoSimulator, startSimulator } from '../simulator';
import type { SimulatorHandle } from '../simulator';
import { computeSignatureV3 } from '../hubspot/signature';
import { isConnectionError } from '../platform/outage-log';
import { QUEUE_NAMES } from '../platform/queue/jobs';
import { compareWithGroundTruth } from '../sync/compare';
import { FULL_STREAM } from '../sync/full-sync';
import { findSyncState } from '../sync/sync-state.repository';
import { VIEWS } from '../reports';
import { startApi } from './api';
import type { ApiHandle } from './api';
import type { CommandIo } from './commands/command';
import { parseCommandArgs } from './commands/command';
import { checkServices, stopOnSignals } from './lifecycle';
import { runMigrations } from './migrate';
import { startWorker } from './worker';
import type { WorkerGroup } from '../platform/queue/worker-runner';

export type DemoRun = {
  /** Epoch ms when this demo started: older sync or KPI runs in the schema do not count. */
  startedAt: number;
  say(line: string): void;
  /** --once: check and summarise instead of leaving things for a person to open. */
  once: boolean;
  simulator: SimulatorHandle;
  ctx: AppContext;
  api: ApiHandle;
  workers: WorkerGroup;
  portalId: number;
  log: Logger;
};

/**
 * The demo flow, step by step, as a user would live it: the admin installs the app, the
 * first full sync (queued by the install) runs on the worker, the sync queues a KPI
 * recompute. Each step waits for the real queue to get there and adds its figures.
 */
type DemoStep = { name: string; run(demo: DemoRun): Promise<Record<string, unknown>> };

const STEP_TIMEOUT_MS = 10 * 60_000;

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
    } catch (err) {
      // A dropped database connection fails one probe; the pool reconnects for the next.
      if (!isConnectionError(err)) throw err;
    }
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Live records only: archived and merged-away rows stay in the mirror but leave every figure. */
async function countLiveRecords(demo: DemoRun) {
  const { rows } = await sql<{
    contacts: number;
    deals: number;
    associations: number;
    meetings: number;
    calls: number;
    emails: number;
    trafficDays: number;
    touches: number;
  }>`
    with live_contacts as (
      select contact_id from contacts where portal_id = ${demo.portalId} and not archived and merged_into is null
    ), live_deals as (
      select deal_id from deals where portal_id = ${demo.portalId} and not archived
    )
    select
      (select count(*) from live_contacts)::int as contacts,
      (select count(*) from live_deals)::int as deals,
      (select count(*) from deal_contacts dc
         where dc.portal_id = ${demo.portalId}
           and dc.deal_id in (select deal_id from live_deals)
           and dc.contact_id in (select contact_id from live_contacts))::int as associations,
      (select count(*) from meetings where portal_id = ${demo.portalId} and not archived)::int as meetings,
      (select count(*) from activities where portal_id = ${demo.portalId} and kind = 'call' and not archived)::int as calls,
      (select count(*) from activities where portal_id = ${demo.portalId} and kind = 'email' and not archived)::int as emails,
      (select count(distinct day) from web_traffic_daily where portal_id = ${demo.portalId})::int as "trafficDays",
      (select count(*) from touches t
         where t.portal_id = ${demo.portalId} and t.contact_id in (select contact_id from live_contacts))::int as touches`.execute(
    demo.ctx.db,
  );
  return rows[0]!;
}

const SPEED_AND_BRAND = [
  'speed_to_lead_minutes_median',
  'speed_to_lead_share_within_5m',
  'speed_to_lead_answered',
  'speed_to_lead_followups_mean',
  'funnel_visits',
  'brand_direct_visits',
  'brand_organic_visits',
  'brand_direct_contacts',
  'brand_direct_visits_change_relative',
] as const;

/** The portal-wide figures of the newest trailing-90-days period, with its label. */
async function readTrailingFigures(
  demo: DemoRun,
  kpis: string[],
): Promise<Record<(typeof SPEED_AND_BRAND)[number], number | null> & { period: string }> {
  const rows = await demo.ctx.db
    .selectFrom('kpi_snapshots')
    .select(['kpi', 'value', 'period_label', 'period_start'])
    .where('portal_id', '=', demo.portalId)
    .where('period_unit', '=', 'trailing_90d')
    .where('breakdown', '=', 'all')
    .where('kpi', 'in', kpis)
    .orderBy('period_start', 'desc')
    .execute();
  const newest = rows[0]?.period_start.getTime();
  const out: Record<string, number | null> = Object.fromEntries(kpis.map((k) => [k, null]));
  for (const r of rows)
    if (r.period_start.getTime() === newest) out[r.kpi] = r.value === null ? null : Number(r.value);
  return {
    ...(out as Record<(typeof SPEED_AND_BRAND)[number], number | null>),
    period: rows[0]?.period_label ?? '-',
  };
}

const steps: DemoStep[] = [
  {
    name: 'simulator',
    run: (demo) =>
      Promise.resolve({
        simulator: {
          url: demo.simulator.url,
          portals: demo.simulator.portals,
          generatedInMs: Math.round(demo.simulator.generation.durationMs),
          records: demo.simulator.generation.portals[demo.portalId],
        },
      }),
  },
  {
    name: 'install',
    run: async (demo) => {
      const installed = await installIntoSimulator({ apiUrl: demo.api.url, portalId: demo.portalId });
      demo.say(
        `Installed into portal ${installed.portalId}: ${installed.scopes.length} scopes granted, ${installed.propertiesCreated} KPI properties created`,
      );
      return {
        install: {
          portalId: installed.portalId,
          scopes: installed.scopes,
          propertiesCreated: installed.propertiesCreated,
        },
      };
    },
  },
  {
    name: 'sync',
    run: async (demo) => {
      const started = Date.now();
      await waitUntil('the first full sync', async () => {
        const s = await findSyncState(demo.ctx.db, demo.portalId, FULL_STREAM);
        if (s?.status === 'failed')
          throw new Error(`demo: full sync failed: ${s.last_error ?? 'unknown error'}`);
        return s?.status === 'done' && s.last_success_at && s.last_success_at.getTime() >= demo.startedAt
          ? s
          : undefined;
      });
      const comparison = await compareWithGroundTruth(
        demo.ctx.db,
        demo.portalId,
        demo.simulator.groundTruth(demo.portalId),
      );
      const sync = {
        ...(await countLiveRecords(demo)),
        matchesSimulator: comparison.matches,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      demo.say(
        `Synced ${sync.contacts} contacts, ${sync.deals} deals, ${sync.associations} associations, ${sync.meetings} meetings, ${sync.calls} calls, ${sync.emails} emails, ${sync.trafficDays} days of traffic, ${sync.touches} touches; matches the simulator: ${sync.matchesSimulator}`,
      );
      return { sync };
    },
  },
  {
    name: 'kpi',
    run: async (demo) => {
      // The sync queued a debounced recompute; wait for it rather than start another.
      await waitUntil('the KPI computation', async () => {
        const run = await demo.ctx.db
          .selectFrom('kpi_runs')
          .select(['status', 'error', 'finished_at'])
          .where('portal_id', '=', demo.portalId)
          .where('started_at', '>=', new Date(demo.startedAt))
          .orderBy('run_id', 'desc')
          .executeTakeFirst();
        if (run?.status === 'failed')
          throw new Error(`demo: KPI computation failed: ${run.error ?? 'unknown error'}`);
        return run?.status === 'succeeded' ? run : undefined;
      });
      const h = await demo.ctx.kpi.readHeadline(demo.portalId);
      const kpi = {
        period: h.period.label,
        pipelineId: h.pipelineId,
        velocityPerDay: h.velocityPerDay,
        winRate: h.winRate,
        averageWonDealSize: h.averageWonDealSize,
        salesCycleDays: h.salesCycleDays,
        qualifiedOpportunities: h.qualifiedOpportunities,
        revenueBySource: h.revenueBySource,
      };
      const fmt = (n: number | null, digits = 0) =>
        n === null ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits });
      demo.say(
        `Pipeline velocity (${kpi.period}, pipeline ${kpi.pipelineId ?? '-'}): ${fmt(kpi.velocityPerDay)} per day`,
      );
      demo.say(
        `  = ${fmt(kpi.qualifiedOpportunities)} qualified opportunities × ${fmt(kpi.winRate === null ? null : kpi.winRate * 100, 1)} % win rate × ${fmt(kpi.averageWonDealSize)} average won deal ÷ ${fmt(kpi.salesCycleDays, 1)} days sales cycle`,
      );
      demo.say(
        `Revenue by source: ${Object.entries(kpi.revenueBySource)
          .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
          .map(([source, value]) => `${source} ${fmt(value)}`)
          .join(', ')}`,
      );
      for (const [model, channels] of Object.entries(h.topChannels)) {
        demo.say(`  revenue won ${kpi.period}, top channels, ${model}: ${JSON.stringify(channels)}`);
      }
      const lead = await readTrailingFigures(demo, [...SPEED_AND_BRAND]);
      const speedToLead = {
        medianMinutes: lead.speed_to_lead_minutes_median,
        shareWithin5m: lead.speed_to_lead_share_within_5m,
        answered: lead.speed_to_lead_answered,
        followUpsBeforeMeeting: lead.speed_to_lead_followups_mean,
      };
      const brand = {
        visits: lead.funnel_visits,
        directVisits: lead.brand_direct_visits,
        organicVisits: lead.brand_organic_visits,
        directContacts: lead.brand_direct_contacts,
        directVisitsChange: lead.brand_direct_visits_change_relative,
      };
      demo.say(
        `Speed to lead (${lead.period}): median ${fmt(speedToLead.medianMinutes, 1)} min, ${fmt(speedToLead.shareWithin5m === null ? null : speedToLead.shareWithin5m * 100, 1)} % of leads answered within 5 min, ${fmt(speedToLead.answered)} answered`,
      );
      demo.say(
        `Brand (${lead.period}): ${fmt(brand.visits)} visits, ${fmt(brand.directVisits)} direct, ${fmt(brand.organicVisits)} organic, ${fmt(brand.directContacts)} direct-traffic contacts`,
      );
      return { kpi: { ...kpi, speedToLead, brand } };
    },
  },
  {
    // Write-back: the KPI run queued it; its KPIs land on the simulator's records. Then run it once
    // more by hand: unchanged KPIs make no call (rerunCalls 0).
    name: 'writeback',
    run: async (demo) => {
      const run = await waitUntil('the write-back', async () => {
        const r = await demo.ctx.db
          .selectFrom('writeback_runs')
          .selectAll()
          .where('portal_id', '=', demo.portalId)
          .where('started_at', '>=', new Date(demo.startedAt))
          .where('status', 'in', ['succeeded', 'stopped'])
          .orderBy('run_id', 'desc')
          .executeTakeFirst();
        return r;
      });
      const rerun = await demo.ctx.writeback.run(demo.portalId);
      const failed = Object.values(run.failures).reduce((a, b) => a + b, 0);
      const writeback = {
        deals: run.records_written.deals ?? 0,
        contacts: run.records_written.contacts ?? 0,
        calls: run.calls,
        failed,
        rerunCalls: rerun.calls,
      };
      demo.say(
        `Wrote KPIs back to ${writeback.deals} deals and ${writeback.contacts} contacts in ${writeback.calls} batch calls (${failed} refused); re-run with unchanged KPIs: ${writeback.rerunCalls} calls`,
      );
      return { writeback };
    },
  },
  {
    name: 'cards',
    run: async (demo) => {
      // What the deal and contact cards ask for, signed as hubspot.fetch signs it, and what they get.
      const deal = await demo.ctx.db
        .selectFrom('kpi_deal_rows as r')
        .innerJoin('deal_contacts as dc', (j) =>
          j.onRef('dc.portal_id', '=', 'r.portal_id').onRef('dc.deal_id', '=', 'r.deal_id'),
        )
        .select(['r.deal_id', 'dc.contact_id'])
        .where('r.portal_id', '=', demo.portalId)
        .orderBy('r.outcome', 'desc')
        .orderBy('r.deal_id')
        .executeTakeFirstOrThrow();
      const cards: Record<string, unknown> = {};
      for (const path of [
        `/cards/deal?dealId=${deal.deal_id}`,
        `/cards/contact?contactId=${deal.contact_id}`,
      ]) {
        const full = `${path}&portalId=${demo.portalId}&userId=1&userEmail=rep%40example.com&appId=${demo.ctx.config.hubspot.appId}`;
        const timestamp = String(Date.now());
        const headers = {
          'X-HubSpot-Signature-v3': computeSignatureV3(
            demo.ctx.config.hubspot.clientSecret,
            'GET',
            `${demo.ctx.config.http.publicBaseUrl}${full}`,
            '',
            timestamp,
          ),
          'X-HubSpot-Request-Timestamp': timestamp,
        };
        const res = await getLocal(`${demo.api.url}${full}`, headers);
        const body = JSON.parse(res.body) as { state?: string };
        demo.say(`GET ${demo.ctx.config.http.publicBaseUrl}${full}`);
        for (const [name, value] of Object.entries(headers)) demo.say(`  ${name}: ${value}`);
        demo.say(`→ ${res.status} ${res.body}`);
        cards[path.slice(7, path.indexOf('?'))] = { status: res.status, state: body.state };
      }
      return { cards };
    },
  },
  {
    // The report pages: a one-time link opens the overview; --once checks every view with it.
    name: 'reports',
    run: async (demo) => {
      const link = await demo.ctx.reports.mintLinkForPortal(demo.portalId);
      if (!link) throw new Error('demo: the portal is not installed, no report link');
      const base = `${demo.api.url}/reports/${demo.portalId}`;
      if (!demo.once) {
        demo.say(`Reports (open within 60 s, works once): ${link.url}`);
        return {};
      }
      // Our own API on loopback, not HubSpot.
      // eslint-disable-next-line no-restricted-globals
      const get = (url: string, init: RequestInit) => fetch(url, init);
      const opened = await get(link.url, { redirect: 'manual' });
      const cookie = opened.headers.get('set-cookie')?.split(';')[0] ?? '';
      const views: Record<string, number> = {};
      for (const view of VIEWS) views[view] = (await get(`${base}/${view}`, { headers: { cookie } })).status;
      demo.say(
        `Reports: ${base}/overview (${Object.values(views).filter((s) => s === 200).length}/${VIEWS.length} views OK)`,
      );
      return { reports: { url: `${base}/overview`, opened: opened.headers.get('location'), views } };
    },
  },
];

/** A GET to our own API (fetch is reserved for the HubSpot adapter by lint). */
function getLocal(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function demoConfig(
  env: NodeJS.ProcessEnv,
  port: number,
  simulator: { url: string; seed: number | string },
  isolation: { schema: string; queuePrefix: string },
): Config {
  // The demo plays the simulator's app (its credentials derive from the seed), with a
  // demo-only token key: nothing here is a real secret.
  const app = deriveApp(simulator.seed);
  return parseConfig({
    ...env,
    HUBSPOT_CLIENT_ID: app.clientId,
    HUBSPOT_CLIENT_SECRET: app.clientSecret,
    HUBSPOT_APP_ID: String(app.appId),
    HUBSPOT_API_BASE_URL: simulator.url,
    HUBSPOT_AUTH_BASE_URL: simulator.url,
    TOKEN_ENCRYPTION_KEYS: `demo:${Buffer.from('kpi-bridge-demo-key-not-secret!!').toString('base64')}`,
    PORT: String(port),
    // 0.0.0.0 in a container (docker compose --profile demo), so its published ports reach it.
    HTTP_HOST: env.HTTP_HOST || '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    // Its own schema and queues: the demo never touches a real installation's data.
    DATABASE_SCHEMA: isolation.schema,
    QUEUE_PREFIX: isolation.queuePrefix,
    LOG_LEVEL: env.LOG_LEVEL || 'warn',
  });
}

export async function runDemoCommand(
  args: string[],
  io: Pick<CommandIo, 'stdout' | 'env'> = { stdout: process.stdout, env: process.env },
): Promise<number> {
  const { values } = parseCommandArgs(args, {
    once: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    contacts: { type: 'string', default: '2000' },
    deals: { type: 'string', default: '400' },
    port: { type: 'string' },
    'simulator-port': { type: 'string' },
    schema: { type: 'string', default: 'kpi_bridge_demo' },
    'queue-prefix': { type: 'string', default: '{kpi-bridge-demo}' },
  });
  const port = values.port ? Number(values.port) : values.once ? await freePort() : 3000;
  // Picked before the simulator starts: the config points the app at it.
  const simulatorPort = values['simulator-port']
    ? Number(values['simulator-port'])
    : values.once
      ? await freePort()
      : 4010;
  const seed = Number.isFinite(Number(values.seed)) ? Number(values.seed) : values.seed;
  const config = demoConfig(
    io.env,
    port,
    { url: `http://127.0.0.1:${simulatorPort}`, seed },
    { schema: values.schema, queuePrefix: values['queue-prefix'] },
  );
  const log = createLogger({ level: config.log.level, format: config.log.format });
  const say = (line: string) => io.stdout.write(`${line}\n`);

  const startedAt = Date.now();
  // Before anything else: a user without Postgres or Redis hears it now, not after minutes.
  await checkServices(config, { postgres: true, redis: true, allowMissingDatabase: true });
  await runMigrations(config, log, 'up');
  const simulator = await startSimulator({
    seed,
    host: config.http.host,
    port: simulatorPort,
    contacts: Number(values.contacts),
    deals: Number(values.deals),
    logger: log.child({ name: 'simulator' }),
  });
  const ctx = createContext(config, log);
  // Jobs left in the demo's own queues by an interrupted demo point at a simulator that
  // no longer exists; start from empty queues.
  for (const name of QUEUE_NAMES) await ctx.producer.queue(name).obliterate({ force: true });
  const api = await startApi(ctx);
  const workers = startWorker(ctx);
  simulator.setWebhookTarget(`${config.http.publicBaseUrl}/webhooks/hubspot`);
  const portalId = simulator.portals[0]!;

  say(`HubSpot simulator  ${simulator.url}  (portal ${portalId}, client_id ${simulator.app.clientId})`);
  say(`KPI Bridge API     ${api.url}  (health: ${api.url}/readyz)`);
  say(`KPI Bridge worker  queues ${workers.workers.map((w) => w.name).join(', ')} on ${config.redis.url}`);

  const stop = async () => {
    await api.close();
    await workers.close(config.shutdownTimeoutMs);
    await ctx.close();
    await simulator.close();
  };

  const demo: DemoRun = { startedAt, say, simulator, ctx, api, workers, portalId, log, once: values.once };
  if (!values.once) {
    stopOnSignals(stop, log);
    for (const step of steps) await step.run(demo);
    say(
      `Ctrl-C stops all three. Meanwhile: ${api.url}/readyz, or change data in the simulator (${simulator.url}/_sim) and watch it sync.`,
    );
    return 0;
  }
  try {
    const summary: Record<string, unknown> = {
      api: api.url,
      worker: { queues: workers.workers.map((w) => w.name) },
    };
    for (const step of steps) Object.assign(summary, await step.run(demo));
    say(JSON.stringify(summary));
    return 0;
  } finally {
    await stop();
  }
}
