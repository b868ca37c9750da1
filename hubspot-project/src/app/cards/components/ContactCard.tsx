import {
  Divider,
  Flex,
  Heading,
  Statistics,
  StatisticsItem,
  StatusTag,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
} from '@hubspot/ui-extensions';
import { CARD_PATHS, contactCardResponseSchema } from '../generated/api';
import type { ContactCard as ContactCardData } from '../generated/api';
import { backendUrl } from '../generated/backend';
import { useBackend } from '../generated/client';
import type { Fetcher } from '../generated/client';
import { channelLabel, DASH, formatDate, formatMoney, formatNumber } from '../lib/format';
import { BackendError, Loading, More, PortalPending, Reason, RecordNotSynced, RecordPending } from './States';
import { TouchTimeline } from './TouchTimeline';

/** The contact card: touches and channels, lifecycle, speed to lead, days to deal, revenue. */
export function ContactCard({ contactId, fetcher }: { contactId: string; fetcher: Fetcher }) {
  const { state, retry } = useBackend(fetcher, backendUrl(CARD_PATHS.contact, { contactId }), contactCardResponseSchema);
  if (state.status === 'loading') return <Loading what="this contact's KPIs" />;
  if (state.status === 'error') return <BackendError message={state.message} onRetry={retry} />;
  if (state.status === 'not_found') return <RecordNotSynced what="contact" />;
  const data = state.data;
  if (data.state === 'portal_pending') return <PortalPending pending={data} />;
  if (data.state === 'record_pending') return <RecordPending what="contact" />;
  return <ContactDetails card={data} />;
}

function ContactDetails({ card }: { card: ContactCardData }) {
  const s = card.speedToLead;
  return (
    <Flex direction="column" gap="md">
      <Statistics>
        <StatisticsItem
          label="First touch"
          number={card.firstTouch ? channelLabel(card.firstTouch.channel) : DASH}
          testId="first-touch"
        >
          {card.firstTouch ? <Text variant="microcopy">{formatDate(card.firstTouch.at)}</Text> : null}
        </StatisticsItem>
        <StatisticsItem
          label="Latest touch"
          number={card.lastTouch ? channelLabel(card.lastTouch.channel) : DASH}
          testId="last-touch"
        >
          {card.lastTouch ? <Text variant="microcopy">{formatDate(card.lastTouch.at)}</Text> : null}
        </StatisticsItem>
        <StatisticsItem label="Speed to lead (minutes)" number={formatNumber(s.minutes.value)} testId="speed-to-lead">
          {s.withinFiveMinutes === null ? null : (
            <StatusTag variant={s.withinFiveMinutes ? 'success' : 'warning'} testId="within-five">
              {s.withinFiveMinutes ? 'Answered within 5 minutes' : 'Not answered within 5 minutes'}
            </StatusTag>
          )}
          <Reason reason={s.minutes.reason} testId="reason-speed-to-lead" />
        </StatisticsItem>
      </Statistics>
      <Statistics>
        <StatisticsItem label="Days to deal" number={formatNumber(card.daysToDeal.value)} testId="days-to-deal">
          <Reason reason={card.daysToDeal.reason} testId="reason-days-to-deal" />
        </StatisticsItem>
        <StatisticsItem label={`Won revenue (${card.wonDeals} deals)`} number={formatMoney(card.wonRevenue.value, card.currency)}>
          <Reason reason={card.wonRevenue.reason} testId="reason-won-revenue" />
        </StatisticsItem>
        <StatisticsItem label={`Open pipeline (${card.openDeals} deals)`} number={formatMoney(card.openPipeline.value, card.currency)}>
          <Reason reason={card.openPipeline.reason} testId="reason-open-pipeline" />
        </StatisticsItem>
      </Statistics>
      <Divider />
      <Heading>Lifecycle stages</Heading>
      {card.lifecycle.items.length === 0 ? (
        <Text testId="no-lifecycle">No lifecycle stage history yet.</Text>
      ) : (
        <Table bordered density="condensed" testId="lifecycle">
          <TableHead>
            <TableRow>
              <TableHeader>Stage</TableHeader>
              <TableHeader>Entered</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {card.lifecycle.items.map((e) => (
              <TableRow key={`${e.stage}-${e.enteredAt}`}>
                <TableCell>{e.label}</TableCell>
                <TableCell>{formatDate(e.enteredAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <More count={card.lifecycle.more} testId="lifecycle-more" />
      <Heading>Touches</Heading>
      <TouchTimeline touches={card.touches} showContact={false} />
      <Text variant="microcopy">Figures as of {formatDate(card.asOf)}.</Text>
    </Flex>
  );
}
