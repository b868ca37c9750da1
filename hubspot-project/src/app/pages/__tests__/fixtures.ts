import type { ReportContext, ReportSection, ReportViewData, ReportViewName } from '../generated/reports';
import { REPORT_VIEW_TITLES } from '../generated/reports';
import type { Fetcher, FetchResponse } from '../generated/client';

/** Answers as the backend sends them (the tests parse them with the same contract). */

export function context(overrides: Partial<ReportContext> = {}): ReportContext {
  const periods = [
    { unit: 'month', label: '2026-10', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' },
    { unit: 'month', label: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
  ];
  return {
    portalId: 123,
    unit: 'month',
    period: periods[1],
    periods,
    pipeline: { id: 'default', label: 'Sales' },
    pipelines: [
      { id: 'default', label: 'Sales' },
      { id: 'renewals', label: 'Renewals' },
    ],
    owners: [{ id: '7', label: 'Ada Lovelace' }],
    bySource: true,
    model: 'w_shaped',
    kind: 'revenue',
    currency: 'EUR',
    asOf: '2026-11-30T06:00:00.000Z',
    ...overrides,
  };
}

/** One section per view as the backend builds it: a chart, the table beside it, an unknown figure. */
const SECTIONS: Record<ReportViewName, ReportSection> = {
  overview: {
    id: 'velocity',
    title: 'Pipeline velocity and which lever moved',
    note: 'velocity = qualified opportunities × win rate × average won deal size ÷ sales cycle days.',
    chart: {
      type: 'bar',
      title: 'Meetings booked on the web per period',
      format: 'count',
      categories: ['2026-10', '2026-11'],
      series: [{ name: 'Meetings booked', values: [12, 15] }],
    },
    tables: [
      {
        id: 'velocity',
        title: 'Pipeline velocity',
        caption: 'Pipeline Sales, 2026-11 (month), all owners; money in EUR',
        columns: ['Factor', 'Value', 'Change'],
        rows: [
          [
            { v: 'Pipeline velocity (per day)', fmt: 'text', strong: true },
            { v: null, fmt: 'money', reason: 'no closed deals in period' },
            { v: null, fmt: 'change', reason: 'a side is unknown' },
          ],
          [
            { v: 'Win rate', fmt: 'text' },
            { v: 0.25, fmt: 'rate' },
            { v: -0.1, fmt: 'change' },
          ],
        ],
      },
    ],
  },
  attribution: {
    id: 'models',
    title: 'Compare the models',
    chart: {
      type: 'bar',
      horizontal: true,
      title: 'W-shaped against last touch',
      format: 'money',
      categories: ['ORGANIC_SEARCH', 'PAID_SEARCH'],
      series: [
        { name: 'W-shaped', values: [600, 400] },
        { name: 'Last touch', values: [1000, 0] },
      ],
    },
    tables: [
      {
        id: 'models',
        title: 'Every model side by side: Revenue (deals won)',
        caption: '2026-11 (month); credit per channel under each model',
        columns: ['Channel', 'W-shaped', 'Last touch', 'Markov removal effect'],
        rows: [
          [
            { v: 'ORGANIC_SEARCH', fmt: 'text' },
            { v: 600, fmt: 'money', strong: true },
            { v: 1000, fmt: 'money' },
            { v: null, fmt: 'rate', reason: 'no Markov weight for this channel' },
          ],
        ],
      },
    ],
  },
  funnel: {
    id: 'funnel',
    title: 'Visits → contacts → customers',
    chart: {
      type: 'line',
      title: 'Visits, contacts and customers per period',
      format: 'count',
      categories: ['2026-10', '2026-11'],
      series: [
        { name: 'Visits', values: [null, 900] },
        { name: 'Contacts', values: [30, 40] },
      ],
    },
    tables: [
      {
        id: 'funnel',
        title: 'Funnel per period',
        caption: 'Per month, all sources',
        columns: ['Period', 'Visits', 'Contacts', 'Visit → contact'],
        rows: [
          [
            { v: '2026-11', fmt: 'text' },
            { v: null, fmt: 'count', reason: 'no visits series for this period' },
            { v: 40, fmt: 'count' },
            { v: null, fmt: 'rate', reason: 'visits unknown' },
          ],
        ],
      },
    ],
  },
  pipeline: {
    id: 'velocity-trend',
    title: 'Velocity trend',
    chart: {
      type: 'line',
      title: 'Pipeline velocity per period',
      format: 'money',
      categories: ['2026-10', '2026-11'],
      series: [{ name: 'Velocity per day', values: [120.5, 140] }],
    },
    tables: [
      {
        id: 'velocity-trend',
        title: 'Velocity per period',
        caption: 'Pipeline Sales, all owners; money in EUR',
        columns: ['Period', 'Pipeline velocity (per day)', 'Sales cycle (days)'],
        rows: [
          [
            { v: '2026-10', fmt: 'text' },
            { v: null, fmt: 'money', reason: 'no closed deals in period' },
            { v: null, fmt: 'days', reason: 'no won deals in period' },
          ],
          [
            { v: '2026-11', fmt: 'text' },
            { v: 140, fmt: 'money' },
            { v: 12.25, fmt: 'days' },
          ],
        ],
      },
    ],
  },
  lifecycle: {
    id: 'stages-now',
    title: 'Contacts in each lifecycle stage now',
    chart: {
      type: 'bar',
      horizontal: true,
      title: 'Contacts per lifecycle stage now',
      format: 'count',
      categories: ['Lead', 'Customer'],
      series: [{ name: 'Contacts', values: [1200, 80] }],
    },
    tables: [
      {
        id: 'stage-conversion',
        title: 'Stage-to-stage conversion',
        caption: '2026-11 (month)',
        columns: ['From', 'To', 'Conversion rate'],
        rows: [
          [
            { v: 'Lead', fmt: 'text' },
            { v: 'Customer', fmt: 'text' },
            { v: null, fmt: 'rate', reason: 'not stored by the KPI run yet' },
          ],
        ],
      },
    ],
  },
  'speed-to-lead': {
    id: 'speed',
    title: 'Speed to lead',
    chart: {
      type: 'line',
      title: 'Share answered within 5 minutes',
      format: 'rate',
      categories: ['2026-10', '2026-11'],
      series: [{ name: 'Within 5 minutes', values: [0.4, 0.55] }],
    },
    tables: [
      {
        id: 'speed',
        title: 'Speed to lead per period',
        caption: 'Per month, all sources and owners',
        columns: ['Period', 'Median minutes', 'Within 5 minutes', 'Follow-ups before first meeting (mean)'],
        rows: [
          [
            { v: '2026-11', fmt: 'text' },
            { v: 4.5, fmt: 'minutes' },
            { v: 0.55, fmt: 'rate' },
            { v: null, fmt: 'number', reason: 'not stored by the KPI run yet' },
          ],
        ],
      },
    ],
  },
};

export function readyView(view: ReportViewName, overrides: Partial<ReportViewData> = {}): ReportViewData {
  return {
    state: 'ready',
    view,
    title: REPORT_VIEW_TITLES[view],
    context: context(),
    sections: [SECTIONS[view]],
    ...overrides,
  };
}

type Answer = { status: number; body: unknown } | 'never' | Error;

/**
 * A hubspot.fetch stand-in that answers by URL: `views` in order for the view requests, `links`
 * in order for "Open full report"; it records every call.
 */
export function backendFake(answers: { views?: Answer[]; links?: Answer[] }) {
  const calls: { url: string; options: Parameters<Fetcher>[1] }[] = [];
  const served = { views: 0, links: 0 };
  const fetcher: Fetcher = (url, options) => {
    calls.push({ url, options });
    const kind = url.includes('/api/reports/link') ? 'links' : 'views';
    const list = answers[kind] ?? [];
    const answer = list[Math.min(++served[kind], list.length) - 1];
    if (answer === undefined) throw new Error(`backendFake: no ${kind} answer configured`);
    if (answer === 'never') return new Promise<FetchResponse>(() => {});
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      json: () => Promise.resolve(answer.body),
    });
  };
  return { fetcher, calls, viewCalls: () => calls.filter((c) => !c.url.includes('/api/reports/link')) };
}

export const ok = (body: unknown) => ({ status: 200, body });
