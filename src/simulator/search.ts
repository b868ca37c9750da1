import type { AssociationKind } from './associations';
import type { ObjectTypeName } from './catalog';
import { validationError } from './errors';
import type { Portal } from './portal';
import { readValue, type SimRecord, type StoredValue } from './records';
import type { ObjectSchema, SchemaProperty } from './schema';

/**
 * CRM search as HubSpot documents it: filter groups OR'd, filters AND'd, one
 * sort, ≤ 200 per page, no paging past 10,000 results, and an index that lags
 * behind writes (see SearchLag).
 */
export const SEARCH_LIMITS = { maxGroups: 5, maxFiltersPerGroup: 6, maxFilters: 18, maxLimit: 200, maxResults: 10_000, maxQueryLength: 3000 } as const;

export const SEARCH_OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;
export type SearchOperator = (typeof SEARCH_OPERATORS)[number];

export type SearchFilter = { propertyName: string; operator: SearchOperator; value?: string | number | boolean | undefined; values?: (string | number)[] | undefined; highValue?: string | number | undefined };
export type SearchSort = { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' };
export type SearchQuery = { filterGroups: { filters: SearchFilter[] }[]; sort: SearchSort | null; query: string | null };

type Predicate = (record: SimRecord) => boolean;

const TEXT_FIELDS: Record<ObjectTypeName, readonly string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'company', 'phone'],
  deals: ['dealname'],
  meetings: ['hs_meeting_title'],
};

const ASSOCIATION_PSEUDO: Record<ObjectTypeName, Partial<Record<string, { kind: AssociationKind; contactSide: boolean }>>> = {
  contacts: { 'associations.deal': { kind: 'deal_contact', contactSide: true }, 'associations.meeting': { kind: 'meeting_contact', contactSide: true } },
  deals: { 'associations.contact': { kind: 'deal_contact', contactSide: false } },
  meetings: { 'associations.contact': { kind: 'meeting_contact', contactSide: false } },
};

function parseFilterTime(raw: string): number {
  if (/^-?\d+$/.test(raw)) return Number(raw);
  const parsed = Date.parse(raw);
  if (Number.isNaN(parsed)) throw validationError(`${raw} is not a valid date or timestamp`);
  return parsed;
}

type Kind = 'time' | 'number' | 'text';

function kindOf(property: SchemaProperty): Kind {
  if (property.isTime) return 'time';
  if (property.definition.type === 'number') return 'number';
  return 'text';
}

function toComparable(kind: Kind, value: StoredValue): number | string {
  if (kind === 'text') return String(value).toLowerCase();
  return typeof value === 'number' ? value : Number(value);
}

function operand(kind: Kind, raw: string | number | boolean | undefined, filter: SearchFilter): number | string {
  if (raw === undefined) throw validationError(`Filter on ${filter.propertyName} with operator ${filter.operator} needs a value`);
  const text = String(raw);
  if (kind === 'time') return parseFilterTime(text);
  if (kind === 'number') {
    const n = Number(text);
    if (Number.isNaN(n)) throw validationError(`${text} is not a valid number for ${filter.propertyName}`);
    return n;
  }
  return text.toLowerCase();
}

function tokenMatcher(pattern: string): (text: string) => boolean {
  const escaped = pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const re = new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, 'i');
  return (text) => re.test(text);
}

