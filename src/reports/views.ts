import { z } from 'zod';

import type { Executor } from '../db';
import type { ChartSpec, ValueFormat } from './charts';
import { LIFECYCLE_CONVERSION_RATE, LIFECYCLE_MEDIAN_DAYS } from '../kpi';
import type { DrillRef } from './drill';
import {
  CONVERSION_KIND_LABELS,
  CONVERSION_KINDS,
  CREDIT_MODEL_LABELS,
  REPORT_VIEW_TITLES,
  REPORT_VIEWS,
} from './report.schemas';
import type { ReportViewName } from './report.schemas';
import {
  ALL,
  CREDIT_MODELS,
  findLatestRun,
  listLifecycleStages,
  listOwners,
  listPeriods,
  listPipelines,
  PERIOD_UNITS,
  readBrandedSearch,
  readChannelTotals,
  readPeriodCredits,
  readSnapshots,
  readStageMedians,
} from './report-data';
import type { ChannelTotal, Figure, Option, PeriodRef, SnapshotRow } from './report-data';

/**
 * The six report views as data: sections with a chart and the table beside it, each cell a
 * stored figure (or null with its reason) and the address of the records behind it. The web
 * pages render this to HTML and CSV; the app pages inside HubSpot get it as JSON.
 */

// Names, titles and labels are the contract's (report.schemas.ts), which the app pages copy.
export const VIEWS = REPORT_VIEWS;
export type ViewName = ReportViewName;
export const VIEW_TITLES = REPORT_VIEW_TITLES;

const KINDS = CONVERSION_KINDS;
type ConversionKind = (typeof KINDS)[number];
const KIND_LABELS = CONVERSION_KIND_LABELS;
const DEFAULT_MODEL: Record<ConversionKind, (typeof CREDIT_MODELS)[number]> = {
  revenue: 'w_shaped',
  deal_create: 'w_shaped',
  contact_create: 'u_shaped',
};
export const MODEL_LABELS: Record<string, string> = CREDIT_MODEL_LABELS;

// Forms send empty strings for "no choice".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const viewParamsSchema = z
  .object({
    unit: optional(z.enum(PERIOD_UNITS)),
    period: optional(z.string().max(40)),
    pipeline: optional(z.string().max(100)),
    owner: optional(z.string().max(100)),
    by: optional(z.enum(['none', 'source'])),
    model: optional(z.enum(CREDIT_MODELS)),
    kind: optional(z.enum(KINDS)),
    target: optional(z.coerce.number().positive().max(1e13)),
  })
  .strict();
export type ViewParams = z.output<typeof viewParamsSchema>;

export interface Cell {
  readonly v: number | string | null;
  readonly fmt?: ValueFormat | 'text' | 'change';
  /** Why a figure is unknown (null). */
  readonly reason?: string;
  readonly drill?: DrillRef;
  readonly strong?: boolean;
}

