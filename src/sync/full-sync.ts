import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { HubSpotClient } from '../hubspot/client';
import { HUBSPOT_PATHS } from '../hubspot/endpoints';
import {
  ownersPageSchema,
  pipelinesSchema,
  propertyDefinitionSchema,
  type CrmObject,
  type ObjectPage,
  type OwnersPage,
  type SearchPage,
} from '../hubspot/schemas';
import { listPage, readContactAssociations, searchPage, type SyncObjectType } from './crm-reader';
import {
  CONTACT_HISTORY,
  CONTACT_PROPERTIES,
  DEAL_HISTORY,
  DEAL_PROPERTIES,
  MEETING_PROPERTIES,
} from './mappers';
import { replaceLifecycleStages, replacePipelines, upsertOwners } from './metadata.repository';
import { rebuildMeetingTouches } from './mirror.repository';
import { loadTraffic } from './traffic-sync';
import {
  ACTIVITY_KINDS,
  ACTIVITY_OBJECT_TYPES,
  runActivityStream,
  sweepUnseenActivities,
} from './activity-sync';
import {
  pairsFromListAssociations,
  writeContactPage,
  writeDealPage,
  writeMeetingPage,
  type Checkpoint,
} from './page-writer';
import {
  beginStream,
  checkpointStream,
  failStream,
  findSyncState,
  finishStream,
  listRunStreams,
  saveWatermark,
  setStreamCursor,
} from './sync-state.repository';
import { warningLogger, type SyncDeps, type SyncRunOptions } from './sync-deps';

/**
 * The full sync of one portal: metadata first (pipelines, owners, lifecycle stages), then
 * every object stream at once, page by page, each page written with its checkpoint in one
 * transaction. Contacts and deals (which need property histories, so list endpoints at 50
 * per page) are split into id-range segments paged in parallel; meetings come through
 * search (its own budget) on an id keyset, with their associations read in batches. Both
 * budgets are spent at once; the segments keep enough requests in flight to fill the
 * budget without prefetching, so a killed stream re-reads at most the one page it was
 * on. A re-run (or a retried job) of the same run resumes every stream from its cursor.
 */
export type FullSyncCounts = {
  contacts: number;
  deals: number;
  associations: number;
  meetings: number;
  calls: number;
  emails: number;
  touches: number;
};

export type FullSyncOptions = SyncRunOptions & {
  /** Start over instead of resuming an unfinished run. */
  restart?: boolean;
  /** Called on a fresh run with HubSpot's count of live records per list stream (for progress bars). */
  onPlan?: (objectType: 'contacts' | 'deals', total: number) => void;
  /** Parallel id-range segments per list stream. */
  segments?: { contacts?: number; deals?: number };
};

export const FULL_STREAM = 'full';
const DEFAULT_SEGMENTS = { contacts: 4, deals: 2 } as const;
/** Catch-up starts this long before the full sync did, for search's indexing lag. */
export const WATERMARK_OVERLAP_MS = 60_000;

type SegmentCursor = { after: string | null; end: number | null; first: boolean };
type KeysetCursor = { lastId: number };

export class SyncAbortedError extends Error {
  constructor() {
    super('sync aborted');
    this.name = 'SyncAbortedError';
  }
}

