import { Alert, Button, Divider, EmptyState, Flex, Link, LoadingSpinner, Text } from '@hubspot/ui-extensions';
import { createPageRouter, PageHeader, PageLink, PageRoutes, usePageRoute } from '@hubspot/ui-extensions/pages';
import type { PageRoutesLayoutProps } from '@hubspot/ui-extensions/pages';
import { useEffect, useRef, useState } from 'react';
import type { ComponentType } from 'react';
import { REPORT_API_PATHS, REPORT_VIEW_TITLES, REPORT_VIEWS, reportLinkSchema } from '../generated/reports';
import type { ReportViewName } from '../generated/reports';
import { backendUrl } from '../generated/backend';
import { callBackend } from '../generated/client';
import type { Fetcher } from '../generated/client';
import { isView, pickersOf, viewPath, viewQuery } from '../lib/pickers';
import { FetcherContext, useFetcher } from './fetcher';
import { ViewPage } from './ViewPage';

/**
 * KPI Bridge's app pages: the six report views as routed pages (`/overview`, `/attribution`, …;
 * the app's home is the overview), a navigation between them that keeps the pickers, and the
 * "Open full report" action that opens the web report of the same view.
 */
export function ReportPages({ fetcher }: { fetcher: Fetcher }) {
  return (
    <FetcherContext.Provider value={fetcher}>
      <PageRouter />
    </FetcherContext.Provider>
  );
}

// Route components take no props: one component per view, made once.
function pageOf(view: ReportViewName): ComponentType {
  const Page = () => <ViewPage view={view} />;
  Page.displayName = `${REPORT_VIEW_TITLES[view].replace(/ /g, '')}Page`;
  return Page;
}
const VIEW_PAGES: Record<ReportViewName, ComponentType> = {
  overview: pageOf('overview'),
  attribution: pageOf('attribution'),
  funnel: pageOf('funnel'),
  pipeline: pageOf('pipeline'),
  lifecycle: pageOf('lifecycle'),
  'speed-to-lead': pageOf('speed-to-lead'),
};

const HOME_ROUTE = 'home';

const PageRouter = createPageRouter(
  <PageRoutes layoutComponent={ReportLayout}>
    <PageRoutes.IndexRoute component={VIEW_PAGES.overview} id={HOME_ROUTE} />
    {REPORT_VIEWS.map((view) => (
      <PageRoutes.Route key={view} path={viewPath(view)} component={VIEW_PAGES[view]} id={view} />
    ))}
    <PageRoutes.AnyRoute component={NotFound} id="not-found" />
  </PageRoutes>,
);

/** The view of the current route (the home page is the overview); undefined on an unknown path. */
function useCurrentView(): ReportViewName | undefined {
  const { routeId } = usePageRoute();
  return routeId === HOME_ROUTE ? 'overview' : isView(routeId) ? routeId : undefined;
}

function ReportLayout({ children }: PageRoutesLayoutProps) {
  const view = useCurrentView();
  const pickers = pickersOf(usePageRoute().params);
  const link = useFullReportLink(view, viewQuery(view ?? 'overview', pickers));
  return (
    <Flex direction="column" gap="md">
      {/* One header for every page, never added or removed (as HubSpot recommends). */}
      <PageHeader>
        <PageHeader.PrimaryAction>
          <PageHeader.Link
            onClick={() => void link.request()}
            disabled={view === undefined || link.state.status === 'minting'}
            testId="open-full-report"
          >
            Open full report
          </PageHeader.Link>
        </PageHeader.PrimaryAction>
      </PageHeader>
      <Flex direction="row" gap="md" wrap="wrap" testId="view-nav">
        {REPORT_VIEWS.map((v) =>
          v === view ? (
            <Text key={v} format={{ fontWeight: 'bold' }} testId={`nav-${v}`}>
              {REPORT_VIEW_TITLES[v]}
            </Text>
          ) : (
            <PageLink key={v} to={viewPath(v)} params={pickers as Record<string, string>} testId={`nav-${v}`}>
              {REPORT_VIEW_TITLES[v]}
            </PageLink>
          ),
        )}
      </Flex>
      <FullReportNotice link={link} />
      <Divider />
      {children}
    </Flex>
  );
}

/**
 * How long a minted link is offered: it is valid 60 s from minting on the server. Timed here from
 * its arrival rather than from its `expiresAt`, which a browser with a skewed clock would misread.
 */
export const LINK_SHOWN_MS = 55_000;

type LinkState =
  | { status: 'idle' }
  | { status: 'minting' }
  | { status: 'ready'; url: string; view: ReportViewName }
  | { status: 'error'; message: string };

/**
 * "Open full report": asks the backend (signed hubspot.fetch) for a one-time link to the web
 * report of this view with these pickers. The link opens once, within 60 seconds, so it is asked
 * for on the click and dropped when it expires or the view or pickers change. HubSpot gives app
 * pages no action that opens an outside URL by itself: the link is then offered as a Link with
 * an external href, which HubSpot opens in a new tab.
 */
function useFullReportLink(view: ReportViewName | undefined, params: Record<string, string>) {
  const fetcher = useFetcher();
  const [state, setState] = useState<LinkState>({ status: 'idle' });
  const key = `${view}?${new URLSearchParams(params).toString()}`;
  // A link answered after the view or pickers changed is for what the user no longer sees.
  const currentKey = useRef(key);
  currentKey.current = key;
  useEffect(() => setState({ status: 'idle' }), [key]);
  useEffect(() => {
    if (state.status !== 'ready') return;
    const timer = setTimeout(() => setState({ status: 'idle' }), LINK_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [state]);

  async function request() {
    if (view === undefined) return;
    const asked = key;
    setState({ status: 'minting' });
    const result = await callBackend(fetcher, backendUrl(REPORT_API_PATHS.link), reportLinkSchema, {
      method: 'POST',
      body: { view, params },
    });
    if (currentKey.current !== asked) return;
    if (result.status !== 'ok') return setState({ status: 'error', message: result.message });
    setState({ status: 'ready', url: result.data.url, view });
  }
  /** The link opens once: after a click on it, "Open full report" asks for a new one. */
  const used = () => setState({ status: 'idle' });
  return { state, request, used };
}

function FullReportNotice({ link }: { link: ReturnType<typeof useFullReportLink> }) {
  const { state } = link;
  if (state.status === 'idle') return null;
  if (state.status === 'minting')
    return <LoadingSpinner label="Preparing a link to the full report" showLabel testId="full-report-minting" />;
  if (state.status === 'error')
    return (
      <Alert title="The full report could not be opened" variant="danger" testId="full-report-error">
        <Text>{state.message}</Text>
        <Button onClick={() => void link.request()} testId="full-report-retry">
          Try again
        </Button>
      </Alert>
    );
  return (
    <Alert title="Your full report is ready" variant="success" testId="full-report-ready">
      <Link href={{ url: state.url, external: true }} onClick={link.used} testId="full-report-link">
        Open the {REPORT_VIEW_TITLES[state.view]} report in a new tab
      </Link>
      <Text variant="microcopy">
        With drill-down to the records, CSV export and printing. For your security the link opens once, within 60
        seconds; ask again after that.
      </Text>
    </Alert>
  );
}

function NotFound() {
  return (
    <EmptyState title="There is no such report" imageName="emptyStateCharts" testId="not-found">
      <Text>Choose one of the six reports above.</Text>
    </EmptyState>
  );
}
