import { renderChartSvg } from './charts';
import { toText } from './csv';
import { drillQuery } from './drill';
import type { RecordColumn } from './drill';
import { CREDIT_MODELS, PERIOD_UNITS } from './report-data';
import type { Cell, ReportView, Section, Table, ViewParams } from './views';
import { MODEL_LABELS, VIEW_TITLES, VIEWS } from './views';

/**
 * Server-rendered HTML of the report pages: no script, a chart (inline SVG) and its data table
 * side by side, every number a link to the records behind it, a print stylesheet. Every text is
 * escaped.
 */

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const STYLE = `
:root{--ink:#213343;--muted:#516f90;--line:#dfe3eb;--accent:#0b7a75;--bg:#f5f8fa}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff;line-height:1.4;font-size:14px}
header.top{background:var(--ink);color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header.top a{color:#fff;text-decoration:none;padding:.25rem .5rem;border-radius:4px}
header.top a[aria-current=page]{background:rgba(255,255,255,.18);font-weight:600}
header.top .brand{font-weight:700;margin-right:.5rem}
main{max-width:1280px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 .25rem}
h2{font-size:1.15rem;margin:0 0 .25rem}
.meta{color:var(--muted);margin:0 0 1rem}
form.pickers{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;background:var(--bg);padding:.75rem;border-radius:6px;margin-bottom:1.25rem}
form.pickers label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:.2rem}
form.pickers select,form.pickers input{font:inherit;padding:.25rem .4rem;border:1px solid var(--line);border-radius:4px;background:#fff;min-width:8rem}
form.pickers button{font:inherit;padding:.35rem 1rem;background:var(--accent);color:#fff;border:0;border-radius:4px;cursor:pointer}
section.report{border-top:1px solid var(--line);padding:1rem 0 1.25rem;break-inside:avoid-page}
section.report .note{color:var(--muted);margin:.1rem 0 .75rem;max-width:70rem}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.25rem;align-items:start}
.pair.single{grid-template-columns:minmax(0,1fr)}
figure{margin:0}
figure svg{width:100%;height:auto;max-width:640px}
.tablebox{overflow-x:auto;margin-bottom:1rem}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);font-size:12px;padding-bottom:.3rem;caption-side:top}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:right;vertical-align:top}
th{font-weight:600;background:var(--bg);font-size:12px}
th:first-child,td:first-child{text-align:left;white-space:nowrap}
td{white-space:nowrap}
td.text{white-space:normal}
td.text:first-child{white-space:nowrap}
th.text{text-align:left}
td.text{text-align:left}
td a{color:var(--accent)}
td.strong,td strong{font-weight:600}
.na{color:var(--muted)}
.na sup{font-size:9px;margin-left:1px}
ol.reasons{color:var(--muted);font-size:11px;margin:.3rem 0 0;padding-left:1.4rem}
.csv{font-size:12px;margin:.3rem 0 0;display:inline-block}
.empty{color:var(--muted);font-style:italic}
.up{color:#00875a}.down{color:#c0392b}
@media (max-width:1000px){.pair{grid-template-columns:minmax(0,1fr)}}
@media print{
  header.top,form.pickers,.csv,.noprint{display:none!important}
  main{max-width:none;padding:0}
  body{font-size:11px}
  .pair{grid-template-columns:minmax(0,1fr)}
  figure svg{max-width:560px}
  a{color:inherit;text-decoration:none}
  section.report{break-inside:avoid}
  th{background:none}
}`;

export function layout(opts: {
  title: string;
  body: string;
  portalId?: number;
  current?: string;
  query?: string;
  status?: string;
}): string {
  const nav =
    opts.portalId === undefined
      ? ''
      : `<header class="top"><span class="brand">KPI Bridge</span><nav>${VIEWS.map(
          (v) =>
            `<a href="/reports/${opts.portalId}/${v}${opts.query ? `?${escapeHtml(opts.query)}` : ''}"${
              v === opts.current ? ' aria-current="page"' : ''
            }>${escapeHtml(VIEW_TITLES[v])}</a>`,
        ).join('')}<a href="/reports/${opts.portalId}/upload"${
          opts.current === 'upload' ? ' aria-current="page"' : ''
        }>Upload</a></nav><span class="meta" style="color:#cbd6e2;margin:0 0 0 auto">Portal ${opts.portalId}</span></header>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · KPI Bridge</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head>
<body${opts.status ? ` data-status="${escapeHtml(opts.status)}"` : ''}>${nav}<main>${opts.body}</main></body></html>
`;
}

/** A plain page: a title and paragraphs (errors, expired links). */
export function messagePage(title: string, paragraphs: readonly string[], status: string): string {
  return layout({
    title,
    status,
    body: `<h1>${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}`,
  });
}