function newRunId(): string {
  return `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function runFullSync(
  deps: SyncDeps,
  portalId: number,
  options: FullSyncOptions = {},
): Promise<FullSyncCounts> {
  const { db } = deps;
  const log = deps.logger.child({ name: 'sync', portalId });
  const warn = warningLogger(log, portalId);
  const client = deps.hubspot.forPortal(portalId);
  const signal = options.signal;

  const previous = await findSyncState(db, portalId, FULL_STREAM);
  const resuming = !options.restart && previous?.status === 'running' && previous.run_id !== null;
  const runId = resuming && previous.run_id ? previous.run_id : newRunId();
  const full = await beginStream(db, portalId, FULL_STREAM, runId);
  const startedAt = full.started_at ?? new Date();
  log.info({ runId, resuming }, 'full sync started');

  try {
    const existing = new Map((await listRunStreams(db, portalId, runId)).map((s) => [s.stream, s]));
    const isDone = (stream: string) => existing.get(stream)?.status === 'done';

    if (!isDone('metadata')) await syncMetadata(deps, client, portalId, runId, signal);

    const segmentsOf = async (objectType: 'contacts' | 'deals', wanted: number): Promise<string[]> => {
      const known = [...existing.keys()].filter((s) => s.startsWith(`${objectType}#`)).sort();
      if (known.length > 0) return known;
      const bounds = await idBounds(client, objectType, signal);
      options.onPlan?.(objectType, bounds?.total ?? 0);
      // Big portals get more segments (pages of big portals take longer to serve and write,
      // and a segment has one request in flight); never more than one per 100 ids.
      const scaled =
        options.segments?.[objectType] ??
        Math.min(wanted * 2, Math.max(wanted, Math.ceil((bounds?.total ?? 0) / 12_500)));
      const count = bounds
        ? Math.max(1, Math.min(scaled, Math.ceil((bounds.max - bounds.min + 1) / 100)))
        : 1;
      const streams: string[] = [];
      for (let i = 0; i < count; i++) {
        const stream = `${objectType}#${i}`;
        const start =
          bounds && i > 0 ? Math.floor(bounds.min + ((bounds.max - bounds.min + 1) * i) / count) : null;
        const end =
          bounds && i < count - 1
            ? Math.floor(bounds.min + ((bounds.max - bounds.min + 1) * (i + 1)) / count)
            : null;
        await beginStream(db, portalId, stream, runId);
        const cursor: SegmentCursor = { after: start === null ? null : String(start), end, first: true };
        await setStreamCursor(db, portalId, stream, JSON.stringify(cursor));
        streams.push(stream);
      }
      return streams;
    };

    const contactStreams = await segmentsOf(
      'contacts',
      options.segments?.contacts ?? DEFAULT_SEGMENTS.contacts,
    );
    const dealStreams = await segmentsOf('deals', options.segments?.deals ?? DEFAULT_SEGMENTS.deals);

    const tasks: Promise<void>[] = [];
    for (const stream of contactStreams) {
      if (isDone(stream)) continue;
      tasks.push(
        runSegment(deps, client, portalId, runId, stream, options, {
          objectType: 'contacts',
          properties: CONTACT_PROPERTIES,
          history: CONTACT_HISTORY,
          write: (objects, cp) => writeContactPage(db, portalId, objects, warn, cp),
        }),
      );
    }
    for (const stream of dealStreams) {
      if (isDone(stream)) continue;
      tasks.push(
        runSegment(deps, client, portalId, runId, stream, options, {
          objectType: 'deals',
          properties: DEAL_PROPERTIES,
          history: DEAL_HISTORY,
          associations: ['contacts'],
          write: (objects, cp) =>
            writeDealPage(db, portalId, objects, pairsFromListAssociations(objects), warn, cp),
        }),
      );
    }
    if (!isDone('meetings')) tasks.push(runMeetingStream(deps, client, portalId, runId, options));
    for (const kind of ACTIVITY_KINDS)
      if (!isDone(ACTIVITY_OBJECT_TYPES[kind]))
        tasks.push(
          runActivityStream(deps, client, portalId, runId, kind, options, () =>
            options.signal?.aborted ? new SyncAbortedError() : null,
          ),
        );

    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    await sweepUnseen(deps, portalId, startedAt);
    await rebuildMeetingTouches(db, portalId);
    const watermark = JSON.stringify({ modifiedMs: startedAt.getTime() - WATERMARK_OVERLAP_MS, id: 0 });
    for (const type of ['contacts', 'deals', 'meetings', 'calls', 'emails'] as const)
      await saveWatermark(db, portalId, `catchup:${type}`, watermark, 0);
    await finishStream(db, portalId, FULL_STREAM);
    // Web traffic after the CRM data; a portal without the analytics report is recorded, not failed.
    await loadTraffic(deps, portalId, { signal });
    const counts = await countMirror(deps, portalId);
    log.info({ runId, ...counts }, 'full sync done');
    return counts;
  } catch (error) {
    // Left "running" with its run id, so the next attempt resumes; the error is recorded.
    await db
      .updateTable('sync_state')
      .set({ last_error: describe(error).slice(0, 1000), last_error_at: sql<Date>`now()` })
      .where('portal_id', '=', portalId)
      .where('stream', '=', FULL_STREAM)
      .execute();
    throw error;
  }
}

