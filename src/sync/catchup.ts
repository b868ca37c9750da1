import { sql } from 'kysely';
import type { HubSpotClient } from '../hubspot/client';
import {
  listPage,
  PAGE_LIMITS,
  readContactAssociations,
  SEARCH_RESULT_CAP,
  searchPage,
  type SearchFilter,
} from './crm-reader';
import {
  markArchived,
  rebuildMeetingTouches,
  replaceDealContacts,
  replaceMeetingContacts,
} from './mirror.repository';
import { foldListedMerges } from './page-writer';
import { loadTraffic, type TrafficLoadResult } from './traffic-sync';
import { activityKindOf, markActivitiesArchived, rereadActivityAssociations } from './activity-sync';
import { refreshObjects, type RefreshResult } from './refresh';
import { findSyncState, saveWatermark } from './sync-state.repository';
import type { SyncDeps, SyncRunOptions } from './sync-deps';
import { WATERMARK_OVERLAP_MS } from './full-sync';

/**
 * The scheduled catch-up of one portal, for what webhooks missed (dropped, never sent, or
 * changed in bulk):
 * 1. per object type, a search on the last-modified time from a watermark, sorted
 *    ascending, on a (modified time, id) keyset; a window is restarted from the last row
 *    before it reaches search's 10,000-result cap; the ids found are refreshed (batch
 *    reads with history: search has none);
 * 2. records deleted in HubSpot: the archived lists are read and matching live rows archived;
 * 3. associations (whose changes do not move a record's modified time): re-read in
 *    batches of 1,000 for every live deal and meeting.
 * The watermark is saved after each type, at the newest modified time seen minus an
 * overlap (search's index lags behind writes), so the next run re-reads that margin.
 */
const MODIFIED_PROPERTY = {
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
  meetings: 'hs_lastmodifieddate',
  calls: 'hs_lastmodifieddate',
  emails: 'hs_lastmodifieddate',
} as const;
type CatchupType = keyof typeof MODIFIED_PROPERTY;
const CATCHUP_TYPES: readonly CatchupType[] = ['contacts', 'deals', 'meetings', 'calls', 'emails'];
type Watermark = { modifiedMs: number; id: number };

export type CatchupResult = {
  found: Record<CatchupType, number>;
  refreshed: RefreshResult;
  archived: number;
  associationsRead: number;
  traffic: TrafficLoadResult;
  /**
   * Records whose synced content changed (refreshed and different, newly archived, merged,
   * deleted, associations changed): 0 means the KPIs need no recomputation, e.g. when the only
   * modifications were our own write-back.
   */
  changed: number;
};

export async function runCatchup(
  deps: SyncDeps,
  portalId: number,
  options: SyncRunOptions & { overlapMs?: number } = {},
): Promise<CatchupResult> {
  const client = deps.hubspot.forPortal(portalId);
  const overlap = options.overlapMs ?? WATERMARK_OVERLAP_MS;
  const found: CatchupResult['found'] = { contacts: 0, deals: 0, meetings: 0, calls: 0, emails: 0 };
  const ids: Record<CatchupType, number[]> = { contacts: [], deals: [], meetings: [], calls: [], emails: [] };
  const newMarks: Partial<Record<CatchupType, Watermark>> = {};

  for (const objectType of CATCHUP_TYPES) {
    const state = await findSyncState(deps.db, portalId, `catchup:${objectType}`);
    const from: Watermark = state?.cursor
      ? (JSON.parse(state.cursor) as Watermark)
      : { modifiedMs: 0, id: 0 };
    const seen = await searchModifiedSince(client, objectType, from, options.signal);
    ids[objectType] = seen.ids;
    found[objectType] = seen.ids.length;
    newMarks[objectType] = { modifiedMs: Math.max(from.modifiedMs, seen.newestMs - overlap), id: 0 };
  }

  const refreshed = await refreshObjects(deps, portalId, ids, options.signal);

  let archived = 0;
  let newlyArchived = 0;
  const activitiesBefore = await fingerprint(deps, portalId, 'activities');
  for (const objectType of CATCHUP_TYPES) {
    let after: string | undefined;
    do {
      const page = await listPage(client, {
        objectType,
        properties: ['hs_object_id', 'hs_merged_object_ids'],
        archived: true,
        after,
        signal: options.signal,
      });
      const archivedIds = page.results.map((o) => Number(o.id));
      if (objectType === 'calls' || objectType === 'emails')
        await markActivitiesArchived(deps.db, portalId, activityKindOf(objectType), archivedIds);
      else newlyArchived += await markArchived(deps.db, portalId, objectType, archivedIds);
      // A record merged into one deleted since is listed only by its survivor.
      if (objectType === 'contacts' || objectType === 'deals')
        await foldListedMerges(deps.db, portalId, objectType, page.results);
      archived += archivedIds.length;
      after = page.paging?.next?.after;
    } while (after);
  }

  if ((await fingerprint(deps, portalId, 'activities')) !== activitiesBefore) newlyArchived++;
  const { read: associationsRead, changed: associationsChanged } = await rereadAssociations(
    deps,
    client,
    portalId,
    options.signal,
  );
  const activityPairsBefore = await fingerprint(deps, portalId, 'activity_contacts');
  const activityAssociationsRead = await rereadActivityAssociations(deps, client, portalId, options.signal);
  const activityAssociationsChanged =
    (await fingerprint(deps, portalId, 'activity_contacts')) === activityPairsBefore ? 0 : 1;
  await rebuildMeetingTouches(deps.db, portalId);

  for (const [objectType, mark] of Object.entries(newMarks)) {
    await saveWatermark(
      deps.db,
      portalId,
      `catchup:${objectType}`,
      JSON.stringify(mark),
      found[objectType as keyof typeof found],
    );
  }
  // Web traffic rides along: it never fails the catch-up (a 403 is recorded once, not retried).
  const traffic = await loadTraffic(deps, portalId, { signal: options.signal });
  deps.logger
    .child({ name: 'sync', portalId })
    .info({ found, archived, associationsRead, traffic: traffic.status }, 'catch-up done');
  const changed =
    Object.entries(refreshed)
      .filter(([key]) => key !== 'unchanged')
      .reduce((sum, [, n]) => sum + n, 0) +
    newlyArchived +
    associationsChanged +
    activityAssociationsChanged;
  return {
    found,
    refreshed,
    archived,
    associationsRead: associationsRead + activityAssociationsRead,
    traffic,
    changed,
  };
}

