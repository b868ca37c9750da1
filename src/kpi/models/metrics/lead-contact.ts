/**
 * The one contact that stands for a deal or a meeting with several contacts (spec: "Key touches and
 * edge cases"): its *lead contact*, the associated contact created first, ties broken by the lowest
 * id. It decides a deal's lead-creation touch, the customer of a won deal for CLV, a deal's source
 * when the deal has none, and the booking contact of a meeting.
 */

import type { RecordId } from './types';

/** What the rule needs of a contact. */
export interface LeadContactCandidate {
  readonly id: RecordId;
  readonly createdAt: number;
  readonly deleted?: boolean;
}

/**
 * Orders two record ids as numbers when both are numeric (HubSpot ids: "9" before "10"), else by
 * code units, so that "lowest id" means the same here as in Postgres' bigint order.
 */
export function compareRecordIds(a: RecordId, b: RecordId): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) {
    if (a.length !== b.length) return a.length - b.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The lead contact among `contactIds`: of those found live in `contacts`, the one created first,
 * ties broken by the lowest id. Associated ids that are unknown or deleted take no part (a
 * deleted contact leaves every KPI). `undefined` when none is left.
 */
export function selectLeadContact<C extends LeadContactCandidate>(
  contactIds: readonly RecordId[],
  contacts: ReadonlyMap<RecordId, C>,
): C | undefined {
  let lead: C | undefined;
  for (const id of contactIds) {
    const c = contacts.get(id);
    if (c === undefined || c.deleted === true) continue;
    if (
      lead === undefined ||
      c.createdAt < lead.createdAt ||
      (c.createdAt === lead.createdAt && compareRecordIds(c.id, lead.id) < 0)
    )
      lead = c;
  }
  return lead;
}