function compileFilter(portal: Portal, objectType: ObjectTypeName, schema: ObjectSchema, filter: SearchFilter): Predicate {
  const pseudo = ASSOCIATION_PSEUDO[objectType][filter.propertyName];
  if (pseudo) {
    const ids = filter.operator === 'IN' ? (filter.values ?? []) : [filter.value];
    const allowed = new Set<number>();
    for (const raw of ids) {
      const id = Number(raw);
      const linked = pseudo.contactSide ? portal.associations.contactsOf(pseudo.kind, id) : portal.associations.othersOfContact(pseudo.kind, id);
      for (const l of linked) allowed.add(l);
    }
    if (filter.operator !== 'EQ' && filter.operator !== 'IN') throw validationError(`${filter.propertyName} supports only EQ and IN`);
    return (record) => allowed.has(record.id);
  }
  const property = schema.get(filter.propertyName);
  if (!property) throw validationError(`There was a problem with the request. Property ${filter.propertyName} does not exist for ${objectType}.`, { subCategory: 'PROPERTY_DOESNT_EXIST' });
  const kind = kindOf(property);
  const read = (record: SimRecord): number | string | undefined => {
    const value = readValue(record, property);
    return value === undefined || value === '' ? undefined : toComparable(kind, value);
  };
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return (r) => read(r) !== undefined;
    case 'NOT_HAS_PROPERTY':
      return (r) => read(r) === undefined;
    case 'EQ':
    case 'NEQ': {
      const target = operand(kind, filter.value, filter);
      const multi = property.definition.fieldType === 'checkbox';
      const equals = (v: number | string | undefined) => v !== undefined && (v === target || (multi && typeof v === 'string' && v.split(';').includes(String(target))));
      return filter.operator === 'EQ' ? (r) => equals(read(r)) : (r) => !equals(read(r));
    }
    case 'LT':
    case 'LTE':
    case 'GT':
    case 'GTE': {
      const target = operand(kind, filter.value, filter);
      const op = filter.operator;
      return (r) => {
        const v = read(r);
        if (v === undefined) return false;
        return op === 'LT' ? v < target : op === 'LTE' ? v <= target : op === 'GT' ? v > target : v >= target;
      };
    }
    case 'BETWEEN': {
      const low = operand(kind, filter.value, filter);
      const high = operand(kind, filter.highValue, filter);
      return (r) => {
        const v = read(r);
        return v !== undefined && v >= low && v <= high;
      };
    }
    case 'IN':
    case 'NOT_IN': {
      if (!filter.values || filter.values.length === 0) throw validationError(`Filter on ${filter.propertyName} with operator ${filter.operator} needs values`);
      const set = new Set(filter.values.map((v) => operand(kind, v, filter)));
      return filter.operator === 'IN'
        ? (r) => {
            const v = read(r);
            return v !== undefined && set.has(v);
          }
        : (r) => {
            const v = read(r);
            return v === undefined || !set.has(v);
          };
    }
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const matches = tokenMatcher(String(filter.value ?? ''));
      const contains = (r: SimRecord) => {
        const v = readValue(r, property);
        return v !== undefined && matches(String(v));
      };
      return filter.operator === 'CONTAINS_TOKEN' ? contains : (r) => !contains(r);
    }
  }
}

function compileQuery(schema: ObjectSchema, objectType: ObjectTypeName, query: string): Predicate {
  const tokens = query.toLowerCase().split(/\s+/).filter((t) => t !== '');
  const fields = TEXT_FIELDS[objectType].map((n) => schema.get(n)).filter((p): p is SchemaProperty => p !== undefined);
  return (record) =>
    tokens.every((token) =>
      fields.some((field) => {
        const v = readValue(record, field);
        return v !== undefined && String(v).toLowerCase().split(/[\s@.\-–]+/).some((word) => word.startsWith(token));
      }),
    );
}

function compileSort(schema: ObjectSchema, sort: SearchSort): (a: SimRecord, b: SimRecord) => number {
  const property = schema.get(sort.propertyName);
  if (!property) throw validationError(`Property ${sort.propertyName} does not exist and cannot be used to sort.`);
  const kind = kindOf(property);
  const sign = sort.direction === 'DESCENDING' ? -1 : 1;
  const keys = new Map<SimRecord, number | string | undefined>();
  const key = (r: SimRecord) => {
    if (keys.has(r)) return keys.get(r);
    const value = readValue(r, property);
    const k = value === undefined || value === '' ? undefined : toComparable(kind, value);
    keys.set(r, k);
    return k;
  };
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === undefined || kb === undefined) return ka === kb ? a.id - b.id : ka === undefined ? 1 : -1;
    if (ka < kb) return -sign;
    if (ka > kb) return sign;
    return a.id - b.id;
  };
}

type CacheEntry = { key: string; matches: SimRecord[] };
const caches = new WeakMap<Portal, CacheEntry[]>();
const CACHE_SIZE = 16;

/** All matches, sorted; repeated pages of one query reuse the sorted list until anything changes. */
export function findMatches(portal: Portal, objectType: ObjectTypeName, search: SearchQuery, now: number): SimRecord[] {
  const store = portal.stores[objectType];
  const lag = portal.searchLag[objectType];
  const lagging = lag.lagging(now);
  const key = `${objectType}|${store.version}|${lag.version}|${JSON.stringify(search)}`;
  const cache = caches.get(portal) ?? [];
  caches.set(portal, cache);
  const hit = cache.find((entry) => entry.key === key);
  if (hit) return hit.matches;

  const schema = portal.schemas[objectType];
  const groups = search.filterGroups.map((group) => group.filters.map((f) => compileFilter(portal, objectType, schema, f)));
  const query = search.query ? compileQuery(schema, objectType, search.query) : null;
  const matches: SimRecord[] = [];
  for (const live of store.records) {
    let record: SimRecord = live;
    const pending = lagging.size > 0 ? lagging.get(live.id) : undefined;
    if (pending) {
      if (!pending.snapshot) continue;
      record = pending.snapshot;
    } else if (!live.isActive) continue;
    if (groups.length > 0 && !groups.some((filters) => filters.every((f) => f(record)))) continue;
    if (query && !query(record)) continue;
    matches.push(record);
  }
  if (search.sort) matches.sort(compileSort(schema, search.sort));
  cache.push({ key, matches });
  if (cache.length > CACHE_SIZE) cache.shift();
  return matches;
}
