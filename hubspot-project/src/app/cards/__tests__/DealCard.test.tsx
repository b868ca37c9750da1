import {
  Alert,
  BarChart,
  EmptyState,
  ErrorState,
  LoadingSpinner,
  StatusTag,
  Table,
  TableHeader,
  Tag,
  Text,
  Button,
} from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { describe, expect, it } from 'vitest';
import { DealCard } from '../components/DealCard';
import { dealCardResponseSchema } from '../generated/api';
import { BACKEND_BASE_URL } from '../generated/backend';
import { allText, dealCard, fakeFetcher, ok } from './fixtures';

function renderDeal(fetcher: ReturnType<typeof fakeFetcher>['fetcher'], compact = false) {
  const renderer = createRenderer('crm.record.tab');
  renderer.render(<DealCard dealId="100" fetcher={fetcher} compact={compact} />);
  return renderer;
}

describe('DealCard', () => {
  it('fixtures follow the contract', () => {
    expect(dealCardResponseSchema.parse(dealCard())).toEqual(dealCard());
  });

  it('shows a spinner while loading, and asks the backend for this deal', async () => {
    const { fetcher, calls } = fakeFetcher('never');
    const r = renderDeal(fetcher);
    expect(r.findByTestId(LoadingSpinner, 'loading')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.map((c) => c.url)).toEqual([`${BACKEND_BASE_URL}/cards/deal?dealId=100`]);
    expect(calls[0]!.options?.method).toBe('GET');
  });

  it('shows the first sync with its progress while the portal has no figures yet', async () => {
    const { fetcher } = fakeFetcher(ok({ state: 'portal_pending', phase: 'sync', recordsSynced: 12345, kpiStartedAt: null }));
    const r = renderDeal(fetcher);
    await r.waitFor(() => expect(r.findByTestId(Alert, 'portal-pending').text).toContain('12,345 records synced so far'));
  });

  it('shows the first computation when the sync is done', async () => {
    const { fetcher } = fakeFetcher(
      ok({ state: 'portal_pending', phase: 'kpi', recordsSynced: 500, kpiStartedAt: '2026-11-30T06:01:00.000Z' }),
    );
    const r = renderDeal(fetcher);
    await r.waitFor(() => expect(r.findByTestId(Alert, 'portal-pending').text).toContain('computation started at 06:01 UTC'));
  });

  it('says a record created moments ago appears within a few minutes (404)', async () => {
    const { fetcher } = fakeFetcher({ status: 404, body: { error: { code: 'not_found', message: 'x', requestId: '1' } } });
    const r = renderDeal(fetcher);
    await r.waitFor(() => expect(allText(r.findByTestId(EmptyState, 'record-not-synced'))).toContain('within a few minutes'));
  });

  it('says a synced record waits for the next computation', async () => {
    const { fetcher } = fakeFetcher(ok({ state: 'record_pending' }));
    const r = renderDeal(fetcher);
    await r.waitFor(() => expect(r.findByTestId(Alert, 'record-pending').text).toContain('next computation'));
  });

  it('shows a backend error with a retry button that loads again', async () => {
    const { fetcher, calls } = fakeFetcher(
      { status: 502, body: { error: { code: 'upstream_error', message: 'database unavailable', requestId: '1' } } },
      ok(dealCard()),
    );
    const r = renderDeal(fetcher);
    await r.waitFor(() => expect(allText(r.findByTestId(ErrorState, 'backend-error'))).toContain('database unavailable'));
    r.findByTestId(Button, 'retry').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'stuck')).toBeDefined());
    expect(calls).toHaveLength(2);
  });

  it('treats a network failure and an answer outside the contract as errors', async () => {
    const failed = renderDeal(fakeFetcher(new Error('connect ECONNREFUSED')).fetcher);
    await failed.waitFor(() => expect(allText(failed.findByTestId(ErrorState, 'backend-error'))).toContain('ECONNREFUSED'));
    const drifted = renderDeal(fakeFetcher(ok({ state: 'ready', deal: {} })).fetcher);
    await drifted.waitFor(() =>
      expect(allText(drifted.findByTestId(ErrorState, 'backend-error'))).toContain('does not understand'),
    );
  });

  it('labels revenue credit with the company currency', async () => {
    const revenue = dealCard({
      attribution: {
        kind: 'revenue',
        value: 10000,
        defaultModel: 'w_shaped',
        models: [{ model: 'w_shaped', channels: [{ channel: 'PAID_SEARCH', credit: 6000 }, { channel: 'ORGANIC_SEARCH', credit: 4000 }] }],
      },
    });
    const r = renderDeal(fakeFetcher(ok(revenue)).fetcher);
    await r.waitFor(() => expect(r.maybeFindByTestId(BarChart, 'attribution-chart')).not.toBeNull());
    expect(r.findByTestId(BarChart, 'attribution-chart').props.axes.y.label).toBe('Credit (EUR)');
  });

  it('shows where the deal stands, the stuck flag, velocity and which lever moved, every model side by side', async () => {
    const r = renderDeal(fakeFetcher(ok(dealCard())).fetcher);
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'stuck')).toBeDefined());
    expect(r.findByTestId(Text, 'moved-against').text).toContain('Win rate');
    const chart = r.findByTestId(BarChart, 'attribution-chart');
    expect(chart.props.data).toEqual([
      { channel: 'Paid Search', credit: 0.6 },
      { channel: 'Organic Search', credit: 0.4 },
    ]);
    // The SDK's charts have no number format: the axis label names the unit.
    expect(chart.props.axes.y.label).toBe('Credit (share of the deal)');
    const models = r.findByTestId(Table, 'attribution-models');
    expect(models.findAll(TableHeader).map((h) => h.text)).toEqual([
      'Channel',
      'First touch',
      'W-shaped',
      'Data-driven (Markov)',
    ]);
    expect(r.findAll(Tag).map((t) => t.text)).toEqual(['First touch', 'Lead creation', 'Deal creation']);
  });

  it('shows a deal without touches and without attribution', async () => {
    const card = dealCard({
      touches: { items: [], more: 0 },
      attribution: { kind: 'none', reason: 'the deal has no credited conversion yet' },
    });
    const r = renderDeal(fakeFetcher(ok(card)).fetcher);
    await r.waitFor(() => expect(r.findByTestId(EmptyState, 'no-touches')).toBeDefined());
    expect(r.findByTestId(Text, 'attribution-none').text).toContain('no credited conversion yet');
  });

  it('shows an unknown figure as a dash with its reason', async () => {
    const base = dealCard();
    const card = dealCard({
      timing: {
        ...base.timing,
        daysInStage: { value: null, reason: 'the deal is closed' },
        stageMedianDays: { value: null, reason: 'no deal has left stage Contract sent yet' },
        stuck: null,
      },
      velocity: { ...base.velocity, value: { value: null, reason: 'no closed deals in period' } },
    });
    const r = renderDeal(fakeFetcher(ok(card)).fetcher);
    await r.waitFor(() => expect(r.findByTestId(Text, 'reason-days-in-stage').text).toBe('Unknown: the deal is closed'));
    expect(r.findByTestId(Text, 'reason-stage-median').text).toContain('no deal has left stage');
    expect(r.findByTestId(Text, 'reason-velocity').text).toContain('no closed deals in period');
    expect(r.maybeFind(StatusTag, { testId: 'stuck' })).toBeNull();
  });

  it('ends capped lists with "and N more"', async () => {
    const base = dealCard();
    const card = dealCard({
      touches: { items: base.touches.items, more: 470 },
      contacts: { items: base.contacts.items, more: 12 },
    });
    const r = renderDeal(fakeFetcher(ok(card)).fetcher);
    await r.waitFor(() => expect(r.findByTestId(Text, 'touches-more').text).toBe('and 470 more'));
    expect(r.findByTestId(Text, 'contacts-more').text).toBe('and 12 more');
  });

  it('sidebar: stage timing, stuck flag and the top channel only', async () => {
    const r = renderDeal(fakeFetcher(ok(dealCard())).fetcher, true);
    await r.waitFor(() => expect(r.findByTestId(Text, 'top-channel').text).toContain('Paid Search'));
    expect(r.findByTestId(StatusTag, 'stuck')).toBeDefined();
    expect(r.maybeFind(Table)).toBeNull();
  });
});