async function syncMetadata(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  runId: string,
  signal?: AbortSignal,
): Promise<void> {
  const { db } = deps;
  await beginStream(db, portalId, 'metadata', runId);
  const sig = signal ? { signal } : {};
  const [pipelines, lifecycle] = await Promise.all([
    client.request(
      { method: 'GET', path: HUBSPOT_PATHS.pipelines('deals'), kind: 'standard', ...sig },
      pipelinesSchema,
    ),
    client.request(
      { method: 'GET', path: HUBSPOT_PATHS.property('contacts', 'lifecyclestage'), kind: 'standard', ...sig },
      propertyDefinitionSchema,
    ),
  ]);
  const owners: OwnersPage['results'] = [];
  for (const archived of [false, true]) {
    let after: string | undefined;
    do {
      const page = await client.request(
        {
          method: 'GET',
          path: HUBSPOT_PATHS.owners(),
          query: { limit: 500, archived, ...(after ? { after } : {}) },
          kind: 'standard',
          ...sig,
        },
        ownersPageSchema,
      );
      owners.push(...page.results);
      after = page.paging?.next?.after;
    } while (after);
  }
  await db.transaction().execute(async (trx) => {
    await replacePipelines(trx, portalId, pipelines.results);
    await replaceLifecycleStages(trx, portalId, lifecycle);
    await upsertOwners(trx, portalId, owners);
    await checkpointStream(
      trx,
      portalId,
      'metadata',
      null,
      pipelines.results.length + owners.length + lifecycle.options.length,
    );
  });
  await finishStream(db, portalId, 'metadata');
}

/** Smallest and largest live id (two one-record searches), to cut the id space into segments. */
async function idBounds(
  client: HubSpotClient,
  objectType: SyncObjectType,
  signal?: AbortSignal,
): Promise<{ min: number; max: number; total: number } | null> {
  let total = 0;
  const edge = async (direction: 'ASCENDING' | 'DESCENDING') => {
    const page = await searchPage(client, {
      objectType,
      filterGroups: [],
      sort: { propertyName: 'hs_object_id', direction },
      properties: ['hs_object_id'],
      limit: 1,
      signal,
    });
    total = page.total ?? total;
    const first = page.results[0];
    return first ? Number(first.id) : null;
  };
  const [min, max] = await Promise.all([edge('ASCENDING'), edge('DESCENDING')]);
  return min === null || max === null ? null : { min, max, total };
}

type SegmentSpec = {
  objectType: 'contacts' | 'deals';
  properties: readonly string[];
  history: readonly string[];
  associations?: readonly string[];
  write: (objects: readonly CrmObject[], checkpoint: Checkpoint) => Promise<void>;
};

async function runSegment(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  runId: string,
  stream: string,
  options: FullSyncOptions,
  spec: SegmentSpec,
): Promise<void> {
  const { db } = deps;
  const state = await beginStream(db, portalId, stream, runId);
  const cursor: SegmentCursor = state.cursor
    ? (JSON.parse(state.cursor) as SegmentCursor)
    : { after: null, end: null, first: true };
  if (!cursor.first && cursor.after === null) {
    await finishStream(db, portalId, stream);
    return;
  }
  let records = state.records_synced;
  let pages = state.pages;
  const fetch = (after: string | null): Promise<ObjectPage> =>
    listPage(client, {
      objectType: spec.objectType,
      properties: spec.properties,
      history: spec.history,
      ...(spec.associations ? { associations: spec.associations } : {}),
      after: after ?? undefined,
      signal: options.signal,
    });
  try {
    let after: string | null = cursor.after;
    for (;;) {
      if (options.signal?.aborted) throw new SyncAbortedError();
      const page: ObjectPage = await fetch(after);
      const end = cursor.end;
      const inRange = end === null ? page.results : page.results.filter((r) => Number(r.id) < end);
      const next = page.paging?.next?.after ?? null;
      const reachedEnd =
        inRange.length < page.results.length || (next !== null && end !== null && Number(next) >= end);
      const nextAfter = reachedEnd ? null : next;
      const saved: SegmentCursor = { after: nextAfter, end, first: false };
      await spec.write(inRange, (trx) =>
        checkpointStream(trx, portalId, stream, JSON.stringify(saved), inRange.length),
      );
      records += inRange.length;
      pages += 1;
      options.onProgress?.({ stream, records, pages, done: nextAfter === null });
      if (nextAfter === null) break;
      after = nextAfter;
    }
    await finishStream(db, portalId, stream);
  } catch (error) {
    await failStream(db, portalId, stream, describe(error));
    throw error;
  }
}

