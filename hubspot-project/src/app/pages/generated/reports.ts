// Generated from app-manifest.json by `kpi-bridge hubspot-project`: do not edit. Source: src/reports/report.schemas.ts.
import { z } from 'zod';

/**
 * The contract between the reports' JSON API (src/reports, `GET /api/reports/views/:view`,
 * `POST /api/reports/link`) and the app pages inside HubSpot (hubspot-project/src/app/pages).
 * This file is copied verbatim into the pages by the project generator (a test fails when the
 * copy differs), so it may import nothing but zod. The backend's tests parse every view it sends
 * with these schemas; the pages parse what they receive with them.
 *
 * The pages are uploaded to HubSpot separately from the backend's deployment, so the shapes a
 * page only displays are lenient where a newer backend may say more: unknown keys are dropped,
 * and an unknown value format shows as a plain number instead of breaking the page.
 */

export const REPORT_VIEWS = [
  'overview',
  'attribution',
  'funnel',
  'pipeline',
  'lifecycle',
  'speed-to-lead',
] as const;
export type ReportViewName = (typeof REPORT_VIEWS)[number];

export const REPORT_VIEW_TITLES: Record<ReportViewName, string> = {
  overview: 'Overview',
  attribution: 'Attribution',
  funnel: 'Funnel',
  pipeline: 'Pipeline',
  lifecycle: 'Lifecycle',
  'speed-to-lead': 'Speed to lead',
};

export const REPORT_API_PATHS = {
  view: (view: ReportViewName) => `/api/reports/views/${view}`,
  link: '/api/reports/link',
} as const;

export const PERIOD_UNIT_IDS = ['month', 'quarter', 'week', 'trailing_90d'] as const;
export const PERIOD_UNIT_LABELS: Record<(typeof PERIOD_UNIT_IDS)[number], string> = {
  month: 'Month',
  quarter: 'Quarter',
  week: 'Week',
  trailing_90d: 'Trailing 90 days',
};

export const CREDIT_MODEL_IDS = [
  'first_touch',
  'last_touch',
  'linear',
  'u_shaped',
  'w_shaped',
  'full_path',
  'time_decay',
  'j_shaped',
  'inverse_j',
  'markov',
  'shapley',
] as const;
export type CreditModelId = (typeof CREDIT_MODEL_IDS)[number];
export const CREDIT_MODEL_LABELS: Record<CreditModelId, string> = {
  first_touch: 'First touch',
  last_touch: 'Last touch',
  linear: 'Linear',
  u_shaped: 'U-shaped',
  w_shaped: 'W-shaped',
  full_path: 'Full path',
  time_decay: 'Time decay',
  j_shaped: 'J-shaped',
  inverse_j: 'Inverse J',
  markov: 'Data-driven (Markov)',
  shapley: 'Data-driven (Shapley)',
};

export const CONVERSION_KINDS = ['revenue', 'deal_create', 'contact_create'] as const;
export const CONVERSION_KIND_LABELS: Record<(typeof CONVERSION_KINDS)[number], string> = {
  revenue: 'Revenue (deals won)',
  deal_create: 'Deals created',
  contact_create: 'Contacts created',
};

/**
 * The pickers, as the query parameters of `GET /api/reports/views/:view` (all optional; the
 * backend validates them and answers 400 naming the bad one). Strings, as in a URL.
 */
export const REPORT_PICKERS = [
  'unit',
  'period',
  'pipeline',
  'owner',
  'by',
  'model',
  'kind',
  'target',
] as const;
export type ReportPickers = Partial<Record<(typeof REPORT_PICKERS)[number], string>>;

/** `POST /api/reports/link`: a one-time link to the web report of this view, with these pickers. */
export const reportLinkRequestSchema = z
  .object({
    view: z.enum(REPORT_VIEWS).default('overview'),
    params: z.partialRecord(z.enum(REPORT_PICKERS), z.string().max(100)).optional(),
  })
  .strict();
export type ReportLinkRequest = z.input<typeof reportLinkRequestSchema>;

