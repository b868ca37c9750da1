import { hubspot } from '@hubspot/ui-extensions';
import { ContactCard } from './components/ContactCard';

// Record tab of a contact: touches, lifecycle, speed to lead, days to deal, revenue.
hubspot.extend<'crm.record.tab'>(({ context }) => (
  <ContactCard contactId={String(context.crm.objectId)} fetcher={hubspot.fetch} />
));
