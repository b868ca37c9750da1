import { hubspot } from '@hubspot/ui-extensions';
import { DealCard } from './components/DealCard';

// Record tab of a deal: where it stands, velocity, attribution, touches, contacts.
hubspot.extend<'crm.record.tab'>(({ context }) => (
  <DealCard dealId={String(context.crm.objectId)} fetcher={hubspot.fetch} />
));
