import { Text } from '@hubspot/ui-extensions';
import type { ContactCard, DealCard } from '../generated/api';
import type { Fetcher, FetchResponse } from '../generated/client';

/** Answers as the backend sends them (the tests parse them with the same contract). */
export function dealCard(overrides: Partial<DealCard> = {}): DealCard {
  return {
    state: 'ready',
    asOf: '2026-11-30T06:00:00.000Z',
    currency: 'EUR',
    deal: {
      id: '100',
      name: 'Big deal',
      pipeline: { id: 'default', label: 'Sales' },
      stage: { id: 'contract', label: 'Contract sent' },
      outcome: 'open',
      amount: 12000,
      source: 'ORGANIC_SEARCH',
      createdAt: '2026-10-01T00:00:00.000Z',
      closeDate: null,
    },
    timing: {
      ageDays: 60,
      daysInStage: { value: 30, reason: null },
      stageMedianDays: { value: 12, reason: null },
      stuck: true,
      salesCycleDays: { value: 45, reason: null },
    },
    velocity: {
      periodLabel: '2026-09-01..2026-11-29',
      value: { value: 1234.5, reason: null },
      changeRelative: { value: -0.2, reason: null },
      factors: [
        { key: 'qualified_opportunities', value: { value: 40, reason: null }, changeRelative: { value: 0.1, reason: null } },
        { key: 'win_rate', value: { value: 0.25, reason: null }, changeRelative: { value: -0.3, reason: null } },
        { key: 'average_won_deal_size', value: { value: 10000, reason: null }, changeRelative: { value: 0, reason: null } },
        { key: 'sales_cycle_days', value: { value: 45, reason: null }, changeRelative: { value: null, reason: 'previous period value is 0' } },
      ],
      movedAgainst: 'win_rate',
    },
    attribution: {
      kind: 'deal_create',
      value: 1,
      defaultModel: 'w_shaped',
      models: [
        { model: 'first_touch', channels: [{ channel: 'ORGANIC_SEARCH', credit: 1 }] },
        {
          model: 'w_shaped',
          channels: [
            { channel: 'PAID_SEARCH', credit: 0.6 },
            { channel: 'ORGANIC_SEARCH', credit: 0.4 },
          ],
        },
        { model: 'markov', channels: [{ channel: 'PAID_SEARCH', credit: 1 }] },
      ],
    },
    touches: {
      items: [
        { id: 't1', at: '2026-09-01T10:00:00.000Z', channel: 'ORGANIC_SEARCH', kind: 'visit', contactId: '1', roles: ['first', 'lead_creation'] },
        { id: 't2', at: '2026-09-20T10:00:00.000Z', channel: 'PAID_SEARCH', kind: 'form', contactId: '1', roles: ['deal_creation'] },
      ],
      more: 0,
    },
    contacts: {
      items: [
        { id: '1', email: 'ann@example.com', minutesToFirstActivity: { value: 3, reason: null }, withinFiveMinutes: true },
      ],
      more: 0,
    },
    ...overrides,
  };
}

export function contactCard(overrides: Partial<ContactCard> = {}): ContactCard {
  const t1 = { id: 't1', at: '2026-09-01T10:00:00.000Z', channel: 'ORGANIC_SEARCH', kind: 'visit', contactId: '1', roles: ['first' as const] };
  const t2 = { id: 't2', at: '2026-09-20T10:00:00.000Z', channel: 'EMAIL_MARKETING', kind: 'email', contactId: '1', roles: ['last' as const] };
  return {
    state: 'ready',
    asOf: '2026-11-30T06:00:00.000Z',
    currency: 'EUR',
    contact: {
      id: '1',
      email: 'ann@example.com',
      source: 'ORGANIC_SEARCH',
      lifecycleStage: 'customer',
      createdAt: '2026-09-01T10:00:00.000Z',
      customerSince: '2026-11-01T00:00:00.000Z',
    },
    firstTouch: t1,
    lastTouch: t2,
    touches: { items: [t1, t2], more: 0 },
    lifecycle: {
      items: [
        { stage: 'lead', label: 'Lead', enteredAt: '2026-09-01T10:00:00.000Z' },
        { stage: 'customer', label: 'Customer', enteredAt: '2026-11-01T00:00:00.000Z' },
      ],
      more: 0,
    },
    speedToLead: { minutes: { value: 4, reason: null }, withinFiveMinutes: true },
    daysToDeal: { value: 61, reason: null },
    wonRevenue: { value: 12000, reason: null },
    wonDeals: 1,
    openPipeline: { value: 0, reason: null },
    openDeals: 0,
    ...overrides,
  };
}

/** A hubspot.fetch stand-in: answers in order, records the URLs it was asked for. */
export function fakeFetcher(...answers: ({ status: number; body: unknown } | 'never' | Error)[]) {
  const calls: { url: string; options: Parameters<Fetcher>[1] }[] = [];
  const fetcher: Fetcher = (url, options) => {
    calls.push({ url, options });
    const answer = answers[Math.min(calls.length, answers.length) - 1];
    if (answer === undefined) throw new Error('fakeFetcher: no answer configured');
    if (answer === 'never') return new Promise<FetchResponse>(() => {});
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      json: () => Promise.resolve(answer.body),
    });
  };
  return { fetcher, calls };
}

export const ok = (body: unknown) => ({ status: 200, body });

/** The text of a rendered node and of the Text elements inside it (`.text` alone skips nested elements). */
export function allText(node: { text: string | null; findAll: (c: typeof Text) => { text: string | null }[] }): string {
  return [node.text, ...node.findAll(Text).map((t) => t.text)].filter((t) => t !== null).join(' ');
}
