import { hubspot } from '@hubspot/ui-extensions';
import { Settings } from './components/Settings';

// The app's settings page inside HubSpot.
hubspot.extend<'settings'>(() => <Settings fetcher={hubspot.fetch} />);
