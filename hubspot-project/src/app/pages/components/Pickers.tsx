import { Flex, NumberInput, Select } from '@hubspot/ui-extensions';
import {
  CONVERSION_KIND_LABELS,
  CONVERSION_KINDS,
  CREDIT_MODEL_IDS,
  CREDIT_MODEL_LABELS,
  PERIOD_UNIT_IDS,
  PERIOD_UNIT_LABELS,
} from '../generated/reports';
import type { ReportContext, ReportPickers, ReportViewName } from '../generated/reports';
import { VIEW_PICKERS } from '../lib/pickers';
import type { PickerId } from '../lib/pickers';

/**
 * "All owners", which the URL and the backend say by leaving the owner out. Not '': HubSpot's
 * Select treats a falsy value as nothing chosen (its documented example tests `!value`), so an
 * option whose value is '' would not show as the chosen one.
 */
const ALL = '__all__';

/** What an absent picker means while the backend has not said yet (the others: its last answer). */
const ABSENT: Partial<Record<PickerId, string>> = { owner: ALL, by: 'source' };

/**
 * The pickers of a view. Values shown are what the backend applied (the context), so a default
 * (the latest period, the first pipeline) shows as chosen; options come from the same context.
 * While a choice loads (`updating`) they show the choices in the URL, read-only.
 */
export function Pickers({
  view,
  context,
  pickers,
  updating,
  onChoose,
}: {
  view: ReportViewName;
  context: ReportContext;
  pickers: ReportPickers;
  updating: boolean;
  onChoose: (id: PickerId, value: string) => void;
}) {
  const shown = new Set(VIEW_PICKERS[view]);
  const select = (id: PickerId, label: string, applied: string, options: { label: string; value: string }[]) => (
    <Select
      key={id}
      name={id}
      label={label}
      testId={`picker-${id}`}
      value={updating ? (pickers[id] ?? ABSENT[id] ?? applied) : applied}
      readOnly={updating}
      options={options}
      onChange={(v) => onChoose(id, v === ALL ? '' : String(v))}
    />
  );
  return (
    <Flex direction="row" gap="sm" wrap="wrap" testId="pickers">
      {shown.has('unit') &&
        select(
          'unit',
          'Period unit',
          context.unit,
          PERIOD_UNIT_IDS.map((u) => ({ label: PERIOD_UNIT_LABELS[u], value: u })),
        )}
      {shown.has('period') &&
        context.periods.length > 0 &&
        select(
          'period',
          'Period',
          context.period?.label ?? '',
          [...context.periods].reverse().map((p) => ({ label: p.label, value: p.label })),
        )}
      {shown.has('pipeline') &&
        context.pipelines.length > 0 &&
        select(
          'pipeline',
          'Pipeline',
          context.pipeline?.id ?? '',
          context.pipelines.map((p) => ({ label: p.label, value: p.id })),
        )}
      {shown.has('owner') &&
        select('owner', 'Owner', context.owner?.id ?? ALL, [
          { label: 'All owners', value: ALL },
          ...context.owners.map((o) => ({ label: o.label, value: o.id })),
        ])}
      {shown.has('by') &&
        select('by', 'Breakdown', context.bySource ? 'source' : 'none', [
          { label: 'By source', value: 'source' },
          { label: 'No breakdown', value: 'none' },
        ])}
      {shown.has('kind') &&
        select(
          'kind',
          'Conversion',
          context.kind,
          CONVERSION_KINDS.map((k) => ({ label: CONVERSION_KIND_LABELS[k], value: k })),
        )}
      {shown.has('model') &&
        select(
          'model',
          'Model',
          context.model,
          CREDIT_MODEL_IDS.map((m) => ({ label: CREDIT_MODEL_LABELS[m], value: m })),
        )}
      {shown.has('target') && (
        <NumberInput
          name="target"
          label={`Target revenue${context.currency ? ` (${context.currency})` : ''}`}
          testId="picker-target"
          min={1}
          value={pickers.target ? Number(pickers.target) : undefined}
          placeholder="1,000,000"
          // The SDK's onChange fires when the value is committed (blur or form submit), not per
          // keystroke (that is onInput): each choice is a new request. onBlur would also fire
          // when the field is only tabbed through.
          onChange={(v) => onChoose('target', Number.isFinite(v) && v > 0 ? String(v) : '')}
        />
      )}
    </Flex>
  );
}
