import {
  BarChart,
  Divider,
  Flex,
  Heading,
  Statistics,
  StatisticsItem,
  StatisticsTrend,
  StatusTag,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
} from '@hubspot/ui-extensions';
import {
  ATTRIBUTION_MODEL_IDS,
  CARD_PATHS,
  dealCardResponseSchema,
  MODEL_LABELS,
} from '../generated/api';
import type { DealCard as DealCardData, Figure } from '../generated/api';
import { backendUrl } from '../generated/backend';
import { useBackend } from '../generated/client';
import type { Fetcher } from '../generated/client';
import { channelLabel, DASH, formatDate, formatMoney, formatNumber, formatPercent } from '../lib/format';
import { BackendError, Loading, More, PortalPending, Reason, RecordNotSynced, RecordPending } from './States';
import { TouchTimeline } from './TouchTimeline';

const FACTOR_LABELS = {
  qualified_opportunities: 'Qualified opportunities',
  win_rate: 'Win rate',
  average_won_deal_size: 'Average won deal',
  sales_cycle_days: 'Sales cycle (days)',
} as const;

/** The deal card: record tab (full) or sidebar (`compact`: where the deal stands, top channel). */
export function DealCard({ dealId, fetcher, compact = false }: { dealId: string; fetcher: Fetcher; compact?: boolean }) {
  const { state, retry } = useBackend(fetcher, backendUrl(CARD_PATHS.deal, { dealId }), dealCardResponseSchema);
  if (state.status === 'loading') return <Loading what="this deal's KPIs" />;
  if (state.status === 'error') return <BackendError message={state.message} onRetry={retry} />;
  if (state.status === 'not_found') return <RecordNotSynced what="deal" />;
  const data = state.data;
  if (data.state === 'portal_pending') return <PortalPending pending={data} />;
  if (data.state === 'record_pending') return <RecordPending what="deal" />;
  return compact ? <DealSummary card={data} /> : <DealDetails card={data} />;
}

function StageTiming({ card }: { card: DealCardData }) {
  const t = card.timing;
  return (
    <>
      <Statistics>
        <StatisticsItem label={`Days in ${card.deal.stage.label}`} number={formatNumber(t.daysInStage.value)} testId="days-in-stage">
          <Reason reason={t.daysInStage.reason} testId="reason-days-in-stage" />
        </StatisticsItem>
        <StatisticsItem label="Pipeline median for this stage" number={formatNumber(t.stageMedianDays.value)}>
          <Reason reason={t.stageMedianDays.reason} testId="reason-stage-median" />
        </StatisticsItem>
        <StatisticsItem label="Deal age (days)" number={formatNumber(t.ageDays)}>
          <Text variant="microcopy">Sales cycle of the pipeline: {formatNumber(t.salesCycleDays.value)} days</Text>
          <Reason reason={t.salesCycleDays.reason} testId="reason-sales-cycle" />
        </StatisticsItem>
      </Statistics>
      {t.stuck ? (
        <StatusTag variant="danger" testId="stuck">
          Stuck: longer in this stage than the pipeline's median
        </StatusTag>
      ) : null}
    </>
  );
}

function trend(change: Figure, lowerIsBetter = false) {
  if (change.value === null || change.value === 0) return null;
  const good = lowerIsBetter ? change.value < 0 : change.value > 0;
  return (
    <StatisticsTrend
      direction={change.value > 0 ? 'increase' : 'decrease'}
      value={formatPercent(Math.abs(change.value))}
      color={good ? 'green' : 'red'}
    />
  );
}

function Velocity({ card }: { card: DealCardData }) {
  const v = card.velocity;
  const format = (key: keyof typeof FACTOR_LABELS, value: number | null) =>
    key === 'win_rate' ? formatPercent(value) : key === 'average_won_deal_size' ? formatMoney(value, card.currency) : formatNumber(value);
  return (
    <>
      <Heading>Pipeline velocity {v.periodLabel ? `(${v.periodLabel})` : ''}</Heading>
      <Statistics>
        <StatisticsItem label="Velocity per day" number={formatMoney(v.value.value, card.currency)} testId="velocity">
          {trend(v.changeRelative)}
          <Reason reason={v.value.reason} testId="reason-velocity" />
        </StatisticsItem>
        {v.factors.map((f) => (
          <StatisticsItem key={f.key} label={FACTOR_LABELS[f.key]} number={format(f.key, f.value.value)}>
            {trend(f.changeRelative, f.key === 'sales_cycle_days')}
          </StatisticsItem>
        ))}
      </Statistics>
      {v.movedAgainst ? (
        <Text testId="moved-against">Against the previous period, velocity was pulled down most by: {FACTOR_LABELS[v.movedAgainst]}.</Text>
      ) : null}
    </>
  );
}

