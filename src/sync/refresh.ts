import type { HubSpotClient } from '../hubspot/client';
import type { CrmObject } from '../hubspot/schemas';
import { batchRead, PAGE_LIMITS, readContactAssociations } from './crm-reader';
import {
  CONTACT_HISTORY,
  CONTACT_PROPERTIES,
  DEAL_HISTORY,
  DEAL_PROPERTIES,
  MEETING_PROPERTIES,
  mergedIdsOf,
  parseObjectId,
} from './mappers';
import {
  deleteContactForPrivacy,
  foldMergedContact,
  foldMergedDeal,
  markArchived,
  rebuildMeetingTouches,
} from './mirror.repository';
import { foldListedMerges, writeContactPage, writeDealPage, writeMeetingPage } from './page-writer';
import { unchangedRecordIds } from './own-writes';
import { warningLogger, type SyncDeps } from './sync-deps';
import { ACTIVITY_KINDS, ACTIVITY_OBJECT_TYPES, refreshActivities } from './activity-sync';

/**
 * Incremental refresh: re-reads named records from HubSpot and writes what HubSpot holds
 * now. State-based rather than event-based, so duplicated, reordered or late webhooks
 * all end in the same rows. For an id HubSpot no longer returns as live:
 *  - returned as archived → marked archived;
 *  - listed by a survivor's hs_merged_object_ids (a batch read of a merged-away id
 *    answers with the survivor) → folded into the survivor;
 *  - neither (a GDPR deletion, or purged) → contacts are deleted, others archived.
 */
export type RefreshRequest = {
  contacts?: readonly number[];
  deals?: readonly number[];
  meetings?: readonly number[];
  calls?: readonly number[];
  emails?: readonly number[];
  privacyDeletions?: readonly number[];
};
export type RefreshResult = {
  contacts: number;
  deals: number;
  meetings: number;
  calls: number;
  emails: number;
  archived: number;
  merged: number;
  deleted: number;
  /** Re-read records whose synced content the mirror already held (e.g. echoes of our write-back). */
  unchanged: number;
};

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function unique(ids: readonly number[] | undefined): number[] {
  return [...new Set(ids ?? [])].sort((a, b) => a - b);
}

export async function refreshObjects(
  deps: SyncDeps,
  portalId: number,
  request: RefreshRequest,
  signal?: AbortSignal,
): Promise<RefreshResult> {
  const client = deps.hubspot.forPortal(portalId);
  const log = deps.logger.child({ name: 'sync', portalId });
  const warn = warningLogger(log, portalId);
  const result: RefreshResult = {
    contacts: 0,
    deals: 0,
    meetings: 0,
    calls: 0,
    emails: 0,
    archived: 0,
    merged: 0,
    deleted: 0,
    unchanged: 0,
  };

  for (const id of unique(request.privacyDeletions)) {
    await deleteContactForPrivacy(deps.db, portalId, id);
    result.deleted++;
  }

  // Contacts: 50 per read with history (HubSpot's cap with propertiesWithHistory).
  for (const ids of chunks(unique(request.contacts), PAGE_LIMITS.batchReadWithHistory)) {
    const found = await batchRead(client, {
      objectType: 'contacts',
      ids,
      properties: CONTACT_PROPERTIES,
      history: CONTACT_HISTORY,
      signal,
    });
    // Only what changed is written and counted: an unchanged re-read must not cause a KPI run.
    const same = await unchangedRecordIds(deps.db, portalId, 'contacts', found);
    const changed = found.filter((o) => !same.has(parseObjectId(o.id)));
    await writeContactPage(deps.db, portalId, changed, warn);
    result.contacts += changed.length;
    result.unchanged += same.size;
    await settleMissing(deps, client, portalId, 'contacts', ids, found, result, signal);
  }

  for (const ids of chunks(unique(request.deals), PAGE_LIMITS.batchReadWithHistory)) {
    const found = await batchRead(client, {
      objectType: 'deals',
      ids,
      properties: DEAL_PROPERTIES,
      history: DEAL_HISTORY,
      signal,
    });
    const liveIds = found.map((o) => parseObjectId(o.id));
    const pairs = await readContactAssociations(client, 'deals', liveIds, signal);
    const same = await unchangedRecordIds(deps.db, portalId, 'deals', found, pairs);
    const changed = found.filter((o) => !same.has(parseObjectId(o.id)));
    await writeDealPage(
      deps.db,
      portalId,
      changed,
      pairs.filter((p) => !same.has(p.otherId)),
      warn,
    );
    result.deals += changed.length;
    result.unchanged += same.size;
    await settleMissing(deps, client, portalId, 'deals', ids, found, result, signal);
  }

  const meetingIds = unique(request.meetings);
  for (const ids of chunks(meetingIds, PAGE_LIMITS.batchRead)) {
    const found = await batchRead(client, {
      objectType: 'meetings',
      ids,
      properties: MEETING_PROPERTIES,
      signal,
    });
    const pairs = await readContactAssociations(
      client,
      'meetings',
      found.map((o) => parseObjectId(o.id)),
      signal,
    );
    await writeMeetingPage(deps.db, portalId, found, pairs, warn);
    result.meetings += found.length;
    await settleMissing(deps, client, portalId, 'meetings', ids, found, result, signal);
  }

  for (const kind of ACTIVITY_KINDS) {
    const objectType = ACTIVITY_OBJECT_TYPES[kind];
    const done = await refreshActivities(deps, client, portalId, kind, request[objectType] ?? [], signal);
    result[objectType] += done.refreshed;
    result.archived += done.archived;
  }

  if (result.contacts + result.meetings + result.merged + result.deleted > 0)
    await rebuildMeetingTouches(deps.db, portalId);
  return result;
}

async function settleMissing(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  objectType: 'contacts' | 'deals' | 'meetings',
  asked: readonly number[],
  found: readonly CrmObject[],
  result: RefreshResult,
  signal?: AbortSignal,
): Promise<void> {
  const returned = new Set(found.map((o) => parseObjectId(o.id)));
  const missing = asked.filter((id) => !returned.has(id));
  if (missing.length === 0) return;
  const survivors = new Map<number, number>();
  for (const o of found) for (const merged of mergedIdsOf(o)) survivors.set(merged, parseObjectId(o.id));
  const mergedAway = missing.filter((id) => survivors.has(id));
  for (const id of mergedAway) {
    const survivor = survivors.get(id) as number;
    if (objectType === 'contacts') await foldMergedContact(deps.db, portalId, id, survivor);
    else if (objectType === 'deals') await foldMergedDeal(deps.db, portalId, id);
    result.merged++;
  }
  const rest = missing.filter((id) => !survivors.has(id));
  if (rest.length === 0) return;
  const archived = await batchRead(client, {
    objectType,
    ids: rest,
    properties: ['hs_object_id', 'hs_merged_object_ids'],
    archived: true,
    signal,
  });
  const archivedIds = archived.map((o) => parseObjectId(o.id));
  await markArchived(deps.db, portalId, objectType, archivedIds);
  if (objectType !== 'meetings') await foldListedMerges(deps.db, portalId, objectType, archived);
  result.archived += archivedIds.length;
  const gone = rest.filter((id) => !archivedIds.includes(id));
  for (const id of gone) {
    if (objectType === 'contacts') {
      await deleteContactForPrivacy(deps.db, portalId, id);
      result.deleted++;
    } else {
      await markArchived(deps.db, portalId, objectType, [id]);
      result.archived++;
    }
  }
}
