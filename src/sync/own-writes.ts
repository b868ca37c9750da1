import { sql } from 'kysely';
import type { Executor } from '../db';
import type { CrmObject } from '../hubspot';
import { mapContact, mapDeal, parseObjectId } from './mappers';
import type { Pair } from './mirror.repository';

/**
 * Our own write-back must not come back as work (docs/writeback.md, "No loops"). Writing a
 * `kpibridge_*` property bumps the record's modified time, fires property-change webhooks and
 * workflows, and puts the record into the next catch-up search. Two checks:
 * - a webhook event whose `changeSource` is INTEGRATION with `sourceId` our app id, or that names
 *   one of our properties, is dropped at intake (`isOwnWriteEvent`);
 * - a record re-read by a refresh or catch-up whose synced content (every column the mirror keeps,
 *   the modified time aside, and for deals its contacts) equals the mirror's is not written and not
 *   counted as a change (`unchangedRecordIds`), whoever modified it: an echo of our write changes
 *   only properties the sync never reads.
 * So a write-back of N records causes no KPI run.
 */
export const OWN_PROPERTY_PREFIX = 'kpibridge_';

export function isOwnWriteEvent(
  event: {
    changeSource?: string | undefined;
    sourceId?: string | undefined;
    propertyName?: string | undefined;
  },
  appId: number | undefined,
): boolean {
  if (event.propertyName?.startsWith(OWN_PROPERTY_PREFIX)) return true;
  return appId !== undefined && event.changeSource === 'INTEGRATION' && event.sourceId === String(appId);
}

// The record's modified time moves with every write, ours included; synced_at is ours.
const VOLATILE_COLUMNS = new Set(['portal_id', 'updated_at', 'synced_at', 'merged_into']);
const VOLATILE_PROPERTIES = new Set(['lastmodifieddate', 'hs_lastmodifieddate']);

function comparable(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (typeof value === 'number') return value;
  return value ?? null;
}

function sameRow(mapped: Record<string, unknown>, stored: Record<string, unknown>): boolean {
  for (const [key, value] of Object.entries(mapped)) {
    if (VOLATILE_COLUMNS.has(key)) continue;
    if (key === 'properties') {
      const a = (value ?? {}) as Record<string, string>;
      const b = (stored[key] ?? {}) as Record<string, string>;
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys)
        if (!VOLATILE_PROPERTIES.has(k) && (a[k] ?? null) !== (b[k] ?? null)) return false;
      continue;
    }
    if (comparable(value) !== comparable(stored[key])) return false;
  }
  return true;
}

/**
 * The ids among `objects` whose synced content the mirror already holds (live rows only). For deals,
 * `pairs` are the deal→contact associations just read; a deal whose contacts differ has changed.
 */
export async function unchangedRecordIds(
  db: Executor,
  portalId: number,
  objectType: 'contacts' | 'deals',
  objects: readonly CrmObject[],
  pairs?: readonly Pair[],
): Promise<Set<number>> {
  const unchanged = new Set<number>();
  if (objects.length === 0) return unchanged;
  const ignore = () => undefined;
  const ids = objects.map((o) => parseObjectId(o.id));
  if (objectType === 'contacts') {
    const stored = await db
      .selectFrom('contacts')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('contact_id', 'in', ids)
      .where('archived', '=', false)
      .where('merged_into', 'is', null)
      .execute();
    const byId = new Map(stored.map((r) => [Number(r.contact_id), r as unknown as Record<string, unknown>]));
    for (const o of objects) {
      const row = byId.get(parseObjectId(o.id));
      if (row && sameRow(mapContact(portalId, o, ignore), row)) unchanged.add(parseObjectId(o.id));
    }
    return unchanged;
  }
  const stored = await db
    .selectFrom('deals')
    .selectAll()
    .where('portal_id', '=', portalId)
    .where('deal_id', 'in', ids)
    .where('archived', '=', false)
    .execute();
  const byId = new Map(stored.map((r) => [Number(r.deal_id), r as unknown as Record<string, unknown>]));
  const storedPairs = await sql<{ deal_id: number; contact_id: number }>`
    select deal_id, contact_id from deal_contacts
    where portal_id = ${portalId} and deal_id = any(${sql.val(ids)}::bigint[])`.execute(db);
  const contactsOf = (list: readonly { deal: number; contact: number }[]) => {
    const m = new Map<number, string>();
    const grouped = new Map<number, number[]>();
    for (const p of list) grouped.set(p.deal, [...(grouped.get(p.deal) ?? []), p.contact]);
    for (const [deal, contacts] of grouped)
      m.set(deal, [...new Set(contacts)].sort((a, b) => a - b).join(','));
    return m;
  };
  const before = contactsOf(
    storedPairs.rows.map((r) => ({ deal: Number(r.deal_id), contact: Number(r.contact_id) })),
  );
  const after = pairs ? contactsOf(pairs.map((p) => ({ deal: p.otherId, contact: p.contactId }))) : null;
  for (const o of objects) {
    const id = parseObjectId(o.id);
    const row = byId.get(id);
    if (!row || !sameRow(mapDeal(portalId, o, ignore), row)) continue;
    if (after && (before.get(id) ?? '') !== (after.get(id) ?? '')) continue;
    unchanged.add(id);
  }
  return unchanged;
}
