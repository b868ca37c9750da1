import { PassThrough } from 'node:stream';

import { createKpiService } from '../../../src/kpi/kpi.service';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { runCommand } from '../../../src/main/cli';
import { runtimeOf } from '../../../src/main/commands/command';
import { reportLinkCommand } from '../../../src/main/commands/report-link';
import { createReportAccess } from '../../../src/reports/access';
import { cachedChart, chartKey, clearChartCache } from '../../../src/reports/charts';
import { VIEWS } from '../../../src/reports/views';
import { parseCsv } from '../../helpers/csv';
import { hubspotSignedHeaders } from '../../helpers/hubspot-signing';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from '../kpi/seed';
import { freePort } from '../../helpers/ports';
import type { SeedPortal } from '../kpi/seed';

const DAY = 86_400_000;
// The report pages show the latest stored periods, so the portal is computed as of now.
const NOW = Date.now();

function portal(portalId: number, amount: number): SeedPortal {
  return {
    portalId,
    pipelines: [
      {
        id: 'default',
        stages: [
          { id: 'appt', order: 0, closed: false, probability: 0.2 },
          { id: 'won', order: 1, closed: true, probability: 1 },
          { id: 'lost', order: 2, closed: true, probability: 0 },
        ],
      },
    ],
    contacts: [
      { id: 1, createdAt: NOW - 60 * DAY, source: 'ORGANIC_SEARCH', lifecycleStage: 'customer' },
      { id: 2, createdAt: NOW - 50 * DAY, source: 'PAID_SEARCH, "brand", quoted' },
      { id: 3, createdAt: NOW - 1 * DAY, source: 'DIRECT_TRAFFIC', lifecycleStage: 'lead' },
    ],
    deals: [
      {
        id: 100,
        pipelineId: 'default',
        stageId: 'won',
        amount,
        createdAt: NOW - 40 * DAY,
        closedAt: NOW - 2 * DAY,
        contactIds: [1],
      },
      {
        id: 101,
        pipelineId: 'default',
        stageId: 'won',
        amount: amount * 2,
        createdAt: NOW - 30 * DAY,
        closedAt: NOW - 2 * DAY,
        contactIds: [2],
      },
      {
        id: 102,
        pipelineId: 'default',
        stageId: 'lost',
        amount: 10,
        createdAt: NOW - 30 * DAY,
        closedAt: NOW - 2 * DAY,
        contactIds: [2],
      },
      {
        id: 103,
        pipelineId: 'default',
        stageId: 'appt',
        amount: 700,
        createdAt: NOW - 20 * DAY,
        closedAt: null,
        contactIds: [3],
      },
    ],
    touches: [
      { id: 't1', contactId: 1, at: NOW - 70 * DAY, channel: 'ORGANIC_SEARCH' },
      { id: 't2', contactId: 2, at: NOW - 55 * DAY, channel: 'PAID_SEARCH' },
    ],
  };
}

let ctx: TestContext;
let api: ApiHandle;

