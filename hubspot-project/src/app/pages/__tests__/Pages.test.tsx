import {
  Alert,
  BarChart,
  Button,
  EmptyState,
  ErrorState,
  LineChart,
  Link,
  LoadingSpinner,
  NumberInput,
  Select,
  Table,
  TableCell,
  TableHeader,
  Text,
} from '@hubspot/ui-extensions';
import { PageHeader, PageLink } from '@hubspot/ui-extensions/pages';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { allText } from '../../cards/__tests__/fixtures';
import { chartRows } from '../components/ReportSection';
import { LINK_SHOWN_MS, ReportPages } from '../components/ReportPages';
import { BACKEND_BASE_URL } from '../generated/backend';
import { REPORT_VIEW_TITLES, REPORT_VIEWS, reportViewResponseSchema } from '../generated/reports';
import type { ReportViewName } from '../generated/reports';
import type { Fetcher, FetchResponse } from '../generated/client';
import { backendFake, context, ok, readyView } from './fixtures';

const viewUrl = (view: ReportViewName, query = '') =>
  `${BACKEND_BASE_URL}/api/reports/views/${view}${query ? `?${query}` : ''}`;

/**
 * Renders the app pages at `path` (the app page location HubSpot would give), with picker
 * navigation wired as HubSpot does it: navigateToPage changes the location.
 */
function renderPages(fetcher: ReturnType<typeof backendFake>['fetcher'], path: string, params: Record<string, string> = {}) {
  const r = createRenderer('pages');
  r.mocks.setPageLocation({ path, params });
  r.mocks.actions.navigateToPage.willCall(({ to, params: next }) =>
    r.mocks.setPageLocation({ path: to, params: next ?? {} }),
  );
  r.render(<ReportPages fetcher={fetcher} />);
  return r;
}