export const reportLinkSchema = z.object({
  /** Opens the web report once, within 60 s, and starts an 8-hour session for this portal and user. */
  url: z.string().url(),
  expiresAt: z.string().datetime({ offset: true }),
});
export type ReportLink = z.infer<typeof reportLinkSchema>;

const isoDate = z.string().datetime({ offset: true });

export const VALUE_FORMATS = [
  'count',
  'money',
  'rate',
  'days',
  'minutes',
  'number',
  'text',
  'change',
] as const;
export type ValueFormatId = (typeof VALUE_FORMATS)[number];
const valueFormat = z.enum(VALUE_FORMATS).catch('number');

/** One figure of a table: a number, a text, or null with the reason it is unknown (never 0). */
export const reportCellSchema = z.object({
  v: z.union([z.number(), z.string()]).nullable(),
  fmt: valueFormat.optional(),
  reason: z.string().optional(),
  /** The row's headline figure, or the chosen model's column. */
  strong: z.boolean().optional(),
});
export type ReportCell = z.infer<typeof reportCellSchema>;

export const reportTableSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** The population, period and unit the figures are about. */
  caption: z.string().optional(),
  columns: z.array(z.string()),
  rows: z.array(z.array(reportCellSchema)),
});
export type ReportTable = z.infer<typeof reportTableSchema>;

export const reportChartSchema = z.object({
  type: z.enum(['bar', 'line']),
  title: z.string(),
  format: valueFormat,
  categories: z.array(z.string()),
  /** A null value is an unknown figure: no point, never a 0. */
  series: z.array(z.object({ name: z.string(), values: z.array(z.number().nullable()) })),
  horizontal: z.boolean().optional(),
});
export type ReportChart = z.infer<typeof reportChartSchema>;

export const reportSectionSchema = z.object({
  id: z.string(),
  title: z.string(),
  note: z.string().optional(),
  chart: reportChartSchema.optional(),
  tables: z.array(reportTableSchema),
});
export type ReportSection = z.infer<typeof reportSectionSchema>;

const optionSchema = z.object({ id: z.string(), label: z.string() });
const periodSchema = z.object({ unit: z.string(), label: z.string(), start: isoDate, end: isoDate });
export type ReportPeriod = z.infer<typeof periodSchema>;

/** What the figures of a view are about, and the choices its pickers offer. */
export const reportContextSchema = z.object({
  portalId: z.number().int().positive(),
  unit: z.enum(PERIOD_UNIT_IDS),
  /** The chosen period (the latest by default); absent when the unit has no stored period. */
  period: periodSchema.optional(),
  periods: z.array(periodSchema),
  pipeline: optionSchema.optional(),
  pipelines: z.array(optionSchema),
  /** Absent: all owners. */
  owner: optionSchema.optional(),
  owners: z.array(optionSchema),
  bySource: z.boolean(),
  model: z.enum(CREDIT_MODEL_IDS),
  kind: z.enum(CONVERSION_KINDS),
  currency: z.string().nullable(),
  /** When the KPI run behind the figures looked at the CRM. */
  asOf: isoDate.nullable(),
});
export type ReportContext = z.infer<typeof reportContextSchema>;

export const reportViewSchema = z.object({
  state: z.literal('ready'),
  view: z.enum(REPORT_VIEWS),
  title: z.string(),
  context: reportContextSchema,
  sections: z.array(reportSectionSchema),
});
export type ReportViewData = z.infer<typeof reportViewSchema>;

/** The portal is installed but its first sync or first KPI run has not finished. */
export const reportPendingSchema = z.object({
  state: z.literal('portal_pending'),
  phase: z.enum(['sync', 'kpi']),
  /** Records synced so far (null when the sync has not started). HubSpot gives no total up front. */
  recordsSynced: z.number().int().nonnegative().nullable(),
  /** When the running KPI computation started, if one is running. */
  kpiStartedAt: isoDate.nullable(),
});
export type ReportPending = z.infer<typeof reportPendingSchema>;

export const reportViewResponseSchema = z.discriminatedUnion('state', [
  reportViewSchema,
  reportPendingSchema,
]);
export type ReportViewResponse = z.infer<typeof reportViewResponseSchema>;
