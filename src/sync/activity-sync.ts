import { sql } from 'kysely';
import type { HubSpotClient } from '../hubspot/client';
import type { Database, Executor } from '../db';
import { batchRead, PAGE_LIMITS, readContactAssociations, searchPage } from './crm-reader';
import type { CrmObject, SearchPage } from '../hubspot/schemas';
import {
  CALL_PROPERTIES,
  EMAIL_PROPERTIES,
  mapActivity,
  parseObjectId,
  type ActivityKind,
  type ActivityRowInput,
  type Warn,
} from './mappers';
import type { Pair } from './mirror.repository';
import type { Checkpoint } from './page-writer';
import { beginStream, failStream, finishStream, checkpointStream } from './sync-state.repository';
import { warningLogger, type SyncDeps, type SyncRunOptions } from './sync-deps';

/**
 * Calls and emails (the sales activities besides meetings, which have their own tables) in the
 * mirror: one `activities` row per call or email, its contacts in `activity_contacts`. They come
 * the way meetings do: the full sync searches them on an id keyset (search has its own budget)
 * and reads their contacts in association batches; refreshes batch-read named ids; whatever
 * HubSpot no longer returns as live is archived.
 */
export const ACTIVITY_KINDS: readonly ActivityKind[] = ['call', 'email'];

export type ActivityObjectType = 'calls' | 'emails';

export const ACTIVITY_OBJECT_TYPES: Readonly<Record<ActivityKind, ActivityObjectType>> = {
  call: 'calls',
  email: 'emails',
};

export function activityKindOf(objectType: ActivityObjectType): ActivityKind {
  return objectType === 'calls' ? 'call' : 'email';
}

export function activityProperties(kind: ActivityKind): readonly string[] {
  return kind === 'call' ? CALL_PROPERTIES : EMAIL_PROPERTIES;
}

function assertPortal(portalId: number, rows: readonly { portal_id: number }[]): void {
  // A row of another portal here would be a tenant leak: refuse the page.
  if (rows.some((r) => r.portal_id !== portalId))
    throw new Error(`row of another portal in a page for portal ${portalId}`);
}