describe('app pages', () => {
  it('fixtures follow the contract', () => {
    for (const view of REPORT_VIEWS) expect(reportViewResponseSchema.parse(readyView(view))).toEqual(readyView(view));
  });

  describe.each(REPORT_VIEWS)('%s page', (view) => {
    it('shows a spinner while loading, and asks the signed API for this view', async () => {
      const { fetcher, calls } = backendFake({ views: ['never'] });
      const r = renderPages(fetcher, `/${view}`);
      expect(r.findByTestId(LoadingSpinner, 'loading').props.label).toBe(
        `Loading the ${REPORT_VIEW_TITLES[view].toLowerCase()} report`,
      );
      await r.waitFor(() => expect(calls).toHaveLength(1));
      expect(calls[0]).toEqual({ url: viewUrl(view), options: { timeout: 10_000, method: 'GET' } });
    });

    it('shows its figures: a chart, the table beside it with its population, an unknown figure with its reason', async () => {
      const r = renderPages(backendFake({ views: [ok(readyView(view))] }).fetcher, `/${view}`);
      await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
      const data = readyView(view);
      const section = data.sections[0]!;
      const table = section.tables[0]!;
      expect(r.findByTestId(Table, `table-${table.id}`).findAll(TableHeader).map((h) => h.text)).toEqual(
        table.columns,
      );
      expect(r.findByTestId(Text, `caption-${table.id}`).text).toBe(table.caption);
      const chart = section.chart!.type === 'line' ? LineChart : BarChart;
      expect(r.findByTestId(chart, `chart-${section.id}`).props.options).toMatchObject({ title: section.chart!.title });
      // Every unknown figure shows a dash and its reason, never a 0.
      const unknown = table.rows.flat().filter((c) => c.v === null);
      expect(unknown.length).toBeGreaterThan(0);
      const cells = r.findByTestId(Table, `table-${table.id}`).findAll(TableCell).map((c) => allText(c));
      for (const cell of unknown) expect(cells).toContain(`– Unknown: ${cell.reason}`);
      expect(cells).not.toContain('0');
      // What the figures are about.
      expect(r.findByTestId(Text, 'about').text).toContain('2026-11 (month)');
      expect(r.findByTestId(Text, 'about').text).toContain('figures as of 2026-11-30 06:00 UTC');
      // The navigation marks this page and links to the five others.
      expect(r.findByTestId(Text, `nav-${view}`).props.format).toEqual({ fontWeight: 'bold' });
      expect(r.findAll(PageLink).map((l) => l.props.to)).toEqual(
        REPORT_VIEWS.filter((v) => v !== view).map((v) => `/${v}`),
      );
    });

    it('says what the first sync or computation is doing while the portal has no figures', async () => {
      const r = renderPages(
        backendFake({
          views: [ok({ state: 'portal_pending', phase: 'sync', recordsSynced: 12345, kpiStartedAt: null })],
        }).fetcher,
        `/${view}`,
      );
      await r.waitFor(() =>
        expect(r.findByTestId(Alert, 'portal-pending').text).toContain('12,345 records synced so far'),
      );
      expect(r.maybeFind(Table)).toBeNull();
    });

    it('shows a backend error with a retry button that loads again', async () => {
      const { fetcher, calls } = backendFake({
        views: [{ status: 502, body: { error: { code: 'upstream_error', message: 'database unavailable' } } }, ok(readyView(view))],
      });
      const r = renderPages(fetcher, `/${view}`);
      await r.waitFor(() => expect(allText(r.findByTestId(ErrorState, 'backend-error'))).toContain('database unavailable'));
      r.findByTestId(Button, 'retry').trigger('onClick');
      await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
      expect(calls.map((c) => c.url)).toEqual([viewUrl(view), viewUrl(view)]);
    });

    it('"Open full report" asks for a one-time link to the same view with its pickers, and offers it', async () => {
      const { fetcher, calls } = backendFake({
        views: [ok(readyView(view))],
        links: [ok({ url: 'https://kpi-bridge.example.com/reports/open?token=abc', expiresAt: '2026-11-30T09:01:00.000Z' })],
      });
      const r = renderPages(fetcher, `/${view}`, { unit: 'quarter', colour: 'red' });
      await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
      r.findByTestId(PageHeader.Link, 'open-full-report').trigger('onClick');
      await r.waitFor(() => expect(r.findByTestId(Alert, 'full-report-ready')).toBeDefined());
      expect(calls.at(-1)).toEqual({
        url: `${BACKEND_BASE_URL}/api/reports/link`,
        options: { timeout: 10_000, method: 'POST', body: { view, params: { unit: 'quarter' } } },
      });
      const link = r.findByTestId(Link, 'full-report-link');
      expect(link.props.href).toEqual({ url: 'https://kpi-bridge.example.com/reports/open?token=abc', external: true });
      expect(link.text).toBe(`Open the ${REPORT_VIEW_TITLES[view]} report in a new tab`);
      // It opens once: used, it is gone, and the action asks for a new one.
      link.trigger('onClick');
      await r.waitFor(() => expect(r.maybeFindByTestId(Alert, 'full-report-ready')).toBeNull());
      expect(r.findByTestId(PageHeader.Link, 'open-full-report').props.disabled).toBe(false);
    });
  });

  it('opens on the overview at the app’s home', async () => {
    const { fetcher, calls } = backendFake({ views: [ok(readyView('overview'))] });
    const r = renderPages(fetcher, '/');
    await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
    expect(calls[0]!.url).toBe(viewUrl('overview'));
    expect(r.findByTestId(Text, 'nav-overview').props.format).toEqual({ fontWeight: 'bold' });
  });

  it('says when the first computation runs after the sync', async () => {
    const pending = { state: 'portal_pending', phase: 'kpi', recordsSynced: 500, kpiStartedAt: '2026-11-30T06:01:00.000Z' };
    const r = renderPages(backendFake({ views: [ok(pending)] }).fetcher, '/funnel');
    await r.waitFor(() =>
      expect(r.findByTestId(Alert, 'portal-pending').text).toContain('computation started at 06:01 UTC'),
    );
  });

  it('treats a network failure and an answer outside the contract as errors', async () => {
    const failed = renderPages(backendFake({ views: [new Error('connect ECONNREFUSED')] }).fetcher, '/pipeline');
    await failed.waitFor(() => expect(allText(failed.findByTestId(ErrorState, 'backend-error'))).toContain('ECONNREFUSED'));
    const drifted = renderPages(backendFake({ views: [ok({ state: 'ready', view: 'pipeline' })] }).fetcher, '/pipeline');
    await drifted.waitFor(() =>
      expect(allText(drifted.findByTestId(ErrorState, 'backend-error'))).toContain('does not understand'),
    );
  });

  it('shows an empty state when the selection has no rows at all, and says so per empty table', async () => {
    const none = readyView('pipeline', {
      sections: [{ id: 'stages', title: 'Days in each stage', tables: [{ id: 'stages', title: 'Stages', columns: ['Stage'], rows: [] }] }],
    });
    const r = renderPages(backendFake({ views: [ok(none)] }).fetcher, '/pipeline');
    await r.waitFor(() => expect(r.findByTestId(EmptyState, 'no-figures')).toBeDefined());
    expect(allText(r.findByTestId(EmptyState, 'no-figures'))).toContain('pipeline in 2026-11 (month)');
    // The pickers stay, to choose something else.
    expect(r.findByTestId(Select, 'picker-period')).toBeDefined();

    const some = readyView('pipeline', {
      sections: [...none.sections, ...readyView('pipeline').sections],
    });
    const r2 = renderPages(backendFake({ views: [ok(some)] }).fetcher, '/pipeline');
    await r2.waitFor(() => expect(r2.findByTestId(Text, 'table-empty-stages').text).toBe('No rows for this selection.'));
  });

  it('draws no point for an unknown value (never a 0) and says when nothing is known', async () => {
    const funnel = readyView('funnel');
    // Category by category: the SDK draws rows in the order given, so the periods stay in order
    // even though the first series does not know the first period.
    expect(chartRows(funnel.sections[0]!.chart!)).toEqual([
      { category: '2026-10', series: 'Contacts', value: 30 },
      { category: '2026-11', series: 'Visits', value: 900 },
      { category: '2026-11', series: 'Contacts', value: 40 },
    ]);
    const unknown = readyView('funnel', {
      sections: [
        {
          ...funnel.sections[0]!,
          chart: { ...funnel.sections[0]!.chart!, series: [{ name: 'Visits', values: [null, null] }] },
        },
      ],
    });
    const r = renderPages(backendFake({ views: [ok(unknown)] }).fetcher, '/funnel');
    await r.waitFor(() => expect(r.findByTestId(Text, 'chart-empty-funnel').text).toContain('no known value'));
    expect(r.maybeFind(LineChart)).toBeNull();
  });

  it('charts: values in the unit their axis label names (the SDK has no number format), series keep their colours', async () => {
    const speed = renderPages(backendFake({ views: [ok(readyView('speed-to-lead'))] }).fetcher, '/speed-to-lead');
    await speed.waitFor(() => expect(speed.maybeFind(LineChart)).not.toBeNull());
    const rate = speed.findByTestId(LineChart, 'chart-speed').props;
    // 0.4 and 0.55 as a share: drawn as 40 and 55, labelled in percent.
    expect((rate.data as { value: number }[]).map((row) => row.value)).toEqual([40, 55]);
    expect(rate.axes.y.label).toBe('Share answered within 5 minutes (%)');

    const pipeline = renderPages(backendFake({ views: [ok(readyView('pipeline'))] }).fetcher, '/pipeline');
    await pipeline.waitFor(() => expect(pipeline.maybeFind(LineChart)).not.toBeNull());
    const money = pipeline.findByTestId(LineChart, 'chart-velocity-trend').props;
    expect((money.data as { value: number }[]).map((row) => row.value)).toEqual([120.5, 140]);
    expect(money.axes.y.label).toBe('Pipeline velocity per period (EUR)');

    const attribution = renderPages(backendFake({ views: [ok(readyView('attribution'))] }).fetcher, '/attribution');
    await attribution.waitFor(() => expect(attribution.maybeFind(BarChart)).not.toBeNull());
    const models = attribution.findByTestId(BarChart, 'chart-models').props;
    expect(models.axes.options).toEqual({
      groupFieldByColor: 'series',
      colors: { 'W-shaped': 'orange', 'Last touch': 'aqua' },
    });
    expect(models.options).toMatchObject({ showLegend: true });
  });

  it('a picker change navigates with the new pickers and refetches with them; another unit starts at its latest period', async () => {
    const quarter = readyView('pipeline', {
      context: context({ unit: 'quarter', period: undefined, periods: [] }),
    });
    const { fetcher, viewCalls } = backendFake({ views: [ok(readyView('pipeline')), 'never', ok(quarter)] });
    const r = renderPages(fetcher, '/pipeline', { period: '2026-10', pipeline: 'default' });
    await r.waitFor(() => expect(r.findByTestId(Select, 'picker-unit').props.value).toBe('month'));
    expect(viewCalls()[0]!.url).toBe(viewUrl('pipeline', 'period=2026-10&pipeline=default'));

    r.findByTestId(Select, 'picker-pipeline').trigger('onChange', 'renewals' as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(2));
    expect(viewCalls()[1]!.url).toBe(viewUrl('pipeline', 'period=2026-10&pipeline=renewals'));
    expect(r.mocks.actions.navigateToPage.calls.at(-1)).toEqual([
      { to: '/pipeline', params: { period: '2026-10', pipeline: 'renewals' } },
    ]);
    // While it loads, the pickers stay on screen, read-only, with the new choice.
    expect(r.findByTestId(LoadingSpinner, 'updating')).toBeDefined();
    expect(r.findByTestId(Select, 'picker-pipeline').props).toMatchObject({ value: 'renewals', readOnly: true });
    expect(r.findByTestId(Select, 'picker-unit').props).toMatchObject({ value: 'month', readOnly: true });

    r.findByTestId(Select, 'picker-unit').trigger('onChange', 'quarter' as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(3));
    expect(viewCalls()[2]!.url).toBe(viewUrl('pipeline', 'unit=quarter&pipeline=renewals'));
    await r.waitFor(() => expect(r.findByTestId(Select, 'picker-unit').props.readOnly).toBe(false));
    expect(r.findByTestId(Select, 'picker-unit').props.value).toBe('quarter');
    // No period stored for the unit: no period picker, and the page says so.
    expect(r.maybeFindByTestId(Select, 'picker-period')).toBeNull();
    expect(r.findByTestId(Text, 'about').text).toContain('no quarter stored yet');
  });

  it('attribution: model and conversion pickers; "all owners" clears the owner', async () => {
    const { fetcher, viewCalls } = backendFake({ views: [ok(readyView('attribution'))] });
    const r = renderPages(fetcher, '/attribution', { owner: '7' });
    await r.waitFor(() => expect(r.findByTestId(Select, 'picker-model').props.value).toBe('w_shaped'));
    expect(r.findByTestId(Select, 'picker-model').props.options).toHaveLength(11);
    r.findByTestId(Select, 'picker-model').trigger('onChange', 'markov' as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(2));
    expect(viewCalls()[1]!.url).toBe(viewUrl('attribution', 'owner=7&model=markov'));
    // "All owners" shows as chosen when no owner is, and clears the owner. Its value is not '',
    // which HubSpot's Select takes for "nothing chosen" (its documented example tests `!value`).
    for (const select of r.findAll(Select)) expect(select.props.options.every((o) => Boolean(o.value))).toBe(true);
    const all = r.findByTestId(Select, 'picker-owner').props.options.find((o) => o.label === 'All owners')!;
    r.findByTestId(Select, 'picker-owner').trigger('onChange', all.value as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(3));
    expect(viewCalls()[2]!.url).toBe(viewUrl('attribution', 'model=markov'));
    r.findByTestId(Select, 'picker-kind').trigger('onChange', 'contact_create' as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(4));
    expect(viewCalls()[3]!.url).toBe(viewUrl('attribution', 'kind=contact_create&model=markov'));
    expect(allText(r.findByTestId(Text, 'about'))).toContain('model W-shaped');
  });

  it('funnel: breakdown and target revenue (sent when committed) refetch; the view’s pickers only are sent', async () => {
    const { fetcher, viewCalls } = backendFake({ views: [ok(readyView('funnel'))] });
    const r = renderPages(fetcher, '/funnel', { model: 'markov' });
    await r.waitFor(() => expect(r.findByTestId(Select, 'picker-by').props.value).toBe('source'));
    expect(viewCalls()[0]!.url).toBe(viewUrl('funnel'));
    expect(r.maybeFindByTestId(Select, 'picker-model')).toBeNull();
    r.findByTestId(Select, 'picker-by').trigger('onChange', 'none' as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(2));
    expect(viewCalls()[1]!.url).toBe(viewUrl('funnel', 'by=none'));
    r.findByTestId(NumberInput, 'picker-target').trigger('onChange', 250000 as never);
    await r.waitFor(() => expect(viewCalls()).toHaveLength(3));
    expect(viewCalls()[2]!.url).toBe(viewUrl('funnel', 'by=none&target=250000'));
  });

  it('the navigation keeps the pickers from page to page', async () => {
    const r = renderPages(backendFake({ views: [ok(readyView('overview'))] }).fetcher, '/overview', {
      unit: 'quarter',
      model: 'markov',
    });
    await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
    expect(r.findByTestId(PageLink, 'nav-attribution').props.params).toEqual({ unit: 'quarter', model: 'markov' });
  });

  it('"Open full report": an error says why and can be retried; the link is dropped when the pickers change', async () => {
    const { fetcher, calls } = backendFake({
      views: [ok(readyView('lifecycle'))],
      links: [
        { status: 404, body: { error: { code: 'not_found', message: 'the app is not installed in this portal' } } },
        ok({ url: 'https://kpi-bridge.example.com/reports/open?token=def', expiresAt: '2026-11-30T09:01:00.000Z' }),
      ],
    });
    const r = renderPages(fetcher, '/lifecycle');
    await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
    r.findByTestId(PageHeader.Link, 'open-full-report').trigger('onClick');
    await r.waitFor(() => expect(allText(r.findByTestId(Alert, 'full-report-error'))).toContain('not installed'));
    r.findByTestId(Button, 'full-report-retry').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(Alert, 'full-report-ready')).toBeDefined());
    expect(calls.filter((c) => c.options?.method === 'POST')).toHaveLength(2);
    r.findByTestId(Select, 'picker-unit').trigger('onChange', 'week' as never);
    await r.waitFor(() => expect(r.maybeFindByTestId(Alert, 'full-report-ready')).toBeNull());
  });

  it('"Open full report": a link that arrives after the pickers changed is not offered', async () => {
    let answerLink: (response: FetchResponse) => void = () => {};
    const views = backendFake({ views: [ok(readyView('funnel'))] });
    const fetcher: Fetcher = (url, options) =>
      url.includes('/api/reports/link')
        ? new Promise<FetchResponse>((resolve) => (answerLink = resolve))
        : views.fetcher(url, options);
    const r = renderPages(fetcher, '/funnel');
    await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
    r.findByTestId(PageHeader.Link, 'open-full-report').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(LoadingSpinner, 'full-report-minting')).toBeDefined());
    r.findByTestId(Select, 'picker-by').trigger('onChange', 'none' as never);
    await r.waitFor(() => expect(r.findByTestId(Select, 'picker-by').props.readOnly).toBe(false));
    await act(async () =>
      answerLink({
        ok: true,
        status: 200,
        json: () => Promise.resolve({ url: 'https://kpi-bridge.example.com/reports/open?token=old', expiresAt: '2026-11-30T09:01:00.000Z' }),
      }),
    );
    expect(r.maybeFindByTestId(Alert, 'full-report-ready')).toBeNull();
  });

  it('"Open full report": the link is offered for less than its 60 seconds, then dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    try {
      const { fetcher } = backendFake({
        views: [ok(readyView('speed-to-lead'))],
        links: [ok({ url: 'https://kpi-bridge.example.com/reports/open?token=ghi', expiresAt: '2026-11-30T09:01:00.000Z' })],
      });
      const r = renderPages(fetcher, '/speed-to-lead');
      await r.waitFor(() => expect(r.maybeFind(Table)).not.toBeNull());
      r.findByTestId(PageHeader.Link, 'open-full-report').trigger('onClick');
      await r.waitFor(() => expect(r.findByTestId(Alert, 'full-report-ready')).toBeDefined());
      // Let React run the effect that starts the timer.
      await act(async () => {});
      act(() => vi.advanceTimersByTime(LINK_SHOWN_MS - 1_000));
      expect(r.maybeFindByTestId(Alert, 'full-report-ready')).not.toBeNull();
      act(() => vi.advanceTimersByTime(1_000));
      expect(r.maybeFindByTestId(Alert, 'full-report-ready')).toBeNull();
      expect(r.findByTestId(PageHeader.Link, 'open-full-report').props.disabled).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an unknown page says so, and has no report to open', () => {
    const r = renderPages(backendFake({}).fetcher, '/nope');
    expect(r.findByTestId(EmptyState, 'not-found')).toBeDefined();
    expect(r.findByTestId(PageHeader.Link, 'open-full-report').props.disabled).toBe(true);
  });
});
