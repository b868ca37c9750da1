import { EmptyState, Table, TableBody, TableCell, TableHead, TableHeader, TableRow, Tag, Text } from '@hubspot/ui-extensions';
import type { CardTouch, TouchRole } from '../generated/api';
import { channelLabel, formatDate } from '../lib/format';
import { More } from './States';

const ROLE_LABELS: Record<TouchRole, string> = {
  first: 'First touch',
  lead_creation: 'Lead creation',
  deal_creation: 'Deal creation',
  closed_won: 'Closed won',
  last: 'Latest touch',
};

/** A record's touches in time order, key touches tagged; capped lists end with "and N more". */
export function TouchTimeline({ touches, showContact }: { touches: { items: CardTouch[]; more: number }; showContact: boolean }) {
  if (touches.items.length === 0)
    return (
      <EmptyState title="No touches recorded" layout="horizontal" imageName="contacts" testId="no-touches">
        <Text>No marketing interaction is known for {showContact ? "this deal's contacts" : 'this contact'} yet.</Text>
      </EmptyState>
    );
  return (
    <>
      <Table bordered density="condensed" testId="touch-timeline">
        <TableHead>
          <TableRow>
            <TableHeader>Date</TableHeader>
            <TableHeader>Channel</TableHeader>
            <TableHeader>Interaction</TableHeader>
            {showContact ? <TableHeader>Contact</TableHeader> : null}
            <TableHeader>Key touch</TableHeader>
          </TableRow>
        </TableHead>
        <TableBody>
          {touches.items.map((t) => (
            <TableRow key={t.id}>
              <TableCell>{formatDate(t.at)}</TableCell>
              <TableCell>{channelLabel(t.channel)}</TableCell>
              <TableCell>{t.kind}</TableCell>
              {showContact ? <TableCell>{t.contactId}</TableCell> : null}
              <TableCell>
                {t.roles.map((r) => (
                  <Tag key={r} variant="info" testId={`role-${r}`}>
                    {ROLE_LABELS[r]}
                  </Tag>
                ))}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <More count={touches.more} testId="touches-more" />
    </>
  );
}
