import { Divider, Flex, LoadingSpinner, Text, useExtensionActions } from '@hubspot/ui-extensions';
import { PageTitle, usePageRoute } from '@hubspot/ui-extensions/pages';
import { useEffect, useState } from 'react';
import { CREDIT_MODEL_LABELS, REPORT_API_PATHS, REPORT_VIEW_TITLES, reportViewResponseSchema } from '../generated/reports';
import type { ReportContext, ReportViewData, ReportViewName } from '../generated/reports';
import { backendUrl } from '../generated/backend';
import { useBackend } from '../generated/client';
import { describePeriod, formatInstant } from '../lib/format';
import { choose, pickersOf, viewPath, viewQuery } from '../lib/pickers';
import type { PickerId } from '../lib/pickers';
import { useFetcher } from './fetcher';
import { Pickers } from './Pickers';
import { ReportSection } from './ReportSection';
import { BackendError, FirstRunPending, Loading, NoFigures } from './States';

/**
 * One report view: its pickers (from the page URL), its figures from the signed JSON API, and
 * every state before them. A picker change navigates to the same page with new parameters; the
 * new URL is a new request, while the previous figures' pickers stay on screen.
 */
export function ViewPage({ view }: { view: ReportViewName }) {
  const fetcher = useFetcher();
  const actions = useExtensionActions<'pages'>();
  const pickers = pickersOf(usePageRoute().params);
  const url = backendUrl(REPORT_API_PATHS.view(view), viewQuery(view, pickers));
  const { state, retry } = useBackend(fetcher, url, reportViewResponseSchema);
  // The last figures of this view, so that pickers stay while a new choice loads.
  const [shown, setShown] = useState<ReportViewData | null>(null);
  useEffect(() => {
    if (state.status === 'ok' && state.data.state === 'ready') setShown(state.data);
  }, [state]);

  const onChoose = (id: PickerId, value: string) =>
    actions.navigateToPage({ to: viewPath(view), params: choose(pickers, id, value) as Record<string, string> });

  const title = REPORT_VIEW_TITLES[view];
  let body;
  if (state.status === 'loading')
    body = shown ? (
      <LoadingSpinner label="Updating the figures" showLabel testId="updating" />
    ) : (
      <Loading what={`the ${title.toLowerCase()} report`} />
    );
  else if (state.status !== 'ok') body = <BackendError message={state.message} onRetry={retry} />;
  else if (state.data.state === 'portal_pending') body = <FirstRunPending pending={state.data} />;
  else body = <Figures data={state.data} />;

  const context = state.status === 'ok' && state.data.state === 'ready' ? state.data.context : shown?.context;
  return (
    <Flex direction="column" gap="md">
      <PageTitle>{`${title} · KPI Bridge`}</PageTitle>
      {context ? (
        <>
          <Pickers
            view={view}
            context={context}
            pickers={pickers}
            updating={state.status === 'loading'}
            onChoose={onChoose}
          />
          <About view={view} context={context} />
          <Divider />
        </>
      ) : null}
      {body}
    </Flex>
  );
}

/** What every figure on the page is about: period, pipeline, owners, model, the run's instant. */
function About({ view, context }: { view: ReportViewName; context: ReportContext }) {
  const parts = [describePeriod(context)];
  if (view === 'overview' || view === 'attribution' || view === 'pipeline')
    parts.push(context.pipeline ? `pipeline ${context.pipeline.label}` : 'no pipeline');
  parts.push(context.owner ? `owner ${context.owner.label}` : 'all owners');
  if (view === 'attribution') parts.push(`model ${CREDIT_MODEL_LABELS[context.model]}`);
  if (context.currency) parts.push(`money in ${context.currency}`);
  return (
    <Text variant="microcopy" testId="about">
      {parts.join(' · ')}
      {context.asOf ? ` · figures as of ${formatInstant(context.asOf)}` : ''}. Each table says the population it counts.
    </Text>
  );
}

function Figures({ data }: { data: ReportViewData }) {
  const empty = data.sections.every((s) => s.tables.every((t) => t.rows.length === 0));
  if (empty) return <NoFigures what={`${data.title.toLowerCase()} in ${describePeriod(data.context)}`} />;
  return (
    <Flex direction="column" gap="lg">
      {data.sections.map((section) => (
        <ReportSection key={section.id} section={section} currency={data.context.currency} />
      ))}
    </Flex>
  );
}
