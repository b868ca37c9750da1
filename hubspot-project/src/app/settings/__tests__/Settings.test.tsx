import {
  Alert,
  Button,
  ErrorState,
  LoadingSpinner,
  MultiSelect,
  NumberInput,
  Select,
  Text,
  Toggle,
} from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { describe, expect, it } from 'vitest';
import { allText, fakeFetcher, ok } from '../../cards/__tests__/fixtures';
import { Settings } from '../components/Settings';
import type { PortalSettings } from '../generated/api';
import { BACKEND_BASE_URL } from '../generated/backend';

function settings(overrides: Partial<PortalSettings> = {}): PortalSettings {
  return {
    defaultModels: { revenue: 'w_shaped', deal_create: 'w_shaped', contact_create: 'u_shaped' },
    pipelines: [
      {
        id: 'default',
        label: 'Sales',
        qualifiedStageId: null,
        effectiveQualifiedStageId: 'appointment',
        stages: [
          { id: 'appointment', label: 'Appointment', isClosed: false },
          { id: 'contract', label: 'Contract', isClosed: false },
          { id: 'won', label: 'Won', isClosed: true },
        ],
      },
    ],
    clvOverrides: { averageOrderValue: null, ordersPerYear: null, yearsAsCustomer: null },
    writeback: { deals: true, contacts: true, channelModels: ['w_shaped', 'markov'], creditModel: 'w_shaped' },
    timeZone: 'Europe/Berlin',
    currency: 'EUR',
    updatedAt: null,
    figuresReflectSettings: true,
    lastRunFinishedAt: '2026-11-30T06:00:00.000Z',
    ...overrides,
  };
}

// trigger() is typed with the handler as its argument; at run time it passes the value to the handler.
function renderSettings(fetcher: ReturnType<typeof fakeFetcher>['fetcher']) {
  const renderer = createRenderer('settings');
  renderer.render(<Settings fetcher={fetcher} />);
  return renderer;
}

