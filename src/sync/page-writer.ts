import type { Database, Executor } from '../db';
import type { CrmObject } from '../hubspot/schemas';
import {
  deriveContactTouches,
  mapContact,
  mapDeal,
  mapDealStageHistory,
  mapLifecycleHistory,
  mapMeeting,
  mergedIdsOf,
  parseObjectId,
  type Warn,
} from './mappers';
import {
  foldMergedContact,
  foldMergedDeal,
  replaceContactTouches,
  replaceDealContacts,
  replaceDealStageHistory,
  replaceLifecycleHistory,
  replaceMeetingContacts,
  upsertContacts,
  upsertDeals,
  upsertMeetings,
  type Pair,
} from './mirror.repository';

/**
 * One page of HubSpot objects → the mirror, in one transaction together with the
 * stream's checkpoint, so that data and cursor always agree: a worker killed before the
 * commit re-reads that page, never more.
 */
export type Checkpoint = (trx: Executor) => Promise<void>;

async function inTransaction(db: Database, work: (trx: Executor) => Promise<void>): Promise<void> {
  await db.transaction().execute(work);
}

/** Merged-away ids a survivor lists that the mirror still holds as live: fold them in. */
export async function foldListedMerges(
  trx: Executor,
  portalId: number,
  objectType: 'contacts' | 'deals',
  objects: readonly CrmObject[],
): Promise<void> {
  const pairs = objects.flatMap((o) =>
    mergedIdsOf(o).map((merged) => ({ merged, survivor: parseObjectId(o.id) })),
  );
  if (pairs.length === 0) return;
  const ids = pairs.map((p) => p.merged);
  if (objectType === 'contacts') {
    const live = await trx
      .selectFrom('contacts')
      .select('contact_id')
      .where('portal_id', '=', portalId)
      .where('contact_id', 'in', ids)
      .where('merged_into', 'is', null)
      .execute();
    const liveIds = new Set(live.map((r) => r.contact_id));
    for (const p of pairs)
      if (liveIds.has(p.merged)) await foldMergedContact(trx, portalId, p.merged, p.survivor);
  } else {
    const live = await trx
      .selectFrom('deals')
      .select('deal_id')
      .where('portal_id', '=', portalId)
      .where('deal_id', 'in', ids)
      .where('archived', '=', false)
      .execute();
    for (const r of live) await foldMergedDeal(trx, portalId, r.deal_id);
  }
}

export async function writeContactPage(
  db: Database,
  portalId: number,
  objects: readonly CrmObject[],
  warn: Warn,
  checkpoint?: Checkpoint,
): Promise<void> {
  const rows = objects.map((o) => mapContact(portalId, o, warn));
  const ids = rows.map((r) => r.contact_id);
  const history = objects.flatMap((o) => mapLifecycleHistory(portalId, o, warn));
  const touches = objects.flatMap((o) => deriveContactTouches(portalId, o, warn));
  await inTransaction(db, async (trx) => {
    await upsertContacts(trx, portalId, rows);
    await replaceLifecycleHistory(trx, portalId, ids, history);
    await replaceContactTouches(trx, portalId, ids, touches);
    await foldListedMerges(trx, portalId, 'contacts', objects);
    await checkpoint?.(trx);
  });
}

/** `pairs` undefined: associations not read with this page (left as they are). */
export async function writeDealPage(
  db: Database,
  portalId: number,
  objects: readonly CrmObject[],
  pairs: readonly Pair[] | undefined,
  warn: Warn,
  checkpoint?: Checkpoint,
): Promise<void> {
  const rows = objects.map((o) => mapDeal(portalId, o, warn));
  const ids = rows.map((r) => r.deal_id);
  const history = objects.flatMap((o) => mapDealStageHistory(portalId, o, warn));
  await inTransaction(db, async (trx) => {
    await upsertDeals(trx, portalId, rows);
    await replaceDealStageHistory(trx, portalId, ids, history);
    if (pairs) await replaceDealContacts(trx, portalId, ids, pairs);
    await foldListedMerges(trx, portalId, 'deals', objects);
    await checkpoint?.(trx);
  });
}

export async function writeMeetingPage(
  db: Database,
  portalId: number,
  objects: readonly CrmObject[],
  pairs: readonly Pair[] | undefined,
  warn: Warn,
  checkpoint?: Checkpoint,
): Promise<void> {
  const rows = objects.map((o) => mapMeeting(portalId, o, warn));
  const ids = rows.map((r) => r.meeting_id);
  await inTransaction(db, async (trx) => {
    await upsertMeetings(trx, portalId, rows);
    if (pairs) await replaceMeetingContacts(trx, portalId, ids, pairs);
    await checkpoint?.(trx);
  });
}

/** The `associations` field of list answers → (object, contact) pairs. */
export function pairsFromListAssociations(objects: readonly CrmObject[]): Pair[] {
  const pairs: Pair[] = [];
  for (const o of objects) {
    const otherId = parseObjectId(o.id);
    for (const link of o.associations?.contacts?.results ?? []) {
      if (/^\d+$/.test(link.id)) pairs.push({ otherId, contactId: Number(link.id) });
    }
  }
  return pairs;
}