const nf = (digits: number) =>
  new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const N0 = nf(0);
const N1 = nf(1);
const N2 = nf(2);

export function formatValue(v: number, fmt: Cell['fmt']): string {
  switch (fmt) {
    case 'rate':
      return `${N1.format(v * 100)} %`;
    case 'change':
      return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${N1.format(Math.abs(v) * 100)} %`;
    case 'money':
    case 'count':
      return N0.format(v);
    case 'days':
    case 'minutes':
      return N1.format(v);
    default:
      return N2.format(v);
  }
}

/** Reasons of unknown figures, numbered once per table and listed under it. */
class Footnotes {
  readonly reasons: string[] = [];
  mark(reason: string): number {
    const i = this.reasons.indexOf(reason);
    if (i >= 0) return i + 1;
    this.reasons.push(reason);
    return this.reasons.length;
  }
  render(): string {
    return this.reasons.length === 0
      ? ''
      : `<ol class="reasons">${this.reasons.map((r) => `<li>n/a: ${escapeHtml(r)}</li>`).join('')}</ol>`;
  }
}

function renderCell(c: Cell, portalId: number, notes: Footnotes): string {
  if (c.fmt === 'text' || typeof c.v === 'string') {
    const t = escapeHtml(String(c.v ?? ''));
    return `<td class="text${c.strong ? ' strong' : ''}">${t}</td>`;
  }
  if (c.v === null) {
    const reason = c.reason ?? 'unknown';
    return `<td data-null="1" title="${escapeHtml(reason)}"><span class="na">n/a<sup>${notes.mark(reason)}</sup></span></td>`;
  }
  const shown = escapeHtml(formatValue(c.v, c.fmt));
  const cls = c.fmt === 'change' ? (c.v > 0 ? ' class="up"' : c.v < 0 ? ' class="down"' : '') : '';
  const inner = c.drill
    ? `<a href="/reports/${portalId}/records?${escapeHtml(drillQuery(c.drill))}" data-value="${c.v}">${shown}</a>`
    : `<span data-value="${c.v}">${shown}</span>`;
  return `<td${cls}>${c.strong ? `<strong>${inner}</strong>` : inner}</td>`;
}

function renderTable(t: Table, portalId: number, csvHref: string): string {
  const notes = new Footnotes();
  // Text columns (names, stages) read left-aligned, numbers right-aligned, headers with them.
  const textColumn = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => r[i]?.fmt === 'text'));
  const head = t.columns
    .map((c, i) => `<th scope="col"${textColumn[i] ? ' class="text"' : ''}>${escapeHtml(c)}</th>`)
    .join('');
  const body =
    t.rows.length === 0
      ? `<tr><td class="empty" colspan="${t.columns.length}">No rows for this selection.</td></tr>`
      : t.rows.map((r) => `<tr>${r.map((c) => renderCell(c, portalId, notes)).join('')}</tr>`).join('\n');
  return `<div class="tablebox"><table id="t-${escapeHtml(t.id)}" data-table="${escapeHtml(t.id)}"><caption><strong>${escapeHtml(t.title)}</strong>${
    t.caption ? ` · ${escapeHtml(t.caption)}` : ''
  }</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${notes.render()}
<a class="csv" href="${escapeHtml(csvHref)}" download>Download CSV</a></div>`;
}

function renderSection(s: Section, view: ReportView, query: string): string {
  const pid = view.context.portalId;
  const csv = (t: Table) => `/reports/${pid}/csv/${view.view}/${t.id}${query ? `?${query}` : ''}`;
  const chart =
    s.chart && s.chart.categories.length > 0
      ? `<figure aria-label="${escapeHtml(s.chart.title)}">${renderChartSvg(s.chart)}</figure>`
      : '';
  const tables = s.tables.map((t) => renderTable(t, pid, csv(t))).join('');
  // A wide table gets the full width under its chart instead of half of it.
  const wide = s.tables.some((t) => t.columns.length > 5);
  return `<section class="report" id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>${
    s.note ? `<p class="note">${escapeHtml(s.note)}</p>` : ''
  }<div class="pair${chart && !wide ? '' : ' single'}">${chart}<div>${tables}</div></div></section>`;
}

function select(
  name: string,
  label: string,
  options: readonly [string, string][],
  value: string | undefined,
) {
  return `<label>${escapeHtml(label)}<select name="${name}">${options
    .map(
      ([v, l]) =>
        `<option value="${escapeHtml(v)}"${v === (value ?? '') ? ' selected' : ''}>${escapeHtml(l)}</option>`,
    )
    .join('')}</select></label>`;
}

function renderPickers(view: ReportView, params: ViewParams): string {
  const c = view.context;
  const parts = [
    select(
      'unit',
      'Period unit',
      PERIOD_UNITS.map((u) => [u, u === 'trailing_90d' ? 'trailing 90 days' : u]),
      c.unit,
    ),
    select(
      'period',
      'Period',
      [...c.periods].reverse().map((p) => [p.label, p.label]),
      c.period?.label,
    ),
    select(
      'pipeline',
      'Pipeline',
      c.pipelines.map((p) => [p.id, p.label]),
      c.pipeline?.id,
    ),
    select(
      'owner',
      'Owner',
      [['', 'All owners'], ...c.owners.map((o): [string, string] => [o.id, o.label])],
      c.owner?.id,
    ),
    select(
      'by',
      'Source breakdown',
      [
        ['source', 'By source'],
        ['none', 'Totals only'],
      ],
      c.bySource ? 'source' : 'none',
    ),
  ];
  if (view.view === 'attribution') {
    parts.push(
      select(
        'kind',
        'Conversion',
        [
          ['revenue', 'Revenue'],
          ['deal_create', 'Deals created'],
          ['contact_create', 'Contacts created'],
        ],
        c.kind,
      ),
      select(
        'model',
        'Model',
        CREDIT_MODELS.map((m) => [m, MODEL_LABELS[m]!]),
        c.model,
      ),
    );
  }
  if (view.view === 'funnel')
    parts.push(
      `<label>Target revenue<input name="target" type="number" min="1" step="any" value="${escapeHtml(String(params.target ?? 1_000_000))}"></label>`,
    );
  return `<form class="pickers" method="get" action="/reports/${c.portalId}/${view.view}">${parts.join('')}<button type="submit">Apply</button></form>`;
}

export function renderViewPage(view: ReportView, params: ViewParams, query: string): string {
  const c = view.context;
  const meta = [
    c.period ? `Period ${c.period.label} (${c.unit.replace('_', ' ')})` : 'No KPI run yet',
    c.pipeline ? `pipeline ${c.pipeline.label}` : undefined,
    c.owner ? `owner ${c.owner.label}` : 'all owners',
    view.view === 'attribution' ? `model ${MODEL_LABELS[c.model]}` : undefined,
    c.asOf ? `computed ${c.asOf.toISOString().replace('T', ' ').slice(0, 16)} UTC` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const body =
    c.asOf === null
      ? `<h1>${escapeHtml(view.title)}</h1><p class="meta">No KPI computation has finished for this portal yet. The figures appear after the first sync and KPI run.</p>`
      : `<h1>${escapeHtml(view.title)}</h1><p class="meta">${escapeHtml(meta)}</p>${renderPickers(view, params)}${view.sections
          .map((s) => renderSection(s, view, query))
          .join('')}`;
  return layout({ title: view.title, body, portalId: c.portalId, current: view.view, query });
}

/** The head of a streamed record list: everything up to the first row. */
export function recordListHead(opts: {
  portalId: number;
  title: string;
  columns: readonly RecordColumn[];
  csvHref: string;
}): string {
  const page = layout({
    title: opts.title,
    portalId: opts.portalId,
    current: 'records',
    body: `<h1>${escapeHtml(opts.title)}</h1><p class="meta">The records behind the figure, from the latest KPI run. Each links to the record in HubSpot.</p><a class="csv" href="${escapeHtml(opts.csvHref)}" download>Download CSV</a><div class="tablebox"><table id="records"><thead><tr>${opts.columns
      .map((c) => `<th scope="col">${escapeHtml(c.label)}</th>`)
      .join('')}</tr></thead><tbody>\u0000`,
  });
  return page.slice(0, page.indexOf('\u0000'));
}

export function recordListRow(
  row: Record<string, unknown>,
  columns: readonly RecordColumn[],
  recordUrl: ((id: unknown) => string) | null,
): string {
  return `<tr>${columns
    .map((c) => {
      const v = row[c.key];
      if (v === null || v === undefined) return '<td class="na">—</td>';
      if (c.kind === 'id' && recordUrl)
        return `<td class="text"><a href="${escapeHtml(recordUrl(v))}" target="_blank" rel="noopener">${escapeHtml(toText(v))}</a></td>`;
      if (c.kind === 'date' && v instanceof Date)
        return `<td class="text">${v.toISOString().slice(0, 10)}</td>`;
      if (c.kind === 'money' || c.kind === 'number')
        return `<td>${escapeHtml(formatValue(Number(v), c.kind === 'money' ? 'money' : 'number'))}</td>`;
      return `<td class="text">${escapeHtml(toText(v))}</td>`;
    })
    .join('')}</tr>\n`;
}

export function recordListTail(count: number): string {
  return `</tbody></table></div><p class="meta" id="record-count" data-count="${count}">${count.toLocaleString('en-US')} records</p></main></body></html>\n`;
}
