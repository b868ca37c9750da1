import type { Portal } from './portal';
import type { Random } from './random';
import { SimRecord, type StoredValue } from './records';
import type { ObjectSchema } from './schema';

/**
 * Sales activities of a generated portal: calls and one-to-one emails logged by reps on the
 * contacts, with response times as sales teams have them. Per lead (clock: first form
 * conversion, else creation):
 * - some are answered within 5 minutes, many hours later, some days later, some never;
 * - a few get follow-ups (calls and emails, hours to days apart), some reply (an incoming email,
 *   which is not a sales activity), some were prospected before they converted;
 * - a few emails go to two contacts, a few activities are deleted (archived) afterwards.
 * Nothing is logged after the anchor ("now"). Drawn from `random` after everything else, so the
 * rest of the portal is the same with or without activities.
 */
export const RESPONSE_MIX = [
  ['within5', 0.18],
  ['hours', 0.42],
  ['days', 0.12],
  ['never', 0.28],
] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type ActivitySummary = { calls: number; emails: number };

const CALL_TITLES = ['Intro call', 'Discovery call', 'Follow-up call', 'Qualification call', 'Check-in'];
const EMAIL_SUBJECTS = [
  'Thanks for your interest',
  'Quick question',
  'Following up',
  'Your request',
  'Next steps',
];

class Builder {
  constructor(private readonly schema: ObjectSchema) {}

  create(id: number, createdAt: number): SimRecord {
    return new SimRecord(
      id,
      createdAt,
      createdAt,
      new Array<StoredValue | undefined>(this.schema.properties.length),
    );
  }

  set(record: SimRecord, name: string, value: StoredValue | undefined): void {
    if (value === undefined || value === '') return;
    record.values[this.schema.require(name).index] = value;
  }
}

type Draft = {
  kind: 'call' | 'email';
  at: number;
  direction: 'EMAIL' | 'INCOMING_EMAIL' | null;
  contactIds: number[];
  ownerId: string | undefined;
};

/** A delay drawn log-uniformly between `min` and `max` ms: as many minutes-late as hours-late answers. */
function logUniform(random: Random, min: number, max: number): number {
  return Math.round(Math.exp(Math.log(min) + random.next() * (Math.log(max) - Math.log(min))));
}

function firstDelay(random: Random): number | null {
  switch (random.weighted(RESPONSE_MIX)) {
    case 'within5':
      return random.int(15_000, 5 * MINUTE);
    case 'hours':
      return logUniform(random, 5 * MINUTE + 1_000, 30 * HOUR);
    case 'days':
      return logUniform(random, 30 * HOUR, 12 * DAY);
    case 'never':
      return null;
  }
}

export function populateActivities(portal: Portal, random: Random, anchor: number): ActivitySummary {
  const contacts = portal.stores.contacts.records.filter((r) => r.isActive);
  const schema = portal.schemas.contacts;
  const conversion = schema.require('first_conversion_date');
  const owner = schema.require('hubspot_owner_id');
  const activeOwners = portal.owners.filter((o) => !o.archived && o.type === 'PERSON');
  const drafts: Draft[] = [];
  for (const contact of contacts) {
    const converted = contact.values[conversion.index];
    const clock = typeof converted === 'number' ? converted : contact.createdAt;
    const ownerValue = contact.values[owner.index];
    const ownerId =
      typeof ownerValue === 'string'
        ? ownerValue
        : activeOwners.length > 0
          ? random.pick(activeOwners).id
          : undefined;
    const add = (kind: 'call' | 'email', at: number, direction: Draft['direction'] = null) => {
      if (at >= anchor) return false;
      drafts.push({
        kind,
        at,
        direction: kind === 'email' ? (direction ?? 'EMAIL') : null,
        contactIds: [contact.id],
        ownerId,
      });
      return true;
    };
    const outreach = (): 'call' | 'email' => (random.chance(0.55) ? 'call' : 'email');
    // Prospecting before the lead converted does not answer it.
    if (random.chance(0.04) && clock - contact.createdAt > DAY)
      add('email', clock - random.int(1, Math.floor((clock - contact.createdAt) / HOUR)) * HOUR);
    const delay = firstDelay(random);
    if (delay === null) continue;
    let at = clock + delay;
    if (!add(outreach(), at)) continue;
    if (random.chance(0.25)) add('email', at + logUniform(random, 10 * MINUTE, 2 * DAY), 'INCOMING_EMAIL');
    const followUps = random.weighted([
      [0, 0.45],
      [1, 0.3],
      [2, 0.15],
      [3, 0.1],
    ] as const);
    for (let i = 0; i < followUps; i++) {
      at += logUniform(random, HOUR, 6 * DAY);
      if (!add(outreach(), at)) break;
    }
  }
  // A few emails copy a colleague of the lead.
  for (const draft of drafts) {
    if (draft.kind !== 'email' || draft.direction !== 'EMAIL' || !random.chance(0.04)) continue;
    const colleague = random.pick(contacts);
    if (colleague.id !== draft.contactIds[0] && colleague.createdAt <= draft.at)
      draft.contactIds.push(colleague.id);
  }
  drafts.sort((a, b) => a.at - b.at);

  const builders = { call: new Builder(portal.schemas.calls), email: new Builder(portal.schemas.emails) };
  const summary: ActivitySummary = { calls: 0, emails: 0 };
  for (const draft of drafts) {
    const store = draft.kind === 'call' ? portal.stores.calls : portal.stores.emails;
    const b = builders[draft.kind];
    // Logged a little after it happened (the rep saves the call), never after now.
    const createdAt = Math.min(anchor - 1, draft.at + random.int(0, 120_000));
    const record = b.create(store.allocateId(random.int(1, 4)), createdAt);
    b.set(record, 'hs_timestamp', draft.at);
    b.set(record, 'hubspot_owner_id', draft.ownerId);
    if (draft.kind === 'call') {
      b.set(record, 'hs_call_title', random.pick(CALL_TITLES));
      b.set(record, 'hs_call_direction', 'OUTBOUND');
      const status = random.weighted([
        ['COMPLETED', 0.7],
        ['NO_ANSWER', 0.2],
        ['BUSY', 0.1],
      ] as const);
      b.set(record, 'hs_call_status', status);
      b.set(record, 'hs_call_duration', String(status === 'COMPLETED' ? random.int(30, 1800) * 1000 : 0));
      summary.calls++;
    } else {
      b.set(
        record,
        'hs_email_subject',
        `${draft.direction === 'INCOMING_EMAIL' ? 'Re: ' : ''}${random.pick(EMAIL_SUBJECTS)}`,
      );
      b.set(record, 'hs_email_direction', draft.direction ?? 'EMAIL');
      b.set(record, 'hs_email_status', 'SENT');
      summary.emails++;
    }
    // Deleted afterwards: kept archived, as HubSpot keeps them for 90 days.
    if (random.chance(0.01)) record.archivedAt = Math.min(anchor - 1, createdAt + random.int(1, 5) * HOUR);
    store.insert(record);
    for (const contactId of draft.contactIds)
      portal.associations.add(draft.kind === 'call' ? 'call_contact' : 'email_contact', record.id, contactId);
  }
  return summary;
}