describe('Settings page', () => {
  it('shows a spinner while loading', () => {
    const r = renderSettings(fakeFetcher('never').fetcher);
    expect(r.findByTestId(LoadingSpinner, 'loading')).toBeDefined();
  });

  it('shows a backend error with a retry button', async () => {
    const { fetcher, calls } = fakeFetcher({ status: 503, body: {} }, ok(settings()));
    const r = renderSettings(fetcher);
    await r.waitFor(() => expect(allText(r.findByTestId(ErrorState, 'backend-error'))).toContain('answered 503'));
    r.findByTestId(Button, 'retry').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(Alert, 'figures-current')).toBeDefined());
    expect(calls.map((c) => c.url)).toEqual([`${BACKEND_BASE_URL}/settings`, `${BACKEND_BASE_URL}/settings`]);
  });

  it('shows the stored settings, open stages only, and time zone and currency read-only', async () => {
    const r = renderSettings(fakeFetcher(ok(settings())).fetcher);
    await r.waitFor(() => expect(r.findByTestId(Select, 'model-revenue').props.value).toBe('w_shaped'));
    expect(r.findByTestId(Select, 'model-contact_create').props.value).toBe('u_shaped');
    const stages = r.findByTestId(Select, 'qualified-default').props;
    const [firstOpen, ...open] = stages.options;
    expect(open.map((o) => o.value)).toEqual(['appointment', 'contract']);
    // No stage chosen: the default option shows as chosen. Its value is not '', which HubSpot's
    // Select takes for "nothing chosen" (its documented example tests `!value`).
    expect(firstOpen).toMatchObject({ label: 'First open stage (default)' });
    expect(stages.value).toBe(firstOpen!.value);
    expect(stages.options.every((o) => Boolean(o.value))).toBe(true);
    expect(r.findByTestId(Text, 'time-zone').text).toBe('Time zone: Europe/Berlin');
    expect(r.findByTestId(Text, 'currency').text).toBe('Company currency: EUR');
    expect(r.findByTestId(Button, 'save').props.disabled).toBe(true);
  });

  it('saves a change with PUT, then shows that figures are being recomputed until a run reflects it', async () => {
    const afterSave = settings({
      defaultModels: { revenue: 'markov', deal_create: 'w_shaped', contact_create: 'u_shaped' },
      pipelines: [{ ...settings().pipelines[0]!, qualifiedStageId: 'contract', effectiveQualifiedStageId: 'contract' }],
      clvOverrides: { averageOrderValue: null, ordersPerYear: 3, yearsAsCustomer: null },
      updatedAt: '2026-11-30T06:10:00.000Z',
      figuresReflectSettings: false,
    });
    const reflected = { ...afterSave, figuresReflectSettings: true, lastRunFinishedAt: '2026-11-30T06:11:00.000Z' };
    const { fetcher, calls } = fakeFetcher(ok(settings()), ok(afterSave), ok(reflected));
    const r = renderSettings(fetcher);
    await r.waitFor(() => expect(r.findByTestId(Select, 'model-revenue')).toBeDefined());
    r.findByTestId(Select, 'model-revenue').trigger('onChange', 'markov' as never);
    r.findByTestId(Select, 'qualified-default').trigger('onChange', 'contract' as never);
    r.findByTestId(NumberInput, 'clv-ordersPerYear').trigger('onChange', 3 as never);
    r.findByTestId(Button, 'save').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(Alert, 'figures-pending')).toBeDefined());
    expect(calls[1]).toEqual({
      url: `${BACKEND_BASE_URL}/settings`,
      options: {
        method: 'PUT',
        timeout: 10_000,
        body: {
          defaultModels: { revenue: 'markov' },
          qualifiedStages: { default: 'contract' },
          clvOverrides: { ordersPerYear: 3 },
        },
      },
    });
    expect(r.findByTestId(Select, 'model-revenue').props.value).toBe('markov');
    r.findByTestId(Button, 'check-again').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(Alert, 'figures-current').text).toContain('06:11'));
  });

  it('shows a refused change with the field the backend named, and keeps the draft', async () => {
    const refused = {
      status: 400,
      body: { error: { code: 'bad_request', message: 'qualifiedStages.default: won is not an open stage', requestId: '1' } },
    };
    const { fetcher } = fakeFetcher(ok(settings()), refused);
    const r = renderSettings(fetcher);
    await r.waitFor(() => expect(r.findByTestId(Select, 'model-revenue')).toBeDefined());
    r.findByTestId(Select, 'model-deal_create').trigger('onChange', 'linear' as never);
    r.findByTestId(Button, 'save').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(Alert, 'save-error').text).toContain('qualifiedStages.default'));
    expect(r.findByTestId(Select, 'model-deal_create').props.value).toBe('linear');
  });

  it('shows the write-back settings and sends only what changed', async () => {
    const afterSave = settings({
      writeback: { deals: true, contacts: false, channelModels: ['w_shaped', 'markov', 'shapley'], creditModel: 'markov' },
      figuresReflectSettings: false,
    });
    const { fetcher, calls } = fakeFetcher(ok(settings()), ok(afterSave));
    const r = renderSettings(fetcher);
    await r.waitFor(() => expect(r.findByTestId(Toggle, 'writeback-deals').props.checked).toBe(true));
    expect(r.findByTestId(Toggle, 'writeback-contacts').props.checked).toBe(true);
    expect(r.findByTestId(MultiSelect, 'writeback-channel-models').props.value).toEqual(['w_shaped', 'markov']);
    expect(r.findByTestId(Select, 'writeback-credit-model').props.value).toBe('w_shaped');
    r.findByTestId(Toggle, 'writeback-contacts').trigger('onChange', false as never);
    r.findByTestId(MultiSelect, 'writeback-channel-models').trigger('onChange', ['w_shaped', 'markov', 'shapley'] as never);
    r.findByTestId(Select, 'writeback-credit-model').trigger('onChange', 'markov' as never);
    expect(r.findByTestId(Toggle, 'writeback-contacts').props.checked).toBe(false);
    r.findByTestId(Button, 'save').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(Alert, 'figures-pending')).toBeDefined());
    expect(calls[1]!.options).toMatchObject({
      method: 'PUT',
      body: { writeback: { contacts: false, channelModels: ['w_shaped', 'markov', 'shapley'], creditModel: 'markov' } },
    });
    expect(r.findByTestId(Select, 'writeback-credit-model').props.value).toBe('markov');
  });
});