export async function upsertActivities(
  db: Executor,
  portalId: number,
  rows: readonly ActivityRowInput[],
): Promise<void> {
  if (rows.length === 0) return;
  assertPortal(portalId, rows);
  await db
    .insertInto('activities')
    .values(rows.map((r) => ({ ...r, properties: JSON.stringify(r.properties) })))
    .onConflict((oc) =>
      oc.columns(['portal_id', 'kind', 'activity_id']).doUpdateSet((eb) => ({
        occurred_at: eb.ref('excluded.occurred_at'),
        created_at: eb.ref('excluded.created_at'),
        updated_at: eb.ref('excluded.updated_at'),
        email_direction: eb.ref('excluded.email_direction'),
        owner_id: eb.ref('excluded.owner_id'),
        properties: eb.ref('excluded.properties'),
        archived: eb.ref('excluded.archived'),
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

/** Sets the contacts of these activities to exactly `pairs` (activities absent from `pairs` end with none). */
export async function replaceActivityContacts(
  db: Executor,
  portalId: number,
  kind: ActivityKind,
  ids: readonly number[],
  pairs: readonly Pair[],
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('activity_contacts')
    .where('portal_id', '=', portalId)
    .where('kind', '=', kind)
    .where('activity_id', 'in', ids)
    .execute();
  if (pairs.length > 0)
    await db
      .insertInto('activity_contacts')
      .values(
        pairs.map((p) => ({ portal_id: portalId, kind, activity_id: p.otherId, contact_id: p.contactId })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
}

export async function markActivitiesArchived(
  db: Executor,
  portalId: number,
  kind: ActivityKind,
  ids: readonly number[],
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('activities')
    .set({ archived: true, synced_at: sql<Date>`now()` })
    .where('portal_id', '=', portalId)
    .where('kind', '=', kind)
    .where('activity_id', 'in', ids)
    .where('archived', '=', false)
    .execute();
}

/** One page of calls or emails and their contacts, with the stream's checkpoint, in one transaction. */
export async function writeActivityPage(
  db: Database,
  portalId: number,
  kind: ActivityKind,
  objects: readonly CrmObject[],
  pairs: readonly Pair[] | undefined,
  warn: Warn,
  checkpoint?: Checkpoint,
): Promise<void> {
  const rows = objects.map((o) => mapActivity(portalId, kind, o, warn));
  const ids = rows.map((r) => r.activity_id);
  await db.transaction().execute(async (trx) => {
    await upsertActivities(trx, portalId, rows);
    if (pairs) await replaceActivityContacts(trx, portalId, kind, ids, pairs);
    await checkpoint?.(trx);
  });
}

type KeysetCursor = { lastId: number };

/**
 * The full sync's stream of one activity kind (stream `calls` or `emails`): search on an id
 * keyset (no query pages towards search's 10,000-result cap), contacts read per page, each page
 * written with its cursor. Resumes from the cursor of an interrupted run.
 */
export async function runActivityStream(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  runId: string,
  kind: ActivityKind,
  options: SyncRunOptions,
  isAborted: () => Error | null,
): Promise<void> {
  const { db } = deps;
  const objectType = ACTIVITY_OBJECT_TYPES[kind];
  const stream = objectType;
  const warn = warningLogger(deps.logger, portalId);
  const state = await beginStream(db, portalId, stream, runId);
  const cursor: KeysetCursor = state.cursor ? (JSON.parse(state.cursor) as KeysetCursor) : { lastId: 0 };
  let records = state.records_synced;
  let pages = state.pages;
  try {
    let lastId = cursor.lastId;
    for (;;) {
      const aborted = isAborted();
      if (aborted) throw aborted;
      const page: SearchPage = await searchPage(client, {
        objectType,
        filterGroups: [
          { filters: [{ propertyName: 'hs_object_id', operator: 'GT', value: String(lastId) }] },
        ],
        sort: { propertyName: 'hs_object_id', direction: 'ASCENDING' },
        properties: activityProperties(kind),
        signal: options.signal,
      });
      const last = page.results[page.results.length - 1];
      const more = page.paging?.next !== undefined && last !== undefined;
      if (last) lastId = Number(last.id);
      const ids = page.results.map((r) => Number(r.id));
      const pairs = await readContactAssociations(client, objectType, ids, options.signal);
      const saved = JSON.stringify({ lastId });
      await writeActivityPage(db, portalId, kind, page.results, pairs, warn, (trx) =>
        checkpointStream(trx, portalId, stream, saved, page.results.length),
      );
      records += page.results.length;
      pages += 1;
      options.onProgress?.({ stream, records, pages, done: !more });
      if (!more) break;
    }
    await finishStream(db, portalId, stream);
  } catch (error) {
    await failStream(
      db,
      portalId,
      stream,
      error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    );
    throw error;
  }
}

/** Live calls and emails the full sync did not see were deleted in HubSpot: archived. */
export async function sweepUnseenActivities(db: Executor, portalId: number, since: Date): Promise<void> {
  await db
    .updateTable('activities')
    .set({ archived: true })
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .where('synced_at', '<', since)
    .execute();
}

/**
 * Re-reads named calls or emails: live ones are written with their contacts, the rest are
 * archived (HubSpot answers a deleted engagement's id with nothing; there are no merges).
 */
export async function refreshActivities(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  kind: ActivityKind,
  ids: readonly number[],
  signal?: AbortSignal,
): Promise<{ refreshed: number; archived: number }> {
  const warn = warningLogger(deps.logger.child({ name: 'sync', portalId }), portalId);
  const objectType = ACTIVITY_OBJECT_TYPES[kind];
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  let refreshed = 0;
  let archived = 0;
  for (let i = 0; i < unique.length; i += PAGE_LIMITS.batchRead) {
    const chunk = unique.slice(i, i + PAGE_LIMITS.batchRead);
    const found = await batchRead(client, {
      objectType,
      ids: chunk,
      properties: activityProperties(kind),
      signal,
    });
    const liveIds = found.map((o) => parseObjectId(o.id));
    const pairs = await readContactAssociations(client, objectType, liveIds, signal);
    await writeActivityPage(deps.db, portalId, kind, found, pairs, warn);
    refreshed += found.length;
    const returned = new Set(liveIds);
    const missing = chunk.filter((id) => !returned.has(id));
    await markActivitiesArchived(deps.db, portalId, kind, missing);
    archived += missing.length;
  }
  return { refreshed, archived };
}

/** Re-reads the contacts of every live call and email (association changes do not move modified times). */
export async function rereadActivityAssociations(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  signal?: AbortSignal,
): Promise<number> {
  let read = 0;
  for (const kind of ACTIVITY_KINDS) {
    const rows = await deps.db
      .selectFrom('activities')
      .select('activity_id')
      .where('portal_id', '=', portalId)
      .where('kind', '=', kind)
      .where('archived', '=', false)
      .orderBy('activity_id')
      .execute();
    const liveIds = rows.map((r) => Number(r.activity_id));
    for (let i = 0; i < liveIds.length; i += PAGE_LIMITS.associations) {
      const chunk = liveIds.slice(i, i + PAGE_LIMITS.associations);
      const pairs = await readContactAssociations(client, ACTIVITY_OBJECT_TYPES[kind], chunk, signal);
      await replaceActivityContacts(deps.db, portalId, kind, chunk, pairs);
      read += pairs.length;
    }
  }
  return read;
}
