import { REPORT_PICKERS, REPORT_VIEWS } from '../generated/reports';
import type { ReportPickers, ReportViewName } from '../generated/reports';

/**
 * The pickers live in the page's URL (the route's query parameters): a picker change navigates
 * to the same page with new parameters (navigateToPage), so the figures are refetched and a page
 * can be linked to with its pickers (PageLink `params`).
 */
export type PickerId = (typeof REPORT_PICKERS)[number];

/** The pickers each view answers to (the backend ignores the others, so they are not sent). */
export const VIEW_PICKERS: Record<ReportViewName, readonly PickerId[]> = {
  overview: ['unit', 'period', 'pipeline', 'owner', 'by'],
  attribution: ['unit', 'period', 'pipeline', 'owner', 'kind', 'model'],
  funnel: ['unit', 'period', 'by', 'target'],
  pipeline: ['unit', 'period', 'pipeline', 'owner'],
  lifecycle: ['unit', 'period'],
  'speed-to-lead': ['unit', 'period', 'owner', 'by'],
};

/** Every picker found in the route's parameters (kept across views: a chosen model stays chosen). */
export function pickersOf(params: Record<string, string>): ReportPickers {
  const out: ReportPickers = {};
  for (const id of REPORT_PICKERS) {
    const value = params[id];
    if (value) out[id] = value;
  }
  return out;
}

/** The pickers of one view, as the query parameters of its backend call. */
export function viewQuery(view: ReportViewName, pickers: ReportPickers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of VIEW_PICKERS[view]) {
    const value = pickers[id];
    if (value) out[id] = value;
  }
  return out;
}

/** The pickers after one choice; '' clears it (the backend's default applies). */
export function choose(pickers: ReportPickers, id: PickerId, value: string): ReportPickers {
  const next: ReportPickers = { ...pickers, [id]: value };
  if (!value) delete next[id];
  // A period is a label of one unit ("2026-11" is a month): another unit starts at its latest.
  if (id === 'unit') delete next.period;
  return next;
}

export function isView(value: string | undefined): value is ReportViewName {
  return (REPORT_VIEWS as readonly string[]).includes(value ?? '');
}

/** The app page path of a view. */
export const viewPath = (view: ReportViewName) => `/${view}`;
