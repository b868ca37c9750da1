import {
  Alert,
  Button,
  Divider,
  Flex,
  Heading,
  LoadingSpinner,
  MultiSelect,
  NumberInput,
  Select,
  Text,
  ErrorState,
  Toggle,
} from '@hubspot/ui-extensions';
import { useState } from 'react';
import { ATTRIBUTION_MODEL_IDS, CARD_PATHS, MODEL_LABELS, settingsSchema } from '../generated/api';
import type { PortalSettings, SettingsUpdate } from '../generated/api';
import { backendUrl } from '../generated/backend';
import { callBackend, useBackend } from '../generated/client';
import type { Fetcher } from '../generated/client';

const KIND_LABELS = {
  revenue: 'Revenue (won deals)',
  deal_create: 'Deal creation',
  contact_create: 'Contact creation',
} as const;
const KINDS = Object.keys(KIND_LABELS) as (keyof typeof KIND_LABELS)[];
const MODEL_OPTIONS = ATTRIBUTION_MODEL_IDS.map((m) => ({ label: MODEL_LABELS[m], value: m }));
// Saved as null. Not '' as an option value: HubSpot's Select takes a falsy value for nothing chosen.
const FIRST_OPEN_STAGE = '__first_open__';

const CLV_FIELDS = [
  ['averageOrderValue', 'Average order value'],
  ['ordersPerYear', 'Orders per year'],
  ['yearsAsCustomer', 'Years as customer'],
] as const;

type SaveState = { status: 'idle' } | { status: 'saving' } | { status: 'error'; message: string };

