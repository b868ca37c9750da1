import { Alert, Button, EmptyState, ErrorState, LoadingSpinner, StatisticsItem, StatusTag, Table, TableRow, Text } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { describe, expect, it } from 'vitest';
import { ContactCard } from '../components/ContactCard';
import { contactCardResponseSchema } from '../generated/api';
import { BACKEND_BASE_URL } from '../generated/backend';
import { allText, contactCard, fakeFetcher, ok } from './fixtures';

function renderContact(fetcher: ReturnType<typeof fakeFetcher>['fetcher']) {
  const renderer = createRenderer('crm.record.tab');
  renderer.render(<ContactCard contactId="1" fetcher={fetcher} />);
  return renderer;
}

describe('ContactCard', () => {
  it('fixtures follow the contract', () => {
    expect(contactCardResponseSchema.parse(contactCard())).toEqual(contactCard());
  });

  it('shows a spinner while loading, and asks the backend for this contact', async () => {
    const { fetcher, calls } = fakeFetcher('never');
    const r = renderContact(fetcher);
    expect(r.findByTestId(LoadingSpinner, 'loading')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.map((c) => c.url)).toEqual([`${BACKEND_BASE_URL}/cards/contact?contactId=1`]);
  });

  it('shows first and latest touch, speed to lead within 5 minutes, lifecycle entries and the timeline', async () => {
    const r = renderContact(fakeFetcher(ok(contactCard())).fetcher);
    await r.waitFor(() => expect(r.findByTestId(StatisticsItem, 'first-touch').props.number).toBe('Organic Search'));
    expect(r.findByTestId(StatisticsItem, 'last-touch').props.number).toBe('Email Marketing');
    expect(r.findByTestId(StatisticsItem, 'speed-to-lead').props.number).toBe('4');
    expect(r.findByTestId(StatusTag, 'within-five').text).toBe('Answered within 5 minutes');
    expect(r.findByTestId(StatisticsItem, 'days-to-deal').props.number).toBe('61');
    expect(r.findByTestId(Table, 'lifecycle').findAll(TableRow)).toHaveLength(3);
    expect(r.findByTestId(Table, 'touch-timeline').findAll(TableRow)).toHaveLength(3);
  });

  it('shows unknown figures with their reasons', async () => {
    const card = contactCard({
      speedToLead: { minutes: { value: null, reason: 'no sales activity on this contact yet' }, withinFiveMinutes: null },
      daysToDeal: { value: null, reason: 'no won deal yet' },
      wonRevenue: { value: null, reason: 'no won deal has an amount in the home currency' },
    });
    const r = renderContact(fakeFetcher(ok(card)).fetcher);
    await r.waitFor(() => expect(r.findByTestId(Text, 'reason-days-to-deal').text).toBe('Unknown: no won deal yet'));
    expect(r.findByTestId(Text, 'reason-speed-to-lead').text).toContain('no sales activity');
    expect(r.findByTestId(Text, 'reason-won-revenue').text).toContain('home currency');
    expect(r.maybeFind(StatusTag, { testId: 'within-five' })).toBeNull();
  });

  it('shows a contact without touches', async () => {
    const card = contactCard({ firstTouch: null, lastTouch: null, touches: { items: [], more: 0 } });
    const r = renderContact(fakeFetcher(ok(card)).fetcher);
    await r.waitFor(() => expect(r.findByTestId(EmptyState, 'no-touches')).toBeDefined());
    expect(r.findByTestId(StatisticsItem, 'first-touch').props.number).toBe('–');
  });

  it('ends capped lists with "and N more"', async () => {
    const base = contactCard();
    const card = contactCard({ touches: { items: base.touches.items, more: 95 }, lifecycle: { items: base.lifecycle.items, more: 3 } });
    const r = renderContact(fakeFetcher(ok(card)).fetcher);
    await r.waitFor(() => expect(r.findByTestId(Text, 'touches-more').text).toBe('and 95 more'));
    expect(r.findByTestId(Text, 'lifecycle-more').text).toBe('and 3 more');
  });

  it('covers the states before figures: not synced, pending, first sync', async () => {
    const missing = renderContact(fakeFetcher({ status: 404, body: {} }).fetcher);
    await missing.waitFor(() =>
      expect(allText(missing.findByTestId(EmptyState, 'record-not-synced'))).toContain('within a few minutes'),
    );
    const pending = renderContact(fakeFetcher(ok({ state: 'record_pending' })).fetcher);
    await pending.waitFor(() => expect(pending.findByTestId(Alert, 'record-pending')).toBeDefined());
    const syncing = renderContact(
      fakeFetcher(ok({ state: 'portal_pending', phase: 'sync', recordsSynced: null, kpiStartedAt: null })).fetcher,
    );
    await syncing.waitFor(() => expect(syncing.findByTestId(Alert, 'portal-pending').text).toContain('first sync is running'));
  });

  it('shows a backend error with a retry button that loads again', async () => {
    const { fetcher, calls } = fakeFetcher({ status: 500, body: 'oops' }, ok(contactCard()));
    const r = renderContact(fetcher);
    await r.waitFor(() => expect(allText(r.findByTestId(ErrorState, 'backend-error'))).toContain('answered 500'));
    r.findByTestId(Button, 'retry').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatisticsItem, 'first-touch')).toBeDefined());
    expect(calls).toHaveLength(2);
  });
});
