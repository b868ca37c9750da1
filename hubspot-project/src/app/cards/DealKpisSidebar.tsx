import { hubspot } from '@hubspot/ui-extensions';
import { DealCard } from './components/DealCard';

// Sidebar of a deal: the compact view (stage timing, stuck flag, top channel).
hubspot.extend<'crm.record.sidebar'>(({ context }) => (
  <DealCard dealId={String(context.crm.objectId)} fetcher={hubspot.fetch} compact />
));
