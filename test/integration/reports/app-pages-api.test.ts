import { readFileSync } from 'node:fs';
import path from 'node:path';

import { createKpiService } from '../../../src/kpi/kpi.service';
import { startApi } from '../../../src/main/api';
import type { ApiHandle } from '../../../src/main/api';
import { MODEL_LABELS as CARD_MODEL_LABELS } from '../../../src/cards';
import { PERIOD_UNITS, CREDIT_MODELS } from '../../../src/reports/report-data';
import {
  CONVERSION_KIND_LABELS,
  CREDIT_MODEL_IDS,
  CREDIT_MODEL_LABELS,
  PERIOD_UNIT_IDS,
  REPORT_API_PATHS,
  REPORT_VIEW_TITLES,
  REPORT_VIEWS,
  reportLinkSchema,
  reportViewResponseSchema,
} from '../../../src/reports/report.schemas';
import { VIEW_TITLES, VIEWS } from '../../../src/reports';
import { MODEL_LABELS } from '../../../src/reports/views';
import { hubspotSignedHeaders } from '../../helpers/hubspot-signing';
import { freePort } from '../../helpers/ports';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from '../kpi/seed';

/**
 * The JSON API behind the app pages inside HubSpot, against its contract
 * (src/reports/report.schemas.ts, copied into hubspot-project/src/app/pages/generated/): every
 * view parses as the pages parse it, a portal before its first KPI run says what it waits for,
 * and "Open full report" carries the view and its pickers into the web report.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const PORTAL = 31;
const FIRST_SYNC = 32;

let ctx: TestContext;
let api: ApiHandle;

beforeAll(async () => {
  const port = await freePort();
  ctx = await createTestContext({
    PORT: String(port),
    HTTP_HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  });
  await seedPortal(ctx.db, {
    portalId: PORTAL,
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
      { id: 2, createdAt: NOW - 50 * DAY, source: 'PAID_SEARCH' },
      { id: 3, createdAt: NOW - 1 * DAY, source: 'DIRECT_TRAFFIC', lifecycleStage: 'lead' },
    ],
    deals: [
      {
        id: 100,
        pipelineId: 'default',
        stageId: 'won',
        amount: 1000,
        createdAt: NOW - 40 * DAY,
        closedAt: NOW - 2 * DAY,
        contactIds: [1],
      },
      {
        id: 101,
        pipelineId: 'default',
        stageId: 'appt',
        amount: 700,
        createdAt: NOW - 20 * DAY,
        closedAt: null,
        contactIds: [2],
      },
    ],
    touches: [
      { id: 't1', contactId: 1, at: NOW - 70 * DAY, channel: 'ORGANIC_SEARCH' },
      { id: 't2', contactId: 2, at: NOW - 55 * DAY, channel: 'PAID_SEARCH' },
    ],
  });
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });
  // Installed, first sync under way: no KPI run yet.
  await seedPortal(ctx.db, { portalId: FIRST_SYNC, pipelines: [], contacts: [], deals: [], touches: [] });
  await ctx.db
    .insertInto('sync_state')
    .values([
      { portal_id: FIRST_SYNC, stream: 'full', status: 'running' },
      { portal_id: FIRST_SYNC, stream: 'contacts', status: 'running', records_synced: 1234 },
    ])
    .execute();
  api = await startApi(ctx);
});
afterAll(async () => {
  await api.close();
  await ctx.cleanup();
});

const signedFetch = (
  portalId: number,
  pathAndQuery: string,
  init: { method?: string; body?: string } = {},
) => {
  const sep = pathAndQuery.includes('?') ? '&' : '?';
  const url = `${ctx.config.http.publicBaseUrl}${pathAndQuery}${sep}portalId=${portalId}&userId=7`;
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

describe('the contract shared with the app pages', () => {
  test('names the views, units and models the backend knows', () => {
    expect(REPORT_VIEWS).toEqual(VIEWS);
    expect(REPORT_VIEW_TITLES).toEqual(VIEW_TITLES);
    expect(PERIOD_UNIT_IDS).toEqual(PERIOD_UNITS);
    expect(CREDIT_MODEL_IDS).toEqual(CREDIT_MODELS);
    expect(Object.keys(CONVERSION_KIND_LABELS)).toEqual(['revenue', 'deal_create', 'contact_create']);
    expect(CREDIT_MODEL_LABELS).toEqual(CARD_MODEL_LABELS);
    expect(CREDIT_MODEL_LABELS).toEqual(MODEL_LABELS);
  });

  test('imports nothing but zod (it is copied verbatim into the pages)', () => {
    const source = readFileSync(path.join(__dirname, '../../../src/reports/report.schemas.ts'), 'utf8');
    expect([...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['zod']);
  });
});

describe('GET /api/reports/views/:view', () => {
  test.each(REPORT_VIEWS)(
    '%s parses with the contract, and nothing is dropped or defaulted',
    async (view) => {
      for (const query of ['', '?unit=quarter&by=none', '?unit=trailing_90d&model=markov&kind=deal_create']) {
        const res = await signedFetch(PORTAL, `${REPORT_API_PATHS.view(view)}${query}`);
        expect(res.status).toBe(200);
        const body = await res.json();
        const parsed = reportViewResponseSchema.parse(body);
        // Strict equality: a key the contract does not know, or a format it maps to "number", is drift.
        expect(stripUndefined(parsed)).toEqual(withoutDrill(body));
        if (parsed.state !== 'ready') throw new Error('expected figures');
        expect(parsed.view).toBe(view);
        expect(parsed.context.asOf).not.toBeNull();
      }
    },
  );

  test('answers with the pickers applied and the options they offer', async () => {
    const res = await signedFetch(
      PORTAL,
      `${REPORT_API_PATHS.view('attribution')}?unit=quarter&model=linear`,
    );
    const parsed = reportViewResponseSchema.parse(await res.json());
    if (parsed.state !== 'ready') throw new Error('expected figures');
    expect(parsed.context).toMatchObject({ unit: 'quarter', model: 'linear', pipeline: { id: 'default' } });
    expect(parsed.context.periods.length).toBeGreaterThan(0);
    expect(parsed.context.period?.label).toBe(parsed.context.periods.at(-1)?.label);
  });

  test('says the first sync is running, with its progress, for a portal without a KPI run', async () => {
    const res = await signedFetch(FIRST_SYNC, REPORT_API_PATHS.view('overview'));
    expect(res.status).toBe(200);
    expect(reportViewResponseSchema.parse(await res.json())).toEqual({
      state: 'portal_pending',
      phase: 'sync',
      recordsSynced: 1234,
      kpiStartedAt: null,
    });
    await ctx.db
      .updateTable('sync_state')
      .set({ status: 'done' })
      .where('portal_id', '=', FIRST_SYNC)
      .where('stream', '=', 'full')
      .execute();
    const computing = reportViewResponseSchema.parse(
      await (await signedFetch(FIRST_SYNC, REPORT_API_PATHS.view('funnel'))).json(),
    );
    expect(computing).toMatchObject({ state: 'portal_pending', phase: 'kpi' });
  });

  test('a bad picker is a 400 naming it', async () => {
    const res = await signedFetch(PORTAL, `${REPORT_API_PATHS.view('overview')}?model=best`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path)).toEqual(['model']);
  });
});

describe('POST /api/reports/link ("Open full report")', () => {
  test('opens the web report of the same view with the same pickers', async () => {
    const res = await signedFetch(PORTAL, REPORT_API_PATHS.link, {
      method: 'POST',
      body: JSON.stringify({ view: 'attribution', params: { unit: 'quarter', model: 'markov', period: '' } }),
    });
    expect(res.status).toBe(200);
    const link = reportLinkSchema.parse(await res.json());
    const opened = await fetch(link.url, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe(`/reports/${PORTAL}/attribution?unit=quarter&model=markov`);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(`${api.url}${opened.headers.get('location')!}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    // Single use.
    expect((await fetch(link.url, { redirect: 'manual' })).status).toBe(410);
  });

  test('refuses pickers the web report would refuse, naming them', async () => {
    const res = await signedFetch(PORTAL, REPORT_API_PATHS.link, {
      method: 'POST',
      body: JSON.stringify({ view: 'funnel', params: { unit: 'decade', colour: 'red' } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['params', 'params.unit']);
  });
});

/** The parsed value without keys whose value is undefined (JSON has none). */
function stripUndefined(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Drill-down addresses are for the web report; the pages do not read them. */
function withoutDrill(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDrill);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'drill')
        .map(([k, v]) => [k, withoutDrill(v)]),
    );
  return value;
}