function Attribution({ card }: { card: DealCardData }) {
  const a = card.attribution;
  if (a.kind === 'none')
    return (
      <Text testId="attribution-none">
        No attribution yet: {a.reason}.
      </Text>
    );
  const byModel = new Map(a.models.map((m) => [m.model, new Map(m.channels.map((c) => [c.channel, c.credit]))]));
  const defaultSplit = a.models.find((m) => m.model === a.defaultModel)?.channels ?? [];
  const channels = [...new Set(a.models.flatMap((m) => m.channels.map((c) => c.channel)))].sort();
  const models = ATTRIBUTION_MODEL_IDS.filter((m) => byModel.has(m));
  const money = a.kind === 'revenue';
  const show = (v: number | undefined) => (v === undefined ? DASH : money ? formatMoney(v, card.currency) : formatNumber(v, 2));
  return (
    <>
      <Heading>
        Attribution ({money ? `revenue ${formatMoney(a.value, card.currency)}` : 'deal creation'}), {MODEL_LABELS[a.defaultModel]}
      </Heading>
      <BarChart
        testId="attribution-chart"
        data={defaultSplit.map((c) => ({ channel: channelLabel(c.channel), credit: c.credit }))}
        axes={{
          x: { field: 'channel', fieldType: 'category', label: 'Channel' },
          // The SDK's charts print values as given, with no number format: the label says the unit.
          y: {
            field: 'credit',
            fieldType: 'linear',
            label: money ? `Credit${card.currency ? ` (${card.currency})` : ''}` : 'Credit (share of the deal)',
          },
        }}
        options={{ showDataLabels: true }}
      />
      <Table bordered density="condensed" testId="attribution-models">
        <TableHead>
          <TableRow>
            <TableHeader>Channel</TableHeader>
            {models.map((m) => (
              <TableHeader key={m}>{MODEL_LABELS[m]}</TableHeader>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {channels.map((channel) => (
            <TableRow key={channel}>
              <TableCell>{channelLabel(channel)}</TableCell>
              {models.map((m) => (
                <TableCell key={m}>{show(byModel.get(m)?.get(channel))}</TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}

function Contacts({ card }: { card: DealCardData }) {
  if (card.contacts.items.length === 0) return <Text testId="no-contacts">This deal has no associated contacts.</Text>;
  return (
    <>
      <Table bordered density="condensed" testId="deal-contacts">
        <TableHead>
          <TableRow>
            <TableHeader>Contact</TableHeader>
            <TableHeader>Speed to lead (minutes)</TableHeader>
            <TableHeader>Within 5 minutes</TableHeader>
          </TableRow>
        </TableHead>
        <TableBody>
          {card.contacts.items.map((c) => (
            <TableRow key={c.id}>
              <TableCell>{c.email ?? c.id}</TableCell>
              <TableCell>
                {c.minutesToFirstActivity.value === null ? `${DASH} (${c.minutesToFirstActivity.reason})` : formatNumber(c.minutesToFirstActivity.value)}
              </TableCell>
              <TableCell>{c.withinFiveMinutes === null ? DASH : c.withinFiveMinutes ? 'Yes' : 'No'}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <More count={card.contacts.more} testId="contacts-more" />
    </>
  );
}

function DealDetails({ card }: { card: DealCardData }) {
  return (
    <Flex direction="column" gap="md">
      <StageTiming card={card} />
      <Divider />
      <Velocity card={card} />
      <Divider />
      <Attribution card={card} />
      <Heading>Touches of this deal's contacts</Heading>
      <TouchTimeline touches={card.touches} showContact />
      <Heading>Contacts</Heading>
      <Contacts card={card} />
      <Text variant="microcopy">Figures as of {formatDate(card.asOf)}.</Text>
    </Flex>
  );
}

function DealSummary({ card }: { card: DealCardData }) {
  const a = card.attribution;
  const top = a.kind === 'none' ? undefined : a.models.find((m) => m.model === a.defaultModel)?.channels[0];
  return (
    <Flex direction="column" gap="sm">
      <StageTiming card={card} />
      {top && a.kind !== 'none' ? (
        <Text testId="top-channel">
          Top channel ({MODEL_LABELS[a.defaultModel]}): {channelLabel(top.channel)}
        </Text>
      ) : null}
    </Flex>
  );
}
