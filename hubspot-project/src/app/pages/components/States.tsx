import { Alert, Button, EmptyState, ErrorState, LoadingSpinner, Text } from '@hubspot/ui-extensions';
import type { ReportPending } from '../generated/reports';

/** The states of a report page before (or instead of) its figures. */

export function Loading({ what }: { what: string }) {
  return <LoadingSpinner label={`Loading ${what}`} showLabel testId="loading" />;
}

export function BackendError({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <ErrorState title="KPI Bridge could not load this report" testId="backend-error">
      <Text>{message}</Text>
      <Button onClick={onRetry} testId="retry">
        Try again
      </Button>
    </ErrorState>
  );
}

/** Installed, but the first sync or the first KPI run has not finished: nothing to show yet. */
export function FirstRunPending({ pending }: { pending: ReportPending }) {
  if (pending.phase === 'sync')
    return (
      <Alert title="KPI Bridge is reading your CRM" variant="info" testId="portal-pending">
        The first sync is running
        {pending.recordsSynced === null
          ? ''
          : `: ${new Intl.NumberFormat('en-US').format(pending.recordsSynced)} records synced so far`}
        . The reports appear when it and the first computation are done.
      </Alert>
    );
  return (
    <Alert title="KPI Bridge is computing your figures" variant="info" testId="portal-pending">
      The first sync is done
      {pending.kpiStartedAt ? `; the computation started at ${pending.kpiStartedAt.slice(11, 16)} UTC` : ''}. The
      reports appear here when it finishes.
    </Alert>
  );
}

/** A view whose tables are all empty for the chosen pickers. */
export function NoFigures({ what }: { what: string }) {
  return (
    <EmptyState title="No figures for this selection" imageName="emptyStateCharts" testId="no-figures">
      <Text>
        The latest KPI run stored nothing for {what}. Choose another period, unit or pipeline; new records count from
        the next run.
      </Text>
    </EmptyState>
  );
}