async function runMeetingStream(
  deps: SyncDeps,
  client: HubSpotClient,
  portalId: number,
  runId: string,
  options: FullSyncOptions,
): Promise<void> {
  const { db } = deps;
  const stream = 'meetings';
  const warn = warningLogger(deps.logger, portalId);
  const state = await beginStream(db, portalId, stream, runId);
  const cursor: KeysetCursor = state.cursor ? (JSON.parse(state.cursor) as KeysetCursor) : { lastId: 0 };
  let records = state.records_synced;
  let pages = state.pages;
  // An id keyset instead of `after`: no query ever pages towards search's 10,000-result cap.
  const fetch = (lastId: number): Promise<SearchPage> =>
    searchPage(client, {
      objectType: 'meetings',
      filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'GT', value: String(lastId) }] }],
      sort: { propertyName: 'hs_object_id', direction: 'ASCENDING' },
      properties: MEETING_PROPERTIES,
      signal: options.signal,
    });
  try {
    let lastId = cursor.lastId;
    for (;;) {
      if (options.signal?.aborted) throw new SyncAbortedError();
      const page: SearchPage = await fetch(lastId);
      const last = page.results[page.results.length - 1];
      const more = page.paging?.next !== undefined && last !== undefined;
      if (last) lastId = Number(last.id);
      const ids = page.results.map((r) => Number(r.id));
      const pairs = await readContactAssociations(client, 'meetings', ids, options.signal);
      const saved = JSON.stringify({ lastId });
      await writeMeetingPage(db, portalId, page.results, pairs, warn, (trx) =>
        checkpointStream(trx, portalId, stream, saved, page.results.length),
      );
      records += page.results.length;
      pages += 1;
      options.onProgress?.({ stream, records, pages, done: !more });
      if (!more) break;
    }
    await finishStream(db, portalId, stream);
  } catch (error) {
    await failStream(db, portalId, stream, describe(error));
    throw error;
  }
}

/** Live rows the run did not see were deleted (or merged away) in HubSpot: archived. */
async function sweepUnseen(deps: SyncDeps, portalId: number, since: Date): Promise<void> {
  const { db } = deps;
  await db
    .updateTable('contacts')
    .set({ archived: true })
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .where('merged_into', 'is', null)
    .where('synced_at', '<', since)
    .execute();
  await db
    .updateTable('deals')
    .set({ archived: true })
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .where('synced_at', '<', since)
    .execute();
  await db
    .updateTable('meetings')
    .set({ archived: true })
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    .where('synced_at', '<', since)
    .execute();
  await sweepUnseenActivities(db, portalId, since);
}

export async function countMirror(deps: Pick<SyncDeps, 'db'>, portalId: number): Promise<FullSyncCounts> {
  const row = await sql<FullSyncCounts>`
    select
      (select count(*) from contacts where portal_id = ${portalId} and archived = false and merged_into is null)::int as contacts,
      (select count(*) from deals where portal_id = ${portalId} and archived = false)::int as deals,
      (select count(*) from deal_contacts dc join deals d on d.portal_id = dc.portal_id and d.deal_id = dc.deal_id and d.archived = false
        where dc.portal_id = ${portalId})::int as associations,
      (select count(*) from meetings where portal_id = ${portalId} and archived = false)::int as meetings,
      (select count(*) from activities where portal_id = ${portalId} and kind = 'call' and archived = false)::int as calls,
      (select count(*) from activities where portal_id = ${portalId} and kind = 'email' and archived = false)::int as emails,
      (select count(*) from touches where portal_id = ${portalId})::int as touches`.execute(deps.db);
  const counts = row.rows[0];
  if (!counts) throw new Error('count query returned no row');
  return counts;
}