/** The app's settings page: loads the portal's settings, edits a draft, saves it with PUT. */
export function Settings({ fetcher }: { fetcher: Fetcher }) {
  const url = backendUrl(CARD_PATHS.settings);
  const { state, retry } = useBackend(fetcher, url, settingsSchema);
  const [saved, setSaved] = useState<PortalSettings | null>(null);
  const [draft, setDraft] = useState<SettingsUpdate>({});
  const [save, setSave] = useState<SaveState>({ status: 'idle' });

  if (state.status === 'loading') return <LoadingSpinner label="Loading settings" showLabel testId="loading" />;
  if (state.status === 'error' || state.status === 'not_found')
    return (
      <ErrorState title="KPI Bridge could not load its settings" testId="backend-error">
        <Text>{state.message}</Text>
        <Button onClick={retry} testId="retry">
          Try again
        </Button>
      </ErrorState>
    );
  const current = saved ?? state.data;
  const model = (kind: keyof typeof KIND_LABELS) => draft.defaultModels?.[kind] ?? current.defaultModels[kind];
  const clv = (key: (typeof CLV_FIELDS)[number][0]) =>
    draft.clvOverrides && key in draft.clvOverrides ? draft.clvOverrides[key] : current.clvOverrides[key];

  const writeback = { ...current.writeback, ...draft.writeback };
  const setWriteback = (change: SettingsUpdate['writeback']) =>
    setDraft((d) => ({ ...d, writeback: { ...d.writeback, ...change } }));

  async function submit() {
    setSave({ status: 'saving' });
    const result = await callBackend(fetcher, url, settingsSchema, { method: 'PUT', body: draft });
    if (result.status !== 'ok') return setSave({ status: 'error', message: result.message });
    setSaved(result.data);
    setDraft({});
    setSave({ status: 'idle' });
  }

  async function refresh() {
    const result = await callBackend(fetcher, url, settingsSchema);
    if (result.status === 'ok') setSaved(result.data);
  }

  return (
    <Flex direction="column" gap="md">
      {current.figuresReflectSettings ? (
        <Alert title="Figures are up to date" variant="success" testId="figures-current">
          The figures reflect these settings{current.lastRunFinishedAt ? ` (computed ${current.lastRunFinishedAt.slice(0, 16).replace('T', ' ')} UTC)` : ''}.
        </Alert>
      ) : (
        <Alert title="Recomputing" variant="info" testId="figures-pending">
          The figures will reflect your last change after the next computation, usually within a few minutes.
          <Button size="xs" onClick={() => void refresh()} testId="check-again">
            Check again
          </Button>
        </Alert>
      )}

      <Heading>Default attribution model</Heading>
      {KINDS.map((kind) => (
        <Select
          key={kind}
          label={KIND_LABELS[kind]}
          name={`model-${kind}`}
          testId={`model-${kind}`}
          options={MODEL_OPTIONS}
          value={model(kind)}
          onChange={(value) =>
            setDraft((d) => ({ ...d, defaultModels: { ...d.defaultModels, [kind]: value as (typeof ATTRIBUTION_MODEL_IDS)[number] } }))
          }
        />
      ))}

      <Divider />
      <Heading>Qualified stage per pipeline</Heading>
      {current.pipelines.length === 0 ? <Text testId="no-pipelines">No pipelines synced yet.</Text> : null}
      {current.pipelines.map((p) => (
        <Select
          key={p.id}
          label={p.label}
          name={`qualified-${p.id}`}
          testId={`qualified-${p.id}`}
          description="Deals that enter this stage count as qualified opportunities in pipeline velocity."
          options={[
            { label: 'First open stage (default)', value: FIRST_OPEN_STAGE },
            ...p.stages.filter((s) => !s.isClosed).map((s) => ({ label: s.label, value: s.id })),
          ]}
          value={(draft.qualifiedStages && p.id in draft.qualifiedStages ? draft.qualifiedStages[p.id] : p.qualifiedStageId) ?? FIRST_OPEN_STAGE}
          onChange={(value) =>
            setDraft((d) => ({
              ...d,
              qualifiedStages: { ...d.qualifiedStages, [p.id]: value === FIRST_OPEN_STAGE ? null : String(value) },
            }))
          }
        />
      ))}

      <Divider />
      <Heading>Customer lifetime value</Heading>
      <Text>Leave a factor empty to measure it from your won deals.</Text>
      {CLV_FIELDS.map(([key, label]) => (
        <NumberInput
          key={key}
          label={label}
          name={`clv-${key}`}
          testId={`clv-${key}`}
          min={0}
          value={clv(key) ?? undefined}
          onChange={(value) =>
            setDraft((d) => ({ ...d, clvOverrides: { ...d.clvOverrides, [key]: Number.isFinite(value) ? value : null } }))
          }
        />
      ))}
      <Button
        size="xs"
        variant="secondary"
        testId="clv-measured"
        onClick={() =>
          setDraft((d) => ({ ...d, clvOverrides: { averageOrderValue: null, ordersPerYear: null, yearsAsCustomer: null } }))
        }
      >
        Measure all three from won deals
      </Button>

      <Divider />
      <Heading>Write-back to HubSpot properties</Heading>
      <Text>KPI Bridge writes its figures into kpibridge_* properties after every computation, so you can report on them in HubSpot.</Text>
      <Toggle
        label="Write deal properties"
        name="writeback-deals"
        testId="writeback-deals"
        checked={writeback.deals}
        onChange={(checked) => setWriteback({ deals: checked })}
      />
      <Toggle
        label="Write contact properties"
        name="writeback-contacts"
        testId="writeback-contacts"
        checked={writeback.contacts}
        onChange={(checked) => setWriteback({ contacts: checked })}
      />
      <MultiSelect
        label="Attributed channel written on deals, for these models"
        name="writeback-channel-models"
        testId="writeback-channel-models"
        options={MODEL_OPTIONS}
        value={writeback.channelModels}
        onChange={(value) =>
          setWriteback({ channelModels: value.map(String) as (typeof ATTRIBUTION_MODEL_IDS)[number][] })
        }
      />
      <Select
        label="Model behind the “KPI Bridge credit: <channel>” properties"
        name="writeback-credit-model"
        testId="writeback-credit-model"
        description="Summing these properties in a HubSpot report gives this model's revenue per channel."
        options={MODEL_OPTIONS}
        value={writeback.creditModel}
        onChange={(value) => setWriteback({ creditModel: value as (typeof ATTRIBUTION_MODEL_IDS)[number] })}
      />

      <Divider />
      <Heading>From your HubSpot account</Heading>
      <Text testId="time-zone">Time zone: {current.timeZone ?? 'not known yet'}</Text>
      <Text testId="currency">Company currency: {current.currency ?? 'not known yet'}</Text>
      <Text variant="microcopy">These come from HubSpot's account settings and are changed there.</Text>

      {save.status === 'error' ? (
        <Alert title="Not saved" variant="danger" testId="save-error">
          {save.message}
        </Alert>
      ) : null}
      <Button
        variant="primary"
        testId="save"
        disabled={save.status === 'saving' || Object.keys(draft).length === 0}
        onClick={() => void submit()}
      >
        {save.status === 'saving' ? 'Saving…' : 'Save'}
      </Button>
    </Flex>
  );
}
