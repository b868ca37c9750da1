import { ASSOCIATION_TYPES, type ObjectTypeName } from './catalog';

/**
 * Deal↔contact and meeting↔contact associations, kept in both directions so
 * that a v4 batch read from either side is a map lookup.
 */
export const ASSOCIATION_KINDS = [
  'deal_contact',
  'meeting_contact',
  'call_contact',
  'email_contact',
] as const;
export type AssociationKind = (typeof ASSOCIATION_KINDS)[number];

export type AssociationDirection = {
  kind: AssociationKind;
  /** True when `from` is the contact side. */
  fromIsContact: boolean;
  typeId: number;
  /** The label webhooks use, e.g. CONTACT_TO_DEAL. */
  webhookType: string;
};

export function findAssociationDirection(
  from: ObjectTypeName,
  to: ObjectTypeName,
): AssociationDirection | undefined {
  if (from === 'deals' && to === 'contacts')
    return {
      kind: 'deal_contact',
      fromIsContact: false,
      typeId: ASSOCIATION_TYPES.dealToContact,
      webhookType: 'DEAL_TO_CONTACT',
    };
  if (from === 'contacts' && to === 'deals')
    return {
      kind: 'deal_contact',
      fromIsContact: true,
      typeId: ASSOCIATION_TYPES.contactToDeal,
      webhookType: 'CONTACT_TO_DEAL',
    };
  if (from === 'meetings' && to === 'contacts')
    return {
      kind: 'meeting_contact',
      fromIsContact: false,
      typeId: ASSOCIATION_TYPES.meetingToContact,
      webhookType: 'MEETING_EVENT_TO_CONTACT',
    };
  if (from === 'contacts' && to === 'meetings')
    return {
      kind: 'meeting_contact',
      fromIsContact: true,
      typeId: ASSOCIATION_TYPES.contactToMeeting,
      webhookType: 'CONTACT_TO_MEETING_EVENT',
    };
  for (const [type, kind, toContact, fromContact, label] of [
    ['calls', 'call_contact', ASSOCIATION_TYPES.callToContact, ASSOCIATION_TYPES.contactToCall, 'CALL'],
    ['emails', 'email_contact', ASSOCIATION_TYPES.emailToContact, ASSOCIATION_TYPES.contactToEmail, 'EMAIL'],
  ] as const) {
    if (from === type && to === 'contacts')
      return { kind, fromIsContact: false, typeId: toContact, webhookType: `${label}_TO_CONTACT` };
    if (from === 'contacts' && to === type)
      return { kind, fromIsContact: true, typeId: fromContact, webhookType: `CONTACT_TO_${label}` };
  }
  return undefined;
}

class Links {
  /** other object id → contact ids */
  readonly toContacts = new Map<number, number[]>();
  /** contact id → other object ids */
  readonly fromContacts = new Map<number, number[]>();

  add(otherId: number, contactId: number): boolean {
    const contacts = this.toContacts.get(otherId);
    if (contacts?.includes(contactId)) return false;
    if (contacts) contacts.push(contactId);
    else this.toContacts.set(otherId, [contactId]);
    const others = this.fromContacts.get(contactId);
    if (others) others.push(otherId);
    else this.fromContacts.set(contactId, [otherId]);
    return true;
  }

  remove(otherId: number, contactId: number): boolean {
    const contacts = this.toContacts.get(otherId);
    const at = contacts ? contacts.indexOf(contactId) : -1;
    if (!contacts || at < 0) return false;
    contacts.splice(at, 1);
    if (contacts.length === 0) this.toContacts.delete(otherId);
    const others = this.fromContacts.get(contactId);
    if (others) {
      const i = others.indexOf(otherId);
      if (i >= 0) others.splice(i, 1);
      if (others.length === 0) this.fromContacts.delete(contactId);
    }
    return true;
  }
}

export class AssociationStore {
  private readonly links: Record<AssociationKind, Links> = {
    deal_contact: new Links(),
    meeting_contact: new Links(),
    call_contact: new Links(),
    email_contact: new Links(),
  };
  /** Bumped on every change; search caches key on it (filters on associations.contact). */
  version = 0;

  add(kind: AssociationKind, otherId: number, contactId: number): boolean {
    const added = this.links[kind].add(otherId, contactId);
    if (added) this.version++;
    return added;
  }

  remove(kind: AssociationKind, otherId: number, contactId: number): boolean {
    const removed = this.links[kind].remove(otherId, contactId);
    if (removed) this.version++;
    return removed;
  }

  /** Ids associated with `fromId` in the given direction (a copy). */
  read(direction: AssociationDirection, fromId: number): number[] {
    const links = this.links[direction.kind];
    const ids = direction.fromIsContact ? links.fromContacts.get(fromId) : links.toContacts.get(fromId);
    return ids ? [...ids] : [];
  }

  contactsOf(kind: AssociationKind, otherId: number): readonly number[] {
    return this.links[kind].toContacts.get(otherId) ?? [];
  }

  othersOfContact(kind: AssociationKind, contactId: number): readonly number[] {
    return this.links[kind].fromContacts.get(contactId) ?? [];
  }

  /** Every pair as [otherId, contactId], ordered by other id. */
  pairs(kind: AssociationKind): [number, number][] {
    const out: [number, number][] = [];
    const entries = [...this.links[kind].toContacts.entries()].sort((a, b) => a[0] - b[0]);
    for (const [otherId, contacts] of entries)
      for (const contactId of contacts) out.push([otherId, contactId]);
    return out;
  }

  count(kind: AssociationKind): number {
    let n = 0;
    for (const contacts of this.links[kind].toContacts.values()) n += contacts.length;
    return n;
  }
}
