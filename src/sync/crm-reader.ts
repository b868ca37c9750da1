import type { HubSpotClient } from '../hubspot/client';
import { HUBSPOT_PATHS } from '../hubspot/endpoints';
import {
  associationBatchReadSchema,
  objectBatchSchema,
  objectPageSchema,
  searchPageSchema,
  type CrmObject,
  type ObjectPage,
  type SearchPage,
} from '../hubspot/schemas';
import type { Pair } from './mirror.repository';

/**
 * The HubSpot reads of the sync, at HubSpot's maximum page sizes (reference §2): list 100
 * (50 with history), search 200, batch read 100, association batch read 1,000.
 */
export const PAGE_LIMITS = {
  list: 100,
  listWithHistory: 50,
  search: 200,
  batchRead: 100,
  batchReadWithHistory: 50,
  associations: 1000,
} as const;
export const SEARCH_RESULT_CAP = 10_000;

export type SyncObjectType = 'contacts' | 'deals' | 'meetings' | 'calls' | 'emails';

export type ListRequest = {
  objectType: SyncObjectType;
  properties: readonly string[];
  history?: readonly string[];
  associations?: readonly string[];
  after?: string | undefined;
  archived?: boolean;
  signal?: AbortSignal | undefined;
};

export function listPage(client: HubSpotClient, req: ListRequest): Promise<ObjectPage> {
  const withHistory = (req.history?.length ?? 0) > 0;
  return client.request(
    {
      method: 'GET',
      path: HUBSPOT_PATHS.objects(req.objectType),
      query: {
        limit: withHistory ? PAGE_LIMITS.listWithHistory : PAGE_LIMITS.list,
        properties: [...req.properties],
        ...(withHistory ? { propertiesWithHistory: [...(req.history ?? [])] } : {}),
        ...(req.associations?.length ? { associations: [...req.associations] } : {}),
        ...(req.after !== undefined ? { after: req.after } : {}),
        ...(req.archived ? { archived: true } : {}),
      },
      kind: 'standard',
      ...(req.signal ? { signal: req.signal } : {}),
    },
    objectPageSchema,
  );
}

export type SearchFilter = { propertyName: string; operator: string; value?: string };
export type SearchRequest = {
  objectType: SyncObjectType;
  filterGroups: { filters: SearchFilter[] }[];
  sort: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' };
  properties: readonly string[];
  limit?: number;
  after?: string | undefined;
  signal?: AbortSignal | undefined;
};

export function searchPage(client: HubSpotClient, req: SearchRequest): Promise<SearchPage> {
  return client.request(
    {
      method: 'POST',
      path: HUBSPOT_PATHS.search(req.objectType),
      body: {
        filterGroups: req.filterGroups,
        sorts: [req.sort],
        properties: [...req.properties],
        limit: req.limit ?? PAGE_LIMITS.search,
        ...(req.after !== undefined ? { after: req.after } : {}),
      },
      kind: 'search',
      ...(req.signal ? { signal: req.signal } : {}),
    },
    searchPageSchema,
  );
}

/** Batch read by id; merged-away ids come back as their survivor, missing ones are left out. */
export async function batchRead(
  client: HubSpotClient,
  req: {
    objectType: SyncObjectType;
    ids: readonly number[];
    properties: readonly string[];
    history?: readonly string[];
    archived?: boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<CrmObject[]> {
  if (req.ids.length === 0) return [];
  const answer = await client.request(
    {
      method: 'POST',
      path: HUBSPOT_PATHS.batchRead(req.objectType),
      ...(req.archived ? { query: { archived: true } } : {}),
      body: {
        inputs: req.ids.map((id) => ({ id: String(id) })),
        properties: [...req.properties],
        ...(req.history?.length ? { propertiesWithHistory: [...req.history] } : {}),
      },
      kind: 'standard',
      ...(req.signal ? { signal: req.signal } : {}),
    },
    objectBatchSchema,
  );
  return answer.results;
}

/** Contacts of each object (v4 batch read, ≤ 1,000 ids per call); objects without any get none. */
export async function readContactAssociations(
  client: HubSpotClient,
  objectType: 'deals' | 'meetings' | 'calls' | 'emails',
  ids: readonly number[],
  signal?: AbortSignal,
): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < ids.length; i += PAGE_LIMITS.associations) {
    const chunk = ids.slice(i, i + PAGE_LIMITS.associations);
    let inputs: { id: string; after?: string }[] = chunk.map((id) => ({ id: String(id) }));
    // An object with more associations than one answer holds pages on with its own cursor.
    while (inputs.length > 0) {
      const answer = await client.request(
        {
          method: 'POST',
          path: HUBSPOT_PATHS.associationsBatchRead(objectType, 'contacts'),
          body: { inputs },
          kind: 'standard',
          ...(signal ? { signal } : {}),
        },
        associationBatchReadSchema,
      );
      const more: { id: string; after: string }[] = [];
      for (const r of answer.results) {
        const otherId = Number(r.from.id);
        for (const to of r.to) pairs.push({ otherId, contactId: Number(to.toObjectId) });
        if (r.paging?.next?.after) more.push({ id: r.from.id, after: r.paging.next.after });
      }
      inputs = more;
    }
  }
  return pairs;
}