export interface Table {
  readonly id: string;
  readonly title: string;
  /** The population and unit the figures are about. */
  readonly caption?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface Section {
  readonly id: string;
  readonly title: string;
  readonly note?: string;
  readonly chart?: ChartSpec;
  readonly tables: readonly Table[];
}

export interface ReportContext {
  readonly portalId: number;
  readonly unit: string;
  readonly period: PeriodRef | undefined;
  readonly periods: readonly PeriodRef[];
  readonly pipeline: Option | undefined;
  readonly pipelines: readonly Option[];
  readonly owner: Option | undefined;
  readonly owners: readonly Option[];
  readonly bySource: boolean;
  readonly model: (typeof CREDIT_MODELS)[number];
  readonly kind: ConversionKind;
  readonly currency: string | null;
  readonly asOf: Date | null;
}

export interface ReportView {
  readonly view: ViewName;
  readonly title: string;
  readonly context: ReportContext;
  readonly sections: readonly Section[];
}

async function resolveContext(db: Executor, portalId: number, p: ViewParams): Promise<ReportContext> {
  const unit = p.unit ?? 'month';
  const [periods, pipelines, owners, run, portal] = await Promise.all([
    listPeriods(db, portalId, unit),
    listPipelines(db, portalId),
    listOwners(db, portalId),
    findLatestRun(db, portalId),
    db.selectFrom('portals').select('company_currency').where('portal_id', '=', portalId).executeTakeFirst(),
  ]);
  const kind = p.kind ?? 'revenue';
  return {
    portalId,
    unit,
    periods,
    period: periods.find((x) => x.label === p.period) ?? periods[periods.length - 1],
    pipelines,
    pipeline: pipelines.find((x) => x.id === p.pipeline) ?? pipelines[0],
    owners,
    owner:
      p.owner === undefined
        ? undefined
        : (owners.find((o) => o.id === p.owner) ?? { id: p.owner, label: p.owner }),
    bySource: (p.by ?? 'source') === 'source',
    model: p.model ?? DEFAULT_MODEL[kind],
    kind,
    currency: portal?.company_currency ?? null,
    asOf: run?.asOf ?? null,
  };
}

const MISSING = 'not computed for this period';

function cell(row: SnapshotRow | undefined, fmt: ValueFormat, drill?: DrillRef): Cell {
  if (row === undefined) return { v: null, fmt, reason: MISSING };
  return row.value === null
    ? { v: null, fmt, reason: row.reason ?? 'unknown', ...(drill ? { drill } : {}) }
    : { v: row.value, fmt, ...(drill ? { drill } : {}) };
}

function text(v: string, strong = false): Cell {
  return { v, fmt: 'text', strong };
}

/** Relative change against the previous period, with the rules of docs/kpis.md. */
function change(cur: number | null | undefined, prev: number | null | undefined, hasPrev: boolean): Cell {
  if (!hasPrev) return { v: null, fmt: 'change', reason: 'no previous period stored' };
  if (cur === null || cur === undefined || prev === null || prev === undefined)
    return { v: null, fmt: 'change', reason: 'a side is unknown' };
  if (prev === 0) return { v: null, fmt: 'change', reason: 'previous period value is 0' };
  return { v: (cur - prev) / Math.abs(prev), fmt: 'change' };
}

const periodDrill = (p: PeriodRef) => ({ start: p.start.toISOString(), end: p.end.toISOString() });

function index(rows: readonly SnapshotRow[]) {
  const m = new Map<string, SnapshotRow>();
  // Velocity rows of breakdown `all` carry an empty breakdown value, the others `(all sources)`.
  for (const r of rows)
    m.set(`${r.kpi}|${r.periodStart.getTime()}|${r.breakdown === 'all' ? ALL : r.breakdownValue}`, r);
  return (kpi: string, p: PeriodRef | undefined, value = ALL) =>
    p === undefined ? undefined : m.get(`${kpi}|${p.start.getTime()}|${value}`);
}

function describe(ctx: ReportContext): string {
  return ctx.period ? `${ctx.period.label} (${ctx.unit.replace('_', ' ')})` : 'no period';
}

/** Owner filter for KPIs stored per owner; the label says when it applies. */
function ownerBreakdown(ctx: ReportContext) {
  return ctx.owner ? { breakdown: 'owner', breakdownValue: ctx.owner.id } : { breakdown: 'all' };
}
function ownerNote(ctx: ReportContext): string | undefined {
  return ctx.owner
    ? `Owner ${ctx.owner.label} selected: these figures are stored for all owners only, so the owner filter does not apply here.`
    : undefined;
}

const VELOCITY = [
  ['pipeline_velocity', 'Pipeline velocity (per day)', 'money'],
  ['qualified_opportunities', 'Qualified opportunities', 'count'],
  ['win_rate', 'Win rate', 'rate'],
  ['average_won_deal_size', 'Average won deal size', 'money'],
  ['sales_cycle_days', 'Sales cycle (days)', 'days'],
] as const;

function velocityDrill(kpi: string, ctx: ReportContext, p: PeriodRef): DrillRef | undefined {
  const base = {
    ...periodDrill(p),
    pipeline: ctx.pipeline?.id,
    ...(ctx.owner ? { by: 'owner' as const, value: ctx.owner.id } : {}),
  };
  if (kpi === 'pipeline_velocity')
    return { kind: 'velocity', ...base, label: `Deals behind pipeline velocity in ${p.label}` };
  if (kpi === 'win_rate') return { kind: 'closed', ...base, label: `Deals closed in ${p.label}` };
  if (kpi === 'qualified_opportunities')
    return { kind: 'qualified', ...base, label: `Deals qualified in ${p.label}` };
  if (kpi === 'average_won_deal_size' || kpi === 'sales_cycle_days')
    return { kind: 'won', ...base, label: `Deals won in ${p.label}` };
  return undefined;
}

async function velocitySection(db: Executor, ctx: ReportContext): Promise<Section> {
  const p = ctx.period;
  const kpis = VELOCITY.map(([k]) => k).flatMap((k) => [k, `${k}_change`, `${k}_change_relative`]);
  const rows =
    p && ctx.pipeline
      ? await readSnapshots(db, ctx.portalId, {
          kpis,
          unit: ctx.unit,
          start: p.start,
          pipelineId: ctx.pipeline.id,
          ...ownerBreakdown(ctx),
        })
      : [];
  const get = (k: string) => rows.find((r) => r.kpi === k);
  let moved: string | undefined;
  let best = -1;
  for (const [k] of VELOCITY.slice(1)) {
    const v = get(`${k}_change_relative`)?.value;
    if (v !== null && v !== undefined && Math.abs(v) > best) {
      best = Math.abs(v);
      moved = k;
    }
  }
  return {
    id: 'velocity',
    title: 'Pipeline velocity and which lever moved',
    note: 'velocity = qualified opportunities × win rate × average won deal size ÷ sales cycle days. The factor with the largest relative change against the previous period is marked.',
    tables: [
      {
        id: 'velocity',
        title: 'Pipeline velocity',
        caption: `Pipeline ${ctx.pipeline?.label ?? '-'}, ${describe(ctx)}${ctx.owner ? `, owner ${ctx.owner.label}` : ', all owners'}; money in ${ctx.currency ?? 'home currency'}`,
        columns: ['Factor', 'Value', 'Change', 'Relative change', 'Moved most'],
        rows: VELOCITY.map(([k, label, fmt]) => [
          text(label, k === 'pipeline_velocity'),
          cell(get(k), fmt, p && velocityDrill(k, ctx, p)),
          { ...cell(get(`${k}_change`), fmt), fmt: fmt },
          { ...cell(get(`${k}_change_relative`), 'rate'), fmt: 'change' },
          text(moved === k ? '◀ moved most' : ''),
        ]),
      },
    ],
  };
}

async function overview(db: Executor, ctx: ReportContext): Promise<Section[]> {
  const [visits, contacts, meetings, branded] = await Promise.all([
    readSnapshots(db, ctx.portalId, { kpis: ['web_visits'], unit: ctx.unit, breakdown: 'source' }),
    readSnapshots(db, ctx.portalId, {
      kpis: ['new_contacts'],
      unit: ctx.unit,
      breakdown: 'source',
      breakdownValue: 'DIRECT_TRAFFIC',
    }),
    readSnapshots(db, ctx.portalId, { kpis: ['meetings_booked_web'], unit: ctx.unit }),
    readBrandedSearch(db, ctx.portalId, ctx.periods),
  ]);
  const get = index([...visits, ...contacts, ...meetings]);
  const periods = ctx.periods;
  const brandRows = periods.map((p, i) => {
    const prev = periods[i - 1];
    const dv = get('web_visits', p, 'DIRECT_TRAFFIC');
    const ov = get('web_visits', p, 'ORGANIC_SEARCH');
    const dc = get('new_contacts', p, 'DIRECT_TRAFFIC');
    const d = periodDrill(p);
    return [
      text(p.label),
      cell(dv, 'count', {
        kind: 'visits',
        ...d,
        by: 'source',
        value: 'DIRECT_TRAFFIC',
        label: `Direct-traffic visits, ${p.label}`,
      }),
      change(dv?.value, get('web_visits', prev, 'DIRECT_TRAFFIC')?.value, prev !== undefined),
      cell(ov, 'count', {
        kind: 'visits',
        ...d,
        by: 'source',
        value: 'ORGANIC_SEARCH',
        label: `Organic-search visits, ${p.label}`,
      }),
      change(ov?.value, get('web_visits', prev, 'ORGANIC_SEARCH')?.value, prev !== undefined),
      dc
        ? cell(dc, 'count', {
            kind: 'contacts',
            ...d,
            by: 'source',
            value: 'DIRECT_TRAFFIC',
            label: `Contacts from direct traffic, ${p.label}`,
          })
        : { v: 0, fmt: 'count' as const },
      change(
        dc?.value ?? 0,
        prev && (get('new_contacts', prev, 'DIRECT_TRAFFIC')?.value ?? 0),
        prev !== undefined,
      ),
      brandedCell(branded.get(p.start.getTime())),
      change(
        branded.get(p.start.getTime())?.value,
        prev && branded.get(prev.start.getTime())?.value,
        prev !== undefined,
      ),
    ];
  });
  const meetingRows = periods.map((p, i) => {
    const m = get('meetings_booked_web', p);
    return [
      text(p.label),
      cell(m, 'count', {
        kind: 'meetings',
        ...periodDrill(p),
        label: `Meetings booked on the web, ${p.label}`,
      }),
      change(m?.value, get('meetings_booked_web', periods[i - 1])?.value, i > 0),
    ];
  });
  const p = ctx.period;
  const meetingSources =
    ctx.bySource && p
      ? meetings
          .filter((r) => r.breakdown === 'source' && r.periodStart.getTime() === p.start.getTime())
          .map((r) => [
            text(r.breakdownValue),
            cell(r, 'count', {
              kind: 'meetings',
              ...periodDrill(p),
              by: 'source',
              value: r.breakdownValue,
              label: `Meetings booked on the web from ${r.breakdownValue}, ${p.label}`,
            }),
          ])
      : [];
  const labels = periods.map((x) => x.label);
  return [
    {
      id: 'brand',
      title: 'Is anything happening? Brand reach (KPI 1)',
      note: [
        'Direct-traffic and organic-search visits from the analytics report, contacts whose original source is direct traffic, and branded search volume when uploaded; change against the previous period.',
        ownerNote(ctx),
      ]
        .filter(Boolean)
        .join(' '),
      chart: {
        type: 'line',
        title: 'Brand reach per period',
        format: 'count',
        categories: labels,
        series: [
          { name: 'Direct-traffic visits', values: brandRows.map((r) => num(r[1])) },
          { name: 'Organic-search visits', values: brandRows.map((r) => num(r[3])) },
          { name: 'Direct-traffic contacts', values: brandRows.map((r) => num(r[5])) },
          { name: 'Branded searches', values: brandRows.map((r) => num(r[7])) },
        ],
      },
      tables: [
        {
          id: 'brand',
          title: 'Brand reach',
          caption: `Per ${ctx.unit.replace('_', ' ')}, all owners`,
          columns: [
            'Period',
            'Direct-traffic visits',
            'Change',
            'Organic-search visits',
            'Change',
            'Direct-traffic contacts',
            'Change',
            'Branded search volume',
            'Change',
          ],
          rows: brandRows,
        },
      ],
    },
    {
      id: 'meetings',
      title: 'What does marketing deliver? Meetings booked on the web (KPI 2)',
      note: 'Meetings whose source is the public meetings link, counted when booked, by the original source of the booking contact.',
      chart: {
        type: 'bar',
        title: 'Meetings booked on the web per period',
        format: 'count',
        categories: labels,
        series: [{ name: 'Meetings booked', values: meetingRows.map((r) => num(r[1])) }],
      },
      tables: [
        {
          id: 'meetings',
          title: 'Meetings booked on the web',
          caption: `Per ${ctx.unit.replace('_', ' ')}, all sources`,
          columns: ['Period', 'Meetings booked', 'Change'],
          rows: meetingRows,
        },
        ...(meetingSources.length > 0 || ctx.bySource
          ? [
              {
                id: 'meetings-by-source',
                title: 'Meetings booked on the web per source',
                caption: `${describe(ctx)}, by original source of the booking contact`,
                columns: ['Source', 'Meetings booked'],
                rows: meetingSources,
              },
            ]
          : []),
      ],
    },
    await velocitySection(db, ctx),
  ];
}

function brandedCell(f: Figure | undefined): Cell {
  return f === undefined || f.value === null
    ? { v: null, fmt: 'count', reason: f?.reason ?? 'no branded search series uploaded' }
    : { v: f.value, fmt: 'count' };
}

function num(c: Cell | undefined): number | null {
  return c && typeof c.v === 'number' ? c.v : null;
}

async function attribution(db: Executor, ctx: ReportContext): Promise<Section[]> {
  const p = ctx.period;
  const scope = (kind: ConversionKind) =>
    p
      ? readPeriodCredits(db, ctx.portalId, {
          kind,
          unit: ctx.unit,
          start: p.start,
          ...(ctx.owner ? { ownerId: ctx.owner.id } : ctx.pipeline ? { pipelineId: ctx.pipeline.id } : {}),
        })
      : Promise.resolve([] as ChannelTotal[]);
  const [byKind, allTime] = await Promise.all([
    Promise.all(KINDS.map(scope)),
    readChannelTotals(db, ctx.portalId, ctx.kind),
  ]);
  const channelsOf = (totals: readonly ChannelTotal[]) => [...new Set(totals.map((t) => t.channel))].sort();
  const credit = (totals: readonly ChannelTotal[], model: string, channel: string) =>
    totals.find((t) => t.model === model && t.channel === channel)?.credit ?? 0;
  const fmtOf = (kind: ConversionKind): ValueFormat => (kind === 'revenue' ? 'money' : 'number');
  const creditDrill = (kind: ConversionKind, model: string, channel: string): DrillRef | undefined =>
    p && {
      kind: 'credits',
      ...periodDrill(p),
      conv: kind,
      model: model as (typeof CREDIT_MODELS)[number],
      by: 'channel',
      value: channel,
      ...(ctx.owner
        ? { owner: ctx.owner.id }
        : ctx.pipeline && kind !== 'contact_create'
          ? { pipeline: ctx.pipeline.id }
          : {}),
      label: `${KIND_LABELS[kind]} touched by ${channel}, ${p.label}`,
    };
  const allChannels = [...new Set(byKind.flatMap(channelsOf))].sort();
  const defaults: Table = {
    id: 'defaults',
    title: 'Default model per conversion kind',
    caption: `${describe(ctx)}; ${ctx.owner ? `records of owner ${ctx.owner.label}` : `deals of pipeline ${ctx.pipeline?.label ?? '-'}, all contacts`}; revenue in ${ctx.currency ?? 'home currency'}, deals and contacts as (fractional) counts`,
    columns: ['Channel', ...KINDS.map((k) => `${KIND_LABELS[k]}: ${MODEL_LABELS[DEFAULT_MODEL[k]]}`)],
    rows: allChannels.map((ch) => [
      text(ch),
      ...KINDS.map((k, i) => {
        const totals = byKind[i]!;
        const has = totals.some((t) => t.channel === ch);
        return has
          ? {
              v: credit(totals, DEFAULT_MODEL[k], ch),
              fmt: fmtOf(k),
              drill: creditDrill(k, DEFAULT_MODEL[k], ch),
            }
          : { v: 0, fmt: fmtOf(k) };
      }),
    ]),
  };
  const chosen = byKind[KINDS.indexOf(ctx.kind)]!;
  const channels = channelsOf(chosen);
  const removal = new Map(
    allTime.filter((t) => t.model === 'markov').map((t) => [t.channel, t.removalEffect]),
  );
  const compare: Table = {
    id: 'models',
    title: `Every model side by side: ${KIND_LABELS[ctx.kind]}`,
    caption: `${describe(ctx)}; credit per channel under each model; difference of ${MODEL_LABELS[ctx.model]} against last touch; Markov removal effect over all conversions of the latest KPI run`,
    columns: [
      'Channel',
      ...CREDIT_MODELS.map((m) => MODEL_LABELS[m]!),
      `${MODEL_LABELS[ctx.model]} − last touch`,
      'Markov removal effect',
    ],
    rows: channels.map((ch) => [
      text(ch),
      ...CREDIT_MODELS.map((m) => ({
        v: credit(chosen, m, ch),
        fmt: fmtOf(ctx.kind),
        drill: creditDrill(ctx.kind, m, ch),
        strong: m === ctx.model,
      })),
      { v: credit(chosen, ctx.model, ch) - credit(chosen, 'last_touch', ch), fmt: fmtOf(ctx.kind) },
      removal.get(ch) === undefined || removal.get(ch) === null
        ? { v: null, fmt: 'rate' as const, reason: 'no Markov weight for this channel' }
        : { v: removal.get(ch)!, fmt: 'rate' as const },
    ]),
  };
  return [
    {
      id: 'defaults',
      title: 'Attribution with the default models',
      note: [
        'W-shaped for revenue and deal creation, U-shaped for contact creation (docs/attribution.md). Credits of the conversions whose moment falls in the period.',
      ]
        .filter(Boolean)
        .join(' '),
      chart: {
        type: 'bar',
        horizontal: true,
        title: 'Revenue credit per channel, W-shaped',
        format: 'money',
        categories: allChannels,
        series: [{ name: 'Revenue (W-shaped)', values: defaults.rows.map((r) => num(r[1])) }],
      },
      tables: [defaults],
    },
    {
      id: 'models',
      title: 'Compare the models',
      note: 'Teams argue about models: this compares every model on your own conversions. Pick the conversion kind and the model to compare against last touch.',
      chart: {
        type: 'bar',
        horizontal: true,
        title: `${MODEL_LABELS[ctx.model]} against last touch`,
        format: fmtOf(ctx.kind),
        categories: channels,
        series: [
          { name: MODEL_LABELS[ctx.model]!, values: channels.map((ch) => credit(chosen, ctx.model, ch)) },
          { name: 'Last touch', values: channels.map((ch) => credit(chosen, 'last_touch', ch)) },
        ],
      },
      tables: [compare],
    },
  ];
}

async function funnel(db: Executor, ctx: ReportContext, params: ViewParams): Promise<Section[]> {
  const kpis = [
    'funnel_visits',
    'new_contacts',
    'new_customers',
    'visit_to_contact_rate',
    'contact_to_customer_rate',
    'leads_per_customer',
  ];
  const [rows, clv] = await Promise.all([
    readSnapshots(db, ctx.portalId, { kpis, unit: ctx.unit }),
    readSnapshots(db, ctx.portalId, {
      kpis: [
        'customer_lifetime_value',
        'clv_average_order_value',
        'clv_orders_per_year',
        'clv_years_as_customer',
      ],
      unit: 'now',
    }),
  ]);
  const get = index(rows);
  const line = (p: PeriodRef, source: string) => {
    const d = periodDrill(p);
    const bySource = source === ALL ? {} : { by: 'source' as const, value: source };
    return [
      get('funnel_visits', p, source),
      get('new_contacts', p, source),
      get('new_customers', p, source),
      get('visit_to_contact_rate', p, source),
      get('contact_to_customer_rate', p, source),
    ].map((r, i) => {
      const fmt: ValueFormat = i < 3 ? 'count' : 'rate';
      const drill: DrillRef | undefined =
        i === 0
          ? source === ALL
            ? { kind: 'visits', ...d, label: `Visits, ${p.label}` }
            : { kind: 'visits', ...d, ...bySource, label: `Visits from ${source}, ${p.label}` }
          : i === 1 || i === 3 || i === 4
            ? { kind: 'contacts', ...d, ...bySource, label: `Contacts created, ${source}, ${p.label}` }
            : i === 2
              ? { kind: 'customers', ...d, ...bySource, label: `New customers, ${source}, ${p.label}` }
              : undefined;
      // A source without a row had none of these records in the period: a count of 0, not unknown.
      return r === undefined && (i === 1 || i === 2) ? { v: 0, fmt } : cell(r, fmt, drill);
    });
  };
  const periodRows = ctx.periods.map((p) => [
    text(p.label),
    ...line(p, ALL),
    cell(get('leads_per_customer', p), 'number', {
      kind: 'customers',
      ...periodDrill(p),
      label: `New customers, ${p.label}`,
    }),
  ]);
  const p = ctx.period;
  const sources =
    p && ctx.bySource
      ? [
          ...new Set(
            rows
              .filter((r) => r.breakdown === 'source' && r.periodStart.getTime() === p.start.getTime())
              .map((r) => r.breakdownValue),
          ),
        ].sort()
      : [];
  const clvGet = (k: string) => clv.find((r) => r.kpi === k);
  const aov = clvGet('clv_average_order_value');
  const lpc = p ? get('leads_per_customer', p) : undefined;
  const v2c = p ? get('visit_to_contact_rate', p) : undefined;
  const target = params.target ?? 1_000_000;
  const customers: Cell =
    aov?.value === null || aov?.value === undefined
      ? { v: null, fmt: 'number', reason: `average order value unknown: ${aov?.reason ?? MISSING}` }
      : aov.value === 0
        ? { v: null, fmt: 'number', reason: 'average order value is 0' }
        : { v: target / aov.value, fmt: 'number' };
  const leads: Cell =
    typeof customers.v !== 'number'
      ? { v: null, fmt: 'number', reason: 'customers needed unknown' }
      : lpc?.value === null || lpc?.value === undefined
        ? { v: null, fmt: 'number', reason: `leads per customer unknown: ${lpc?.reason ?? MISSING}` }
        : { v: customers.v * lpc.value, fmt: 'number' };
  const visitsNeeded: Cell =
    typeof leads.v !== 'number'
      ? { v: null, fmt: 'number', reason: 'leads needed unknown' }
      : v2c?.value === null || v2c?.value === undefined || v2c.value === 0
        ? {
            v: null,
            fmt: 'number',
            reason: `visit-to-contact rate unknown: ${v2c?.reason ?? 'rate is 0'}`,
          }
        : { v: leads.v / v2c.value, fmt: 'number' };
  return [
    {
      id: 'funnel',
      title: 'Visits → contacts → customers',
      note: [
        "Rates are ratios of the period's flows, not cohorts: customers of a period may have been created earlier, so a rate can exceed 100 %.",
        ownerNote(ctx),
      ]
        .filter(Boolean)
        .join(' '),
      chart: {
        type: 'bar',
        title: 'Contacts and customers per period',
        format: 'count',
        categories: ctx.periods.map((x) => x.label),
        series: [
          { name: 'Contacts created', values: periodRows.map((r) => num(r[2])) },
          { name: 'New customers', values: periodRows.map((r) => num(r[3])) },
        ],
      },
      tables: [
        {
          id: 'funnel',
          title: 'Funnel per period',
          caption: `Per ${ctx.unit.replace('_', ' ')}, all sources`,
          columns: [
            'Period',
            'Visits',
            'Contacts',
            'Customers',
            'Visit → contact',
            'Contact → customer',
            'Leads per customer',
          ],
          rows: periodRows,
        },
        ...(ctx.bySource && p
          ? [
              {
                id: 'funnel-by-source',
                title: 'Funnel per source',
                caption: `${describe(ctx)}, by original source`,
                columns: [
                  'Source',
                  'Visits',
                  'Contacts',
                  'Customers',
                  'Visit → contact',
                  'Contact → customer',
                ],
                rows: sources.map((s) => [text(s), ...line(p, s)]),
              },
            ]
          : []),
      ],
    },
    {
      id: 'clv',
      title: 'Customer lifetime value',
      note: 'CLV = average order value × orders per year × years as customer, measured from won deals up to the latest KPI run.',
      tables: [
        {
          id: 'clv',
          title: 'Customer lifetime value and its inputs',
          caption: `As of the latest KPI run; money in ${ctx.currency ?? 'home currency'}`,
          columns: ['Figure', 'Value'],
          rows: [
            [text('Customer lifetime value', true), cell(clvGet('customer_lifetime_value'), 'money')],
            [text('Average order value'), cell(aov, 'money', { kind: 'won', label: 'Won deals (all time)' })],
            [text('Orders per year'), cell(clvGet('clv_orders_per_year'), 'number')],
            [text('Years as customer'), cell(clvGet('clv_years_as_customer'), 'number')],
          ],
        },
      ],
    },
    {
      id: 'what-it-takes',
      title: 'What it takes',
      note: `Target revenue → customers (÷ average order value) → leads (× leads per customer) → visits (÷ visit-to-contact rate), at the rates of ${describe(ctx)}. Change the target with the picker.`,
      tables: [
        {
          id: 'what-it-takes',
          title: 'What it takes to reach the target',
          caption: `Target revenue ${target.toLocaleString('en-US')} ${ctx.currency ?? ''}`.trim(),
          columns: ['Step', 'Needed'],
          rows: [
            [text('Target revenue'), { v: target, fmt: 'money' }],
            [text('Customers'), customers],
            [text('Leads'), leads],
            [text('Visits'), visitsNeeded],
          ],
        },
      ],
    },
  ];
}

async function pipeline(db: Executor, ctx: ReportContext): Promise<Section[]> {
  const p = ctx.period;
  const [trend, openNow, openEnds, days, stages] = await Promise.all([
    ctx.pipeline
      ? readSnapshots(db, ctx.portalId, {
          kpis: VELOCITY.map(([k]) => k),
          unit: ctx.unit,
          pipelineId: ctx.pipeline.id,
          ...ownerBreakdown(ctx),
        })
      : Promise.resolve([]),
    readSnapshots(db, ctx.portalId, {
      kpis: ['open_deals', 'open_amount'],
      unit: 'now',
      breakdown: ctx.owner ? 'owner' : 'source',
    }),
    readSnapshots(db, ctx.portalId, {
      kpis: ['open_deals', 'open_amount'],
      unit: ctx.unit,
      breakdown: 'all',
    }),
    p
      ? readSnapshots(db, ctx.portalId, {
          kpis: ['days_to_deal_mean', 'days_to_deal_median', 'days_to_deal_p90'],
          unit: ctx.unit,
          start: p.start,
        })
      : Promise.resolve([]),
    ctx.pipeline ? readStageMedians(db, ctx.portalId, ctx.pipeline.id) : Promise.resolve([]),
  ]);
  const get = index(trend);
  const trendRows = ctx.periods.map((x) => [
    text(x.label),
    ...VELOCITY.map(([k, , fmt]) => cell(get(k, x, ctx.owner?.id), fmt, velocityDrill(k, ctx, x))),
  ]);
  const nowRows = (ctx.owner ? openNow.filter((r) => r.breakdownValue === ctx.owner!.id) : openNow).reduce(
    (acc, r) => {
      const row = acc.get(r.breakdownValue) ?? {};
      row[r.kpi] = r;
      acc.set(r.breakdownValue, row);
      return acc;
    },
    new Map<string, Record<string, SnapshotRow>>(),
  );
  const openDrill = (value: string): DrillRef => ({
    kind: 'open',
    by: ctx.owner ? 'owner' : 'source',
    value,
    label: `Open deals now, ${value}`,
  });
  const openRows = [...nowRows.entries()]
    .sort((a, b) => (b[1].open_amount?.value ?? 0) - (a[1].open_amount?.value ?? 0))
    .map(([value, r]) => [
      text(value),
      cell(r.open_deals, 'count', openDrill(value)),
      cell(r.open_amount, 'money', openDrill(value)),
    ]);
  const endGet = index(openEnds);
  const dGet = index(days);
  const daySources = [...new Set(days.map((r) => r.breakdownValue))].sort((a, b) =>
    a === ALL ? -1 : b === ALL ? 1 : a.localeCompare(b),
  );
  return [
    {
      id: 'velocity-trend',
      title: 'Velocity trend',
      note: 'Velocity and its four factors per period for the chosen pipeline; the factor changes of the chosen period are in the next table.',
      chart: {
        type: 'line',
        title: 'Pipeline velocity per period',
        format: 'money',
        categories: ctx.periods.map((x) => x.label),
        series: [{ name: 'Velocity per day', values: trendRows.map((r) => num(r[1])) }],
      },
      tables: [
        {
          id: 'velocity-trend',
          title: 'Velocity per period',
          caption: `Pipeline ${ctx.pipeline?.label ?? '-'}${ctx.owner ? `, owner ${ctx.owner.label}` : ', all owners'}; money in ${ctx.currency ?? 'home currency'}`,
          columns: ['Period', ...VELOCITY.map(([, label]) => label)],
          rows: trendRows,
        },
      ],
    },
    await velocitySection(db, ctx),
    {
      id: 'open-pipeline',
      title: ctx.owner ? 'Open pipeline of the owner' : 'Open pipeline per source',
      note: 'Open deals and their amount as of the latest KPI run, and at the end of each period (all sources).',
      chart: {
        type: 'bar',
        horizontal: true,
        title: 'Open amount per source now',
        format: 'money',
        categories: openRows.map((r) => String(r[0]!.v)),
        series: [{ name: 'Open amount', values: openRows.map((r) => num(r[2])) }],
      },
      tables: [
        {
          id: 'open-now',
          title: 'Open pipeline now',
          caption: `As of the latest KPI run, all pipelines, by ${ctx.owner ? 'owner' : 'source'}`,
          columns: [ctx.owner ? 'Owner' : 'Source', 'Open deals', 'Open amount'],
          rows: openRows,
        },
        {
          id: 'open-period-ends',
          title: 'Open pipeline at each period end',
          caption: `At the last instant of each ${ctx.unit.replace('_', ' ')}, all sources and pipelines`,
          columns: ['Period', 'Open deals', 'Open amount'],
          rows: ctx.periods.map((x) => {
            const drill: DrillRef = {
              kind: 'open_at',
              ...periodDrill(x),
              label: `Deals open at the end of ${x.label}`,
            };
            return [
              text(x.label),
              cell(endGet('open_deals', x), 'count', drill),
              cell(endGet('open_amount', x), 'money', drill),
            ];
          }),
        },
      ],
    },
    {
      id: 'days-to-deal',
      title: 'Days to deal',
      note: [
        'Per customer: days from first visit (else creation) to the close of the first won deal, for customers whose first won deal closed in the period.',
        ownerNote(ctx),
      ]
        .filter(Boolean)
        .join(' '),
      tables: [
        {
          id: 'days-to-deal',
          title: 'Days to deal by source',
          caption: describe(ctx),
          columns: ['Source', 'Mean', 'Median', 'p90'],
          rows: p
            ? daySources.map((s) => {
                const drill: DrillRef = {
                  kind: 'first_deal',
                  ...periodDrill(p),
                  ...(s === ALL ? {} : { by: 'source' as const, value: s }),
                  label: `Customers with a first won deal in ${p.label}, ${s}`,
                };
                return [
                  text(s, s === ALL),
                  cell(dGet('days_to_deal_mean', p, s), 'days', drill),
                  cell(dGet('days_to_deal_median', p, s), 'days', drill),
                  cell(dGet('days_to_deal_p90', p, s), 'days', drill),
                ];
              })
            : [],
        },
      ],
    },
    {
      id: 'stages',
      title: 'Days in each stage',
      note: 'Median days of completed stays in each stage of the pipeline (deals that have moved on since).',
      tables: [
        {
          id: 'stages',
          title: 'Stages',
          caption: `Pipeline ${ctx.pipeline?.label ?? '-'}, as of the latest KPI run`,
          columns: ['Stage', 'Median days in stage'],
          rows: stages.map((s) => [
            text(s.label),
            s.isClosed
              ? { v: null, fmt: 'days' as const, reason: 'time in closed stages is not measured' }
              : s.medianDays === null
                ? { v: null, fmt: 'days' as const, reason: `no deal has left stage ${s.label} yet` }
                : {
                    v: s.medianDays,
                    fmt: 'days' as const,
                    drill: {
                      kind: 'stage_stays',
                      by: 'stage',
                      value: s.stageId,
                      label: `Deals that have left stage ${s.label}`,
                    },
                  },
          ]),
        },
      ],
    },
  ];
}

/**
 * One row per consecutive pair of the lifecycle order the KPI run used (the `from` stage is the
 * breakdown value, the `to` stage in the inputs), each figure linking to its contacts: the rate
 * and the cohort to the cohort, the converted count and the median to the converted.
 */
function stagePairRows(
  ctx: ReportContext,
  rows: readonly SnapshotRow[],
  ordered: readonly { id: string; label: string }[],
  labelOf: ReadonlyMap<string, string>,
): Cell[][] {
  const p = ctx.period;
  const rates = rows.filter((r) => r.kpi === LIFECYCLE_CONVERSION_RATE);
  if (p === undefined) return [];
  if (rates.length === 0)
    // A run from before these figures were stored.
    return ordered.slice(0, -1).map((s, i) => [
      text(s.label),
      text(ordered[i + 1]!.label),
      ...(['count', 'count', 'rate', 'days'] as const).map((fmt) => ({
        v: null,
        fmt,
        reason: 'not stored by the KPI run yet',
      })),
    ]);
  const rank = new Map(ordered.map((s, i) => [s.id, i]));
  return [...rates]
    .sort((a, b) => (rank.get(a.breakdownValue) ?? 1e9) - (rank.get(b.breakdownValue) ?? 1e9))
    .map((rate) => {
      const from = rate.breakdownValue;
      const to = typeof rate.inputs.to === 'string' ? rate.inputs.to : '';
      const median = rows.find((r) => r.kpi === LIFECYCLE_MEDIAN_DAYS && r.breakdownValue === from);
      const name = (id: string) => labelOf.get(id) ?? id;
      const base = { ...periodDrill(p), by: 'stage' as const, value: from };
      const cohort: DrillRef = {
        kind: 'lifecycle_cohort',
        ...base,
        label: `Contacts that entered ${name(from)} in ${p.label}`,
      };
      const converted: DrillRef = {
        kind: 'lifecycle_converted',
        ...base,
        label: `Contacts that entered ${name(from)} in ${p.label} and went on to ${name(to)}`,
      };
      return [
        text(name(from)),
        text(name(to)),
        { v: Number(rate.inputs.of ?? 0), fmt: 'count' as const, drill: cohort },
        { v: Number(rate.inputs.count ?? 0), fmt: 'count' as const, drill: converted },
        cell(rate, 'rate', cohort),
        cell(median, 'days', converted),
      ];
    });
}

async function lifecycle(db: Executor, ctx: ReportContext): Promise<Section[]> {
  const p = ctx.period;
  const [now, ends, order, conversions] = await Promise.all([
    readSnapshots(db, ctx.portalId, { kpis: ['contacts_in_stage'], unit: 'now' }),
    readSnapshots(db, ctx.portalId, { kpis: ['contacts_in_stage'], unit: ctx.unit }),
    listLifecycleStages(db, ctx.portalId),
    p
      ? readSnapshots(db, ctx.portalId, {
          kpis: [LIFECYCLE_CONVERSION_RATE, LIFECYCLE_MEDIAN_DAYS],
          unit: ctx.unit,
          start: p.start,
          breakdown: 'stage',
        })
      : Promise.resolve([]),
  ]);
  const labelOf = new Map(order.map((s) => [s.id, s.label]));
  // `other` is outside the lifecycle order (docs/kpis.md): entering it implies no stage before it.
  const ordered = order.filter((s) => s.id !== 'other');
  const rank = new Map(order.map((s, i) => [s.id, i]));
  const stages = [...new Set([...now, ...ends].map((r) => r.breakdownValue))].sort(
    (a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9) || a.localeCompare(b),
  );
  const get = index(ends);
  const pairRows = stagePairRows(ctx, conversions, ordered, labelOf);
  const nowRows = stages.map((s) => {
    const r = now.find((x) => x.breakdownValue === s);
    return [
      text(labelOf.get(s) ?? s),
      r
        ? cell(r, 'count', { kind: 'stage', by: 'stage', value: s, label: `Contacts in stage ${s} now` })
        : { v: 0, fmt: 'count' as const },
    ];
  });
  return [
    {
      id: 'stages-now',
      title: 'Contacts in each lifecycle stage now',
      note: [
        'From lifecycle-stage history; custom stages included; contacts without a stage are counted as (no stage).',
        ownerNote(ctx),
      ]
        .filter(Boolean)
        .join(' '),
      chart: {
        type: 'bar',
        horizontal: true,
        title: 'Contacts per lifecycle stage now',
        format: 'count',
        categories: nowRows.map((r) => String(r[0]!.v)),
        series: [{ name: 'Contacts', values: nowRows.map((r) => num(r[1])) }],
      },
      tables: [
        {
          id: 'stages-now',
          title: 'Contacts per stage now',
          caption: 'All contacts, as of the latest KPI run',
          columns: ['Stage', 'Contacts'],
          rows: nowRows,
        },
      ],
    },
    {
      id: 'stages-period-ends',
      title: 'Contacts in each stage at each period end',
      chart: {
        type: 'line',
        title: 'Contacts per stage at period ends',
        format: 'count',
        categories: ctx.periods.map((p) => p.label),
        series: stages.map((s) => ({
          name: labelOf.get(s) ?? s,
          values: ctx.periods.map((p) => get('contacts_in_stage', p, s)?.value ?? null),
        })),
      },
      tables: [
        {
          id: 'stages-period-ends',
          title: 'Contacts per stage at period ends',
          caption: `At the last instant of each ${ctx.unit.replace('_', ' ')}`,
          columns: ['Period', ...stages.map((s) => labelOf.get(s) ?? s)],
          rows: ctx.periods.map((p) => [
            text(p.label),
            ...stages.map((s) => cell(get('contacts_in_stage', p, s), 'count')),
          ]),
        },
      ],
    },
    {
      id: 'stage-conversion',
      title: 'Stage-to-stage conversion and time between stages',
      note: [
        `Cohort: the contacts that entered the first stage of the pair during ${describe(ctx)}. Conversion rate: the share of them that reached the next stage by the latest KPI run. Median days between: from entering the stage to entering the next, over those that converted. A contact that skips a stage passes it when it enters the later one (0 days), so a rate never exceeds 100 %; stages follow the portal’s lifecycle order (custom stages included, other left out), from lifecycle-stage history.`,
        ownerNote(ctx),
      ]
        .filter(Boolean)
        .join(' '),
      chart: {
        type: 'bar',
        horizontal: true,
        title: 'Conversion rate from each stage to the next',
        format: 'rate',
        categories: pairRows.map((r) => String(r[0]!.v)),
        series: [{ name: 'Conversion rate', values: pairRows.map((r) => num(r[4])) }],
      },
      tables: [
        {
          id: 'stage-conversion',
          title: 'Stage-to-stage conversion',
          caption: `Contacts that entered the first stage in ${describe(ctx)}, all owners`,
          columns: ['From', 'To', 'Entered', 'Converted', 'Conversion rate', 'Median days between'],
          rows: pairRows,
        },
      ],
    },
  ];
}

const SPEED_KPIS = [
  'speed_to_lead_minutes_median',
  'speed_to_lead_share_within_5m',
  'speed_to_lead_answered',
  'speed_to_lead_followups_mean',
];

async function speedToLead(db: Executor, ctx: ReportContext): Promise<Section[]> {
  const p = ctx.period;
  const [rows, breakdown] = await Promise.all([
    readSnapshots(db, ctx.portalId, { kpis: SPEED_KPIS, unit: ctx.unit, breakdown: 'all' }),
    p && (ctx.bySource || ctx.owner)
      ? readSnapshots(db, ctx.portalId, {
          kpis: SPEED_KPIS,
          unit: ctx.unit,
          start: p.start,
          ...(ctx.owner ? { breakdown: 'owner', breakdownValue: ctx.owner.id } : { breakdown: 'source' }),
        })
      : Promise.resolve([]),
  ]);
  const get = index([...rows, ...breakdown]);
  const NOT_STORED = 'not stored by the KPI run yet';
  // Runs before the answered count and follow-ups were stored keep the answered count in the median's inputs.
  // The leads whose clock started in the period (the share's and follow-ups' population), or the
  // answered ones (the median's sample and the answered count), of the row's source or owner.
  const leads = (x: PeriodRef, value: string, answeredOnly: boolean): DrillRef => ({
    kind: answeredOnly ? 'leads_answered' : 'leads',
    ...periodDrill(x),
    ...(value === ALL ? {} : { by: ctx.owner ? ('owner' as const) : ('source' as const), value }),
    label: `Leads${answeredOnly ? ' answered' : ''} from ${x.label}${value === ALL ? '' : `, ${ctx.owner ? ctx.owner.label : value}`}`,
  });
  const answered = (x: PeriodRef, value: string): Cell => {
    const stored = get('speed_to_lead_answered', x, value);
    if (stored) return cell(stored, 'count', leads(x, value, true));
    const count = get('speed_to_lead_minutes_median', x, value)?.inputs.count;
    return typeof count === 'number'
      ? { v: count, fmt: 'count', drill: leads(x, value, true) }
      : { v: null, fmt: 'count', reason: NOT_STORED };
  };
  const followups = (x: PeriodRef, value: string): Cell => {
    const stored = get('speed_to_lead_followups_mean', x, value);
    return stored
      ? cell(stored, 'number', leads(x, value, false))
      : { v: null, fmt: 'number', reason: NOT_STORED };
  };
  const line = (x: PeriodRef, value: string) => [
    cell(get('speed_to_lead_minutes_median', x, value), 'minutes', leads(x, value, true)),
    cell(get('speed_to_lead_share_within_5m', x, value), 'rate', leads(x, value, false)),
    answered(x, value),
    followups(x, value),
  ];
  const periodRows = ctx.periods.map((x) => [text(x.label), ...line(x, ALL)]);
  const values = [...new Set(breakdown.map((r) => r.breakdownValue))].sort();
  const by = ctx.owner ? 'Owner' : 'Source';
  return [
    {
      id: 'speed',
      title: 'Speed to lead',
      note: 'Minutes from the lead’s clock start (first form conversion, else creation) to the first sales activity (a call, a one-to-one email, a meeting the lead did not book); the share answered within 5 minutes; leads answered at all; follow-up activities before the first meeting.',
      chart: {
        type: 'line',
        title: 'Share answered within 5 minutes',
        format: 'rate',
        categories: ctx.periods.map((x) => x.label),
        series: [{ name: 'Within 5 minutes', values: periodRows.map((r) => num(r[2])) }],
      },
      tables: [
        {
          id: 'speed',
          title: 'Speed to lead per period',
          caption: `Per ${ctx.unit.replace('_', ' ')}, all sources and owners`,
          columns: [
            'Period',
            'Median minutes',
            'Within 5 minutes',
            'Answered at all',
            'Follow-ups before first meeting (mean)',
          ],
          rows: periodRows,
        },
      ],
    },
    {
      id: 'speed-by-source',
      title: ctx.owner ? `Speed to lead of ${ctx.owner.label}` : 'Speed to lead by source',
      note: `Leads whose clock started in ${describe(ctx)}, by the lead’s ${ctx.owner ? 'owner' : 'original source'}.`,
      tables: [
        {
          id: 'speed-by-source',
          title: ctx.owner ? 'By owner' : 'By source',
          caption: describe(ctx),
          columns: [
            by,
            'Median minutes',
            'Within 5 minutes',
            'Answered at all',
            'Follow-ups before first meeting (mean)',
          ],
          rows:
            p && values.length > 0
              ? values.map((v) => [text(ctx.owner ? ctx.owner.label : v), ...line(p, v)])
              : p
                ? [
                    [
                      text('(any)'),
                      ...[0, 1, 2, 3].map(() => ({
                        v: null,
                        fmt: 'number' as const,
                        reason: `speed to lead per ${by.toLowerCase()} is ${NOT_STORED}`,
                      })),
                    ],
                  ]
                : [],
        },
      ],
    },
  ];
}

export async function buildView(
  db: Executor,
  portalId: number,
  view: ViewName,
  params: ViewParams,
): Promise<ReportView> {
  const ctx = await resolveContext(db, portalId, params);
  const sections =
    view === 'overview'
      ? await overview(db, ctx)
      : view === 'attribution'
        ? await attribution(db, ctx)
        : view === 'funnel'
          ? await funnel(db, ctx, params)
          : view === 'pipeline'
            ? await pipeline(db, ctx)
            : view === 'lifecycle'
              ? await lifecycle(db, ctx)
              : await speedToLead(db, ctx);
  return { view, title: VIEW_TITLES[view], context: ctx, sections };
}