/** Every id modified at or after the watermark, in windows that never page past the cap. */
async function searchModifiedSince(
  client: HubSpotClient,
  objectType: CatchupType,
  from: Watermark,
  signal?: AbortSignal,
): Promise<{ ids: number[]; newestMs: number }> {
  const property = MODIFIED_PROPERTY[objectType];
  const ids = new Set<number>();
  let newestMs = from.modifiedMs;
  let keyset: Watermark = from;
  let previousWindowStart: number | null = null;
  for (;;) {
    // (modified > m) or (modified = m and id > i): HubSpot sorts on one property, so the id
    // tie-break is a filter; a window that starts where the last one did keeps the id too.
    const filterGroups: { filters: SearchFilter[] }[] = [
      { filters: [{ propertyName: property, operator: 'GT', value: String(keyset.modifiedMs) }] },
      {
        filters: [
          { propertyName: property, operator: 'EQ', value: String(keyset.modifiedMs) },
          { propertyName: 'hs_object_id', operator: 'GT', value: String(keyset.id) },
        ],
      },
    ];
    let after: string | undefined;
    let consumed = 0;
    let last: Watermark | null = null;
    let windowFull = false;
    for (;;) {
      const page = await searchPage(client, {
        objectType,
        filterGroups,
        sort: { propertyName: property, direction: 'ASCENDING' },
        properties: ['hs_object_id', property],
        after,
        signal,
      });
      for (const o of page.results) {
        const id = Number(o.id);
        ids.add(id);
        const modified = Date.parse(o.properties[property] ?? o.updatedAt);
        const ms = Number.isFinite(modified) ? modified : Date.parse(o.updatedAt);
        if (ms > newestMs) newestMs = ms;
        last = { modifiedMs: ms, id };
      }
      consumed += page.results.length;
      const next = page.paging?.next?.after;
      if (!next) break;
      if (consumed + PAGE_LIMITS.search > SEARCH_RESULT_CAP) {
        windowFull = true;
        break;
      }
      after = next;
    }
    if (!windowFull || !last) break;
    // Restart just before the cap: from the last row's time, re-reading its ties (their
    // order is not guaranteed) unless this window already began there.
    keyset = previousWindowStart === last.modifiedMs ? last : { modifiedMs: last.modifiedMs, id: 0 };
    previousWindowStart = keyset.modifiedMs;
  }
  return { ids: [...ids], newestMs };
}

async function rereadAssociations(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  signal?: AbortSignal,
): Promise<{ read: number; changed: number }> {
  let read = 0;
  let changed = 0;
  for (const objectType of ['deals', 'meetings'] as const) {
    const idColumn = objectType === 'deals' ? 'deal_id' : 'meeting_id';
    const rows = await sql<{
      id: number;
    }>`select ${sql.ref(idColumn)} as id from ${sql.table(objectType)} where portal_id = ${portalId} and archived = false order by 1`.execute(
      deps.db,
    );
    const liveIds = rows.rows.map((r) => Number(r.id));
    for (let i = 0; i < liveIds.length; i += PAGE_LIMITS.associations) {
      const chunk = liveIds.slice(i, i + PAGE_LIMITS.associations);
      const pairs = await readContactAssociations(client, objectType, chunk, signal);
      read += pairs.length;
      // Unchanged associations are left alone (and are no reason to recompute the KPIs).
      const table = objectType === 'deals' ? 'deal_contacts' : 'meeting_contacts';
      const stored = await sql<{ id: number; contact_id: number }>`
        select ${sql.ref(idColumn)} as id, contact_id from ${sql.table(table)}
        where portal_id = ${portalId} and ${sql.ref(idColumn)} = any(${sql.val(chunk)}::bigint[])`.execute(
        deps.db,
      );
      const before = new Set(stored.rows.map((r) => `${Number(r.id)}:${Number(r.contact_id)}`));
      const after = new Set(pairs.map((p) => `${p.otherId}:${p.contactId}`));
      const differ =
        [...after].filter((k) => !before.has(k)).length + [...before].filter((k) => !after.has(k)).length;
      if (differ === 0) continue;
      changed += differ;
      if (objectType === 'deals') await replaceDealContacts(deps.db, portalId, chunk, pairs);
      else await replaceMeetingContacts(deps.db, portalId, chunk, pairs);
    }
  }
  return { read, changed };
}

/**
 * A fingerprint of a portal's rows of an activity table (count and sum of row hashes), taken
 * before and after the catch-up touches it: their writers report no counts of what changed.
 */
async function fingerprint(
  deps: SyncDeps,
  portalId: number,
  table: 'activities' | 'activity_contacts',
): Promise<string> {
  const { rows } = await sql<{ fp: string }>`
    select count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) as fp
    from ${sql.table(table)} t where t.portal_id = ${portalId}`.execute(deps.db);
  return rows[0]?.fp ?? '';
}
