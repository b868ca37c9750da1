import { Alert, Button, EmptyState, ErrorState, LoadingSpinner, Text } from '@hubspot/ui-extensions';
import type { z } from 'zod';
import type { portalPendingSchema } from '../generated/api';
import { formatNumber } from '../lib/format';

/** The states every card shares before it has figures to show. */

export function Loading({ what }: { what: string }) {
  return <LoadingSpinner label={`Loading ${what}`} showLabel testId="loading" />;
}

export function BackendError({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <ErrorState title="KPI Bridge could not load its figures" testId="backend-error">
      <Text>{message}</Text>
      <Button onClick={onRetry} testId="retry">
        Try again
      </Button>
    </ErrorState>
  );
}

/** A 404: the record is not synced yet (or belongs to no installed portal we know). */
export function RecordNotSynced({ what }: { what: string }) {
  return (
    <EmptyState title={`This ${what} is not in KPI Bridge yet`} imageName="building" testId="record-not-synced">
      <Text>New records appear within a few minutes of being created in HubSpot.</Text>
    </EmptyState>
  );
}

export function RecordPending({ what }: { what: string }) {
  return (
    <Alert title={`New ${what}`} variant="info" testId="record-pending">
      KPI Bridge has synced this {what}; its figures arrive with the next computation, within a few minutes.
    </Alert>
  );
}

export function PortalPending({ pending }: { pending: z.infer<typeof portalPendingSchema> }) {
  if (pending.phase === 'sync')
    return (
      <Alert title="KPI Bridge is reading your CRM" variant="info" testId="portal-pending">
        The first sync is running
        {pending.recordsSynced === null ? '' : `: ${formatNumber(pending.recordsSynced, 0)} records synced so far`}. Figures
        appear when it and the first computation are done.
      </Alert>
    );
  return (
    <Alert title="KPI Bridge is computing your figures" variant="info" testId="portal-pending">
      The first sync is done{pending.kpiStartedAt ? `; the computation started at ${pending.kpiStartedAt.slice(11, 16)} UTC` : ''}.
      Figures appear here when it finishes.
    </Alert>
  );
}

/** "and N more" under a capped list. */
export function More({ count, testId }: { count: number; testId: string }) {
  if (count === 0) return null;
  return (
    <Text variant="microcopy" testId={testId}>
      and {formatNumber(count, 0)} more
    </Text>
  );
}

/** The reason an unknown figure is unknown, under it. */
export function Reason({ reason, testId }: { reason: string | null; testId: string }) {
  if (!reason) return null;
  return (
    <Text variant="microcopy" testId={testId}>
      Unknown: {reason}
    </Text>
  );
}
