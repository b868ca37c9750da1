import { hubspot } from '@hubspot/ui-extensions';
import { ReportPages } from './components/ReportPages';

// The app's pages inside HubSpot: the six report views, routed.
hubspot.extend<'pages'>(() => <ReportPages fetcher={hubspot.fetch} />);