async function open(portalId: number): Promise<string> {
  const link = await ctx.reports.mintLinkForPortal(portalId);
  const res = await fetch(link!.url, { redirect: 'manual' });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(`/reports/${portalId}/overview`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

const get = (path: string, cookie?: string) =>
  fetch(`${api.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

beforeAll(async () => {
  const port = await freePort();
  // Links carry the public base URL: this server's.
  ctx = await createTestContext({
    PORT: String(port),
    HTTP_HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  });
  await seedPortal(ctx.db, portal(21, 1000));
  await seedPortal(ctx.db, portal(22, 5));
  // Portal 21 also has a completed stay (deal 100 in appt for 38 days before it was won) and a
  // call to contact 1 three minutes after its creation, for the stage-median and speed-to-lead drill-downs.
  await ctx.db
    .insertInto('deal_stage_history')
    .values([
      { portal_id: 21, deal_id: 100, stage_id: 'appt', changed_at: new Date(NOW - 40 * DAY).toISOString() },
      { portal_id: 21, deal_id: 100, stage_id: 'won', changed_at: new Date(NOW - 2 * DAY).toISOString() },
    ])
    .execute();
  const called = new Date(NOW - 60 * DAY + 3 * 60_000);
  await ctx.db
    .insertInto('activities')
    .values({
      portal_id: 21,
      kind: 'call',
      activity_id: 1,
      occurred_at: called,
      created_at: called,
      updated_at: called,
    })
    .execute();
  await ctx.db
    .insertInto('activity_contacts')
    .values({ portal_id: 21, kind: 'call', activity_id: 1, contact_id: 1 })
    .execute();
  const kpi = createKpiService({ db: ctx.db, logger: silentLogger() });
  await kpi.recompute(21, { now: NOW });
  await kpi.recompute(22, { now: NOW });
  api = await startApi(ctx);
});
afterAll(async () => {
  await api.close();
  await ctx.cleanup();
});

describe('access', () => {
  test('a link opens once: the session cookie is HttpOnly, SameSite=Lax, 8 h; a second opening gets the expired page', async () => {
    const link = await ctx.reports.mintLinkForPortal(21);
    const first = await fetch(link!.url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^kpi_bridge_report=[\w-]{43}; Path=\/reports; Max-Age=28800; HttpOnly; SameSite=Lax$/,
    );
    const again = await fetch(link!.url, { redirect: 'manual' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('kpi-bridge report-link --portal');
  });

  test('links expire after their TTL; cookies are Secure when asked; only hashes are stored', async () => {
    const access = createReportAccess({
      redis: ctx.redis,
      keyPrefix: ctx.config.queue.prefix,
      publicBaseUrl: 'https://reports.example',
      secureCookies: true,
      linkTtlMs: 30,
    });
    const { url } = await access.mintLink({ portalId: 21, userId: 7 });
    const token = new URL(url).searchParams.get('token')!;
    const keys = await ctx.redis.keys(`${ctx.config.queue.prefix}:reports:*`);
    expect(keys.some((k) => k.includes(token))).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(await access.redeemLink(token)).toBeUndefined();
    const fresh = new URL((await access.mintLink({ portalId: 21, userId: 7 })).url).searchParams.get(
      'token',
    )!;
    const redeemed = await access.redeemLink(fresh);
    expect(redeemed?.principal).toEqual({ portalId: 21, userId: 7 });
    expect(access.sessionCookie(redeemed!.sessionId)).toMatch(/; Secure$/);
    expect(await access.readSession(redeemed!.sessionId)).toEqual({ portalId: 21, userId: 7 });
  });

  test('no session: 401 page; a session of portal 21 gets 404 for anything of portal 22', async () => {
    expect((await get('/reports/21/overview')).status).toBe(401);
    const cookie = await open(21);
    expect((await get('/reports/21/overview', cookie)).status).toBe(200);
    for (const path of [
      '/reports/22/overview',
      '/reports/22/pipeline',
      '/reports/22/records?kind=won',
      '/reports/22/records/csv?kind=won',
      '/reports/22/csv/overview/velocity',
      '/reports/99999/overview',
    ]) {
      const res = await get(path, cookie);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('data-status="not-found"');
    }
  });

  test('kpi-bridge report-link prints a link for an installed portal and refuses any other', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let printed = '';
    out.on('data', (c: Buffer) => (printed += c.toString()));
    const rt = runtimeOf(ctx, { stdout: out, stderr: err });
    expect(await runCommand(reportLinkCommand, ['--portal', '21'], rt)).toBe(0);
    const url = printed.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/reports\/open\?token=[\w-]{43}$/);
    expect((await fetch(url, { redirect: 'manual' })).headers.get('location')).toBe('/reports/21/overview');
    expect(await runCommand(reportLinkCommand, ['--portal', '404'], rt)).toBe(1);
    expect(await runCommand(reportLinkCommand, ['--portal', 'x'], rt)).toBe(2);
    expect(await runCommand(reportLinkCommand, ['--portal', '21', '--view', 'nope'], rt)).toBe(2);
  });
});

describe('figures and records', () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = await open(21);
  });

  test('every view renders for the session portal, with its own figures only', async () => {
    for (const view of ['overview', 'attribution', 'funnel', 'pipeline', 'lifecycle', 'speed-to-lead']) {
      const res = await get(`/reports/21/${view}`, cookie);
      expect(res.status).toBe(200);
      expect(res.headers.get('server-timing')).toMatch(/^view;dur=/);
    }
    const pipeline = await (await get('/reports/21/pipeline?unit=trailing_90d', cookie)).text();
    // Average won deal size of portal 21 is (1000 + 2000) / 2; portal 22's (5 + 10) / 2 is not there.
    expect(pipeline).toContain('data-value="1500"');
    expect(pipeline).not.toContain('data-value="7.5"');
  });

  test('an unknown figure shows its reason, never 0', async () => {
    const html = await (await get('/reports/21/overview?unit=month', cookie)).text();
    expect(html).toContain('n/a: no analytics data in period');
    expect(html).toContain('n/a: no branded search series uploaded');
  });

  test('bad picker values are a 400 page, not a 500', async () => {
    expect((await get('/reports/21/overview?unit=decade', cookie)).status).toBe(400);
    expect((await get('/reports/21/overview?extra=1', cookie)).status).toBe(400);
    expect((await get('/reports/21/records?kind=nope', cookie)).status).toBe(400);
    expect((await get('/reports/21/nope', cookie)).status).toBe(404);
  });

  test('the won-deals drill-down lists exactly the deals of the figure, as HTML and as CSV', async () => {
    const html = await (await get('/reports/21/pipeline?unit=trailing_90d', cookie)).text();
    const href = /href="(\/reports\/21\/records\?kind=won[^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const list = await (await get(href, cookie)).text();
    expect(/data-count="(\d+)"/.exec(list)![1]).toBe('2');
    expect(list).toContain('https://app.hubspot.com/contacts/21/record/0-3/100');
    expect(list).toContain('https://app.hubspot.com/contacts/21/record/0-3/101');
    const csvHref = /href="(\/reports\/21\/records\/csv\?[^"]+)"/.exec(list)![1]!.replace(/&amp;/g, '&');
    const res = await get(csvHref, cookie);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
    expect(rows[0]).toContain('HubSpot URL');
    expect(rows.slice(1).map((r) => r[0])).toEqual(['100', '101']);
    // ISO dates, plain numbers, and a source with a comma and quotes survives the round trip.
    const created = rows[0]!.indexOf('Created');
    expect(rows[1]![created]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const source = rows[0]!.indexOf('Source');
    expect(rows[2]![source]).toBe('PAID_SEARCH, "brand", quoted');
  });

  test('qualified opportunities link to the deals that entered the qualified stage in the period', async () => {
    const html = await (await get('/reports/21/pipeline?unit=trailing_90d', cookie)).text();
    const hrefs = [...html.matchAll(/href="(\/reports\/21\/records\?kind=qualified[^"]+)"/g)].map((m) =>
      m[1]!.replace(/&amp;/g, '&'),
    );
    const latest = hrefs[hrefs.length - 1]!;
    const list = await (await get(latest, cookie)).text();
    // Deals 100 and 101 (won) and 103 (in the first open stage) were created into implying stages; the lost one was not.
    expect(/data-count="(\d+)"/.exec(list)![1]).toBe('3');
    expect(list).not.toContain('record/0-3/102');
    expect(html).toContain(`data-value="3">3</a>`);
  });

  test('an attribution credit links to the conversions that touched the channel, as many as the stored total counts', async () => {
    const html = await (await get('/reports/21/attribution?unit=trailing_90d&kind=revenue', cookie)).text();
    const href = /href="(\/reports\/21\/records\?kind=credits[^"]*value=ORGANIC_SEARCH[^"]*)"/
      .exec(html)![1]!
      .replace(/&amp;/g, '&');
    const drill = new URLSearchParams(href.split('?')[1]);
    const stored = await ctx.db
      .selectFrom('kpi_attribution_totals')
      .select(['conversions', 'credit'])
      .where('portal_id', '=', 21)
      .where('conversion_kind', '=', 'revenue')
      .where('model', '=', drill.get('model')!)
      .where('period_unit', '=', 'trailing_90d')
      .where('period_start', '=', new Date(drill.get('start')!))
      .where('breakdown', '=', 'pipeline')
      .where('breakdown_value', '=', 'default')
      .where('channel', '=', 'ORGANIC_SEARCH')
      .executeTakeFirstOrThrow();
    const list = await (await get(href, cookie)).text();
    expect(Number(/data-count="(\d+)"/.exec(list)![1])).toBe(stored.conversions);
    expect(stored.conversions).toBe(1);
    expect(list).toContain('https://app.hubspot.com/contacts/21/record/0-3/100');
  });

  /** Figures of a page that link to records of `kind`: their value and their list as CSV rows. */
  async function linked(page: string, kind: string) {
    const html = await (await get(page, cookie)).text();
    const found = [
      ...html.matchAll(/href="(\/reports\/21\/records\?kind=([a-z_]+)[^"]*)" data-value="([^"]*)"/g),
    ]
      .filter((m) => m[2] === kind)
      .map((m) => ({ href: m[1]!.replace(/&amp;/g, '&'), value: Number(m[3]) }));
    expect(found.length).toBeGreaterThan(0);
    return found;
  }
  async function records(href: string) {
    const res = await get(href.replace('/records?', '/records/csv?'), cookie);
    expect(res.status).toBe(200);
    const [head, ...rows] = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
    return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
  }

  test('velocity itself links to the deals behind its four factors, which give back the figure', async () => {
    const [latest] = (await linked('/reports/21/pipeline?unit=trailing_90d', 'velocity')).slice(-1);
    const rows = await records(latest!.href);
    const qualified = rows.filter((r) => r['Counts as']!.includes('qualified')).length;
    const won = rows.filter((r) => r['Counts as']!.includes('won'));
    const closed = won.length + rows.filter((r) => r['Counts as']!.includes('lost')).length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const size = mean(won.map((r) => Number(r['Amount (home currency)'])));
    const cycle = mean(won.map((r) => Number(r['Days to close'])));
    expect([qualified, won.length, closed]).toEqual([3, 2, 3]);
    expect(((qualified * won.length) / closed) * (size / cycle)).toBeCloseTo(latest!.value, 6);
    expect(rows[0]!['HubSpot URL']).toMatch(/^https:\/\/app\.hubspot\.com\/contacts\/21\/record\/0-3\//);
  });

  test('open pipeline at each period end links to the deals open then, as many as the figure', async () => {
    const figures = await linked('/reports/21/pipeline?unit=month', 'open_at');
    let nonZero = 0;
    // Each period-end row links its count, then its amount, to the same list.
    for (let i = 0; i < figures.length; i += 2) {
      const [count, amount] = [figures[i]!, figures[i + 1]!];
      expect(amount.href).toBe(count.href);
      const rows = await records(count.href);
      expect(rows.length).toBe(count.value);
      expect(rows.reduce((a, r) => a + Number(r['Amount (home currency)']), 0)).toBe(amount.value);
      if (count.value > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(0);
  });

  test('a stage median links to the deals whose completed stays it is the median of', async () => {
    const [median] = await linked('/reports/21/pipeline?unit=month', 'stage_stays');
    const rows = await records(median!.href);
    expect(rows.map((r) => r['Deal'])).toEqual(['100']);
    expect(Number(rows[0]!['Days in the stage (completed stays)'])).toBeCloseTo(median!.value, 6);
    expect(median!.value).toBeCloseTo(38, 6);
  });

  test('speed-to-lead figures link to the leads of the period: all of them, or the answered ones', async () => {
    const page = '/reports/21/speed-to-lead?unit=month';
    const [answered] = (await linked(page, 'leads_answered')).filter((f) => f.value === 1);
    expect((await records(answered!.href)).map((r) => r['Contact'])).toEqual(['1']);
    const leads = await linked(page, 'leads');
    const stored = await ctx.db
      .selectFrom('kpi_snapshots')
      .select(['period_start', 'inputs'])
      .where('portal_id', '=', 21)
      .where('kpi', '=', 'speed_to_lead_share_within_5m')
      .where('period_unit', '=', 'month')
      .where('breakdown', '=', 'all')
      .execute();
    let checked = 0;
    for (const f of leads.filter((x) => !x.href.includes('by='))) {
      const start = new URLSearchParams(f.href.split('?')[1]).get('start')!;
      const row = stored.find((r) => r.period_start.toISOString() === new Date(start).toISOString());
      const denominator = (row!.inputs as { denominator: number }).denominator;
      expect((await records(f.href)).length).toBe(denominator);
      checked += denominator;
    }
    expect(checked).toBeGreaterThan(0);
  });

  test('stage-to-stage conversion links to the cohort and the converted contacts, as many as the figures', async () => {
    const page = '/reports/21/lifecycle?unit=trailing_90d';
    const cohorts = await linked(page, 'lifecycle_cohort');
    const converted = await linked(page, 'lifecycle_converted');
    // Per pair (the `from` stage in `value`): "Entered" then the rate link to the cohort,
    // "Converted" then the median to the converted; a null rate or median has no link.
    const byStage = (figures: typeof cohorts) => {
      const m = new Map<string, typeof cohorts>();
      for (const f of figures) {
        const stage = new URLSearchParams(f.href.split('?')[1]).get('value')!;
        m.set(stage, [...(m.get(stage) ?? []), f]);
      }
      return m;
    };
    const conv = byStage(converted);
    let total = 0;
    let rates = 0;
    for (const [stage, [entered, rate]] of byStage(cohorts)) {
      const [reached] = conv.get(stage)!;
      const cohort = await records(entered!.href);
      expect({ stage, n: cohort.length }).toEqual({ stage, n: entered!.value });
      expect({ stage, n: (await records(reached!.href)).length }).toEqual({ stage, n: reached!.value });
      if (rate) {
        expect(rate.value).toBeCloseTo(reached!.value / entered!.value, 6);
        rates++;
      }
      total += cohort.length;
    }
    expect(rates).toBeGreaterThan(0);
    // Contact 1 (customer since creation, no history) and contact 3 (lead) entered subscriber in the period.
    expect(total).toBeGreaterThanOrEqual(2);
  });

  test('a view table downloads as CSV with the figures unformatted and unknowns empty', async () => {
    const res = await get('/reports/21/csv/pipeline/velocity-trend?unit=trailing_90d', cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="pipeline-velocity-trend-.*\.csv"$/,
    );
    const rows = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
    expect(rows[0]![0]).toBe('Period');
    const latest = rows[rows.length - 1]!;
    expect(latest[4]).toBe('1500');
  });
});

describe('charts drawn after a KPI run', () => {
  test("the worker's warming shares each default view's charts: a process that has drawn none gets them all", async () => {
    const charts = async (portalId: number) => {
      const keys: string[] = [];
      for (const name of VIEWS) {
        const view = await ctx.reports.buildView(portalId, name, {});
        keys.push(...view.sections.flatMap((s) => (s.chart ? [chartKey(s.chart)] : [])));
        clearChartCache();
        await ctx.reports.prefetchCharts(view);
        keys.push(
          ...view.sections.flatMap((s) => (s.chart && cachedChart(chartKey(s.chart)) ? ['hit'] : [])),
        );
      }
      return { charts: keys.filter((k) => k !== 'hit').length, hits: keys.filter((k) => k === 'hit').length };
    };
    clearChartCache();
    expect((await charts(22)).hits).toBe(0);
    const shared = await ctx.reports.warmDefaultViews(22);
    expect(shared).toBeGreaterThan(5);
    expect(await charts(22)).toEqual({ charts: shared, hits: shared });
  });
});

describe('upload', () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = await open(21);
  });
  const post = (path: string, kind: string, csv: string | null, c = cookie) => {
    const form = new FormData();
    form.set('kind', kind);
    if (csv !== null) form.set('file', new Blob([csv], { type: 'text/csv' }), 'series.csv');
    return fetch(`${api.url}${path}`, { method: 'POST', body: form, headers: { cookie: c } });
  };
  const storedDays = async (table: 'web_traffic_daily' | 'branded_search_daily') =>
    Number(
      (
        await ctx.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('portal_id', '=', 21)
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('a bad file is refused whole with a reason per bad row, and nothing is stored', async () => {
    const res = await post(
      '/reports/21/upload',
      'traffic',
      'day,source,visits\n2026-11-01,ORGANIC_SEARCH,12\n2026-11-31,ORGANIC_SEARCH,3\n2026-11-02,DIRECT_TRAFFIC,-4\n',
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('data-outcome="refused"');
    expect(html).toMatch(/line 3: day is not a calendar date/);
    expect(html).toMatch(/line 4: visits must be a whole number/);
    expect(await storedDays('web_traffic_daily')).toBe(0);
  });

  test('a good file is stored; uploading it again changes nothing; a KPI run is asked for', async () => {
    const csv = 'day,searches\n2026-11-01,1840\n2026-11-02,1795\n';
    const first = await post('/reports/21/upload', 'branded-search', csv);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('data-outcome="accepted"');
    expect(await storedDays('branded_search_daily')).toBe(2);
    expect((await post('/reports/21/upload', 'branded-search', csv)).status).toBe(200);
    expect(await storedDays('branded_search_daily')).toBe(2);
    const jobs = await ctx.producer.queue('kpi').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.some((j) => (j.data as { portalId: number }).portalId === 21)).toBe(true);
  });

  test('no file or no kind is a 400 page; another portal is 404', async () => {
    expect((await post('/reports/21/upload', 'traffic', null)).status).toBe(400);
    expect((await post('/reports/21/upload', 'visits', 'day,searches\n')).status).toBe(400);
    expect((await post('/reports/22/upload', 'traffic', 'day,source,visits\n2026-11-01,X,1\n')).status).toBe(
      404,
    );
    expect(await storedDays('web_traffic_daily')).toBe(0);
  });
});

describe('signed JSON API for the app pages', () => {
  const signedFetch = (path: string, init: { method?: string; body?: string } = {}) => {
    const url = `${ctx.config.http.publicBaseUrl}${path}`;
    const method = init.method ?? 'GET';
    return fetch(url, {
      method,
      ...(init.body !== undefined ? { body: init.body } : {}),
      headers: {
        'content-type': 'application/json',
        ...hubspotSignedHeaders({
          clientSecret: ctx.config.hubspot.clientSecret,
          method,
          url,
          body: init.body ?? '',
        }),
      },
    });
  };

  test('a view as JSON for the signed portal only; unsigned is 401', async () => {
    expect((await fetch(`${api.url}/api/reports/views/overview?portalId=21`)).status).toBe(401);
    const res = await signedFetch('/api/reports/views/pipeline?portalId=21&userId=5&unit=trailing_90d');
    expect(res.status).toBe(200);
    const view = (await res.json()) as {
      context: { portalId: number };
      sections: { tables: { id: string }[] }[];
    };
    expect(view.context.portalId).toBe(21);
    expect(view.sections.flatMap((s) => s.tables.map((t) => t.id))).toContain('velocity-trend');
    const other = (await (
      await signedFetch('/api/reports/views/pipeline?portalId=22&unit=trailing_90d')
    ).json()) as {
      context: { portalId: number };
    };
    expect(other.context.portalId).toBe(22);
    expect((await signedFetch('/api/reports/views/nope?portalId=21')).status).toBe(400);
    expect((await signedFetch('/api/reports/views/overview?portalId=21&unit=decade')).status).toBe(400);
  });

  test('"Open full report": a signed request mints a one-time link for that portal and user', async () => {
    const res = await signedFetch('/api/reports/link?portalId=21&userId=5', {
      method: 'POST',
      body: JSON.stringify({ view: 'pipeline' }),
    });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    const opened = await fetch(url, { redirect: 'manual' });
    expect(opened.headers.get('location')).toBe('/reports/21/pipeline');
    const bad = await signedFetch('/api/reports/link?portalId=21', { method: 'POST', body: '{"view":"x"}' });
    expect(bad.status).toBe(400);
    const unknown = await signedFetch('/api/reports/link?portalId=404', { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });
});
