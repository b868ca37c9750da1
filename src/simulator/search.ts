import type { AssociationKind } from './associations';
import type { ObjectTypeName } from './catalog';
import { validationError } from './errors';
import type { Portal } from './portal';
import { readValue, type RecordStore, type SimRecord, type StoredValue } from './records';
import type { ObjectSchema, SchemaProperty } from './schema';

/**
 * CRM search as HubSpot documents it: filter groups OR'd, filters AND'd, one
 * sort, ≤ 200 per page, no paging past 10,000 results, and an index that lags
 * behind writes (see SearchLag).
 */
export const SEARCH_LIMITS = {
  maxGroups: 5,
  maxFiltersPerGroup: 6,
  maxFilters: 18,
  maxLimit: 200,
  maxResults: 10_000,
  maxQueryLength: 3000,
} as const;

export const SEARCH_OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;
export type SearchOperator = (typeof SEARCH_OPERATORS)[number];

export type SearchFilter = {
  propertyName: string;
  operator: SearchOperator;
  value?: string | number | boolean | undefined;
  values?: (string | number)[] | undefined;
  highValue?: string | number | undefined;
};
export type SearchSort = { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' };
export type SearchQuery = {
  filterGroups: { filters: SearchFilter[] }[];
  sort: SearchSort | null;
  query: string | null;
};

type Predicate = (record: SimRecord) => boolean;

const TEXT_FIELDS: Record<ObjectTypeName, readonly string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'company', 'phone'],
  deals: ['dealname'],
  meetings: ['hs_meeting_title'],
  calls: ['hs_call_title'],
  emails: ['hs_email_subject'],
};

const ASSOCIATION_PSEUDO: Record<
  ObjectTypeName,
  Partial<Record<string, { kind: AssociationKind; contactSide: boolean }>>
> = {
  contacts: {
    'associations.deal': { kind: 'deal_contact', contactSide: true },
    'associations.meeting': { kind: 'meeting_contact', contactSide: true },
    'associations.call': { kind: 'call_contact', contactSide: true },
    'associations.email': { kind: 'email_contact', contactSide: true },
  },
  deals: { 'associations.contact': { kind: 'deal_contact', contactSide: false } },
  meetings: { 'associations.contact': { kind: 'meeting_contact', contactSide: false } },
  calls: { 'associations.contact': { kind: 'call_contact', contactSide: false } },
  emails: { 'associations.contact': { kind: 'email_contact', contactSide: false } },
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

function operand(
  kind: Kind,
  raw: string | number | boolean | undefined,
  filter: SearchFilter,
): number | string {
  if (raw === undefined)
    throw validationError(`Filter on ${filter.propertyName} with operator ${filter.operator} needs a value`);
  const text = String(raw);
  if (kind === 'time') return parseFilterTime(text);
  if (kind === 'number') {
    const n = Number(text);
    if (Number.isNaN(n)) throw validationError(`${text} is not a valid number for ${filter.propertyName}`);
    return n;
  }
  return text.toLowerCase();
}

/** A reader specialised per property: search scans every record, so the hot path avoids generic dispatch. */
function compileReader(
  property: SchemaProperty,
  kind: Kind,
): (record: SimRecord) => number | string | undefined {
  switch (property.virtual) {
    case 'id':
      return (r) => r.id;
    case 'createdAt':
      return (r) => r.createdAt;
    case 'updatedAt':
      return (r) => r.updatedAt;
    default:
      break;
  }
  const index = property.index;
  if (kind === 'time') {
    return (r) => {
      const v = r.values[index];
      return v === undefined || v === '' ? undefined : typeof v === 'number' ? v : Number(v);
    };
  }
  return (r) => {
    const v = r.values[index];
    return v === undefined || v === '' ? undefined : toComparable(kind, v);
  };
}

function tokenMatcher(pattern: string): (text: string) => boolean {
  const escaped = pattern
    .toLowerCase()
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*');
  const re = new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, 'i');
  return (text) => re.test(text);
}

function compileFilter(
  portal: Portal,
  objectType: ObjectTypeName,
  schema: ObjectSchema,
  filter: SearchFilter,
): Predicate {
  const pseudo = ASSOCIATION_PSEUDO[objectType][filter.propertyName];
  if (pseudo) {
    const ids = filter.operator === 'IN' ? (filter.values ?? []) : [filter.value];
    const allowed = new Set<number>();
    for (const raw of ids) {
      const id = Number(raw);
      const linked = pseudo.contactSide
        ? portal.associations.contactsOf(pseudo.kind, id)
        : portal.associations.othersOfContact(pseudo.kind, id);
      for (const l of linked) allowed.add(l);
    }
    if (filter.operator !== 'EQ' && filter.operator !== 'IN')
      throw validationError(`${filter.propertyName} supports only EQ and IN`);
    return (record) => allowed.has(record.id);
  }
  const property = schema.get(filter.propertyName);
  if (!property)
    throw validationError(
      `There was a problem with the request. Property ${filter.propertyName} does not exist for ${objectType}.`,
      { subCategory: 'PROPERTY_DOESNT_EXIST' },
    );
  const kind = kindOf(property);
  const read = compileReader(property, kind);
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return (r) => read(r) !== undefined;
    case 'NOT_HAS_PROPERTY':
      return (r) => read(r) === undefined;
    case 'EQ':
    case 'NEQ': {
      const target = operand(kind, filter.value, filter);
      const multi = property.definition.fieldType === 'checkbox';
      const equals = (v: number | string | undefined) =>
        v !== undefined &&
        (v === target || (multi && typeof v === 'string' && v.split(';').includes(String(target))));
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
      if (!filter.values || filter.values.length === 0)
        throw validationError(
          `Filter on ${filter.propertyName} with operator ${filter.operator} needs values`,
        );
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
  const tokens = query
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  const fields = TEXT_FIELDS[objectType]
    .map((n) => schema.get(n))
    .filter((p): p is SchemaProperty => p !== undefined);
  return (record) =>
    tokens.every((token) =>
      fields.some((field) => {
        const v = readValue(record, field);
        return (
          v !== undefined &&
          String(v)
            .toLowerCase()
            .split(/[\s@.\-–]+/)
            .some((word) => word.startsWith(token))
        );
      }),
    );
}

function compileSort(schema: ObjectSchema, sort: SearchSort): (a: SimRecord, b: SimRecord) => number {
  const property = schema.get(sort.propertyName);
  if (!property)
    throw validationError(`Property ${sort.propertyName} does not exist and cannot be used to sort.`);
  const read = compileReader(property, kindOf(property));
  const sign = sort.direction === 'DESCENDING' ? -1 : 1;
  const keys = new Map<SimRecord, number | string | undefined>();
  const key = (r: SimRecord) => {
    let k = keys.get(r);
    if (k === undefined && !keys.has(r)) {
      k = read(r);
      keys.set(r, k);
    }
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

function combineAll(filters: Predicate[]): Predicate {
  if (filters.length === 1) return filters[0] as Predicate;
  if (filters.length === 2) {
    const [a, b] = filters as [Predicate, Predicate];
    return (r) => a(r) && b(r);
  }
  return (r) => filters.every((f) => f(r));
}

type TimeColumns = { version: number; createdAt: Float64Array; updatedAt: Float64Array };
const columnCache = new WeakMap<RecordStore, TimeColumns>();

/** Create and modify times as flat columns, rebuilt when the store changes: a range scan over them avoids touching every record. */
function timeColumnsOf(store: RecordStore): TimeColumns {
  const cached = columnCache.get(store);
  if (cached && cached.version === store.version) return cached;
  const n = store.records.length;
  const columns: TimeColumns = {
    version: store.version,
    createdAt: new Float64Array(n),
    updatedAt: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const record = store.records[i] as SimRecord;
    columns.createdAt[i] = record.createdAt;
    columns.updatedAt[i] = record.updatedAt;
  }
  columnCache.set(store, columns);
  return columns;
}

const RANGE_OPERATORS = new Set<SearchOperator>(['EQ', 'GT', 'GTE', 'LT', 'LTE', 'BETWEEN']);

/**
 * The records worth evaluating: all of them, or, when the only filter group
 * bounds the create or modify time (the incremental-sync query), those inside
 * the bounds plus every record whose indexed state lags (its indexed time may differ).
 * The full filters still run on each candidate, so this only narrows.
 */
function candidatesOf(
  store: RecordStore,
  schema: ObjectSchema,
  search: SearchQuery,
  lagging: ReadonlyMap<number, unknown>,
): readonly SimRecord[] {
  if (search.filterGroups.length !== 1) return store.records;
  let low = -Infinity;
  let high = Infinity;
  let column: 'createdAt' | 'updatedAt' | null = null;
  for (const filter of (search.filterGroups[0] as { filters: SearchFilter[] }).filters) {
    const virtual = schema.get(filter.propertyName)?.virtual;
    if ((virtual !== 'createdAt' && virtual !== 'updatedAt') || !RANGE_OPERATORS.has(filter.operator))
      continue;
    if (column !== null && column !== virtual) continue;
    const value = operand('time', filter.value, filter);
    column = virtual;
    if (
      filter.operator === 'EQ' ||
      filter.operator === 'GT' ||
      filter.operator === 'GTE' ||
      filter.operator === 'BETWEEN'
    )
      low = Math.max(low, value as number);
    if (filter.operator === 'EQ' || filter.operator === 'LT' || filter.operator === 'LTE')
      high = Math.min(high, value as number);
    if (filter.operator === 'BETWEEN')
      high = Math.min(high, operand('time', filter.highValue, filter) as number);
  }
  if (column === null) return store.records;
  const values = timeColumnsOf(store)[column];
  const picked: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v >= low && v <= high) picked.push(i);
  }
  if (lagging.size > 0) {
    const seen = new Set(picked);
    for (const id of lagging.keys()) {
      const index = store.lowerBound(id);
      if (store.records[index]?.id === id && !seen.has(index)) picked.push(index);
    }
    picked.sort((a, b) => a - b);
  }
  return picked.map((i) => store.records[i] as SimRecord);
}

type CacheEntry = { key: string; matches: SimRecord[] };
const caches = new WeakMap<Portal, CacheEntry[]>();
const CACHE_SIZE = 16;

/** All matches, sorted; repeated pages of one query reuse the sorted list until anything changes. */
export function findMatches(
  portal: Portal,
  objectType: ObjectTypeName,
  search: SearchQuery,
  now: number,
): SimRecord[] {
  const store = portal.stores[objectType];
  const lag = portal.searchLag[objectType];
  const lagging = lag.lagging(now);
  const key = `${objectType}|${store.version}|${lag.version}|${portal.associations.version}|${JSON.stringify(search)}`;
  const cache = caches.get(portal) ?? [];
  caches.set(portal, cache);
  const hit = cache.find((entry) => entry.key === key);
  if (hit) return hit.matches;

  const schema = portal.schemas[objectType];
  const groups = search.filterGroups.map((group) =>
    combineAll(group.filters.map((f) => compileFilter(portal, objectType, schema, f))),
  );
  const matchesFilters =
    groups.length === 0
      ? null
      : groups.length === 1
        ? (groups[0] as Predicate)
        : (r: SimRecord) => groups.some((g) => g(r));
  const query = search.query ? compileQuery(schema, objectType, search.query) : null;
  const matches: SimRecord[] = [];
  for (const live of candidatesOf(store, schema, search, lagging)) {
    let record: SimRecord = live;
    const pending = lagging.size > 0 ? lagging.get(live.id) : undefined;
    if (pending) {
      if (!pending.snapshot) continue;
      record = pending.snapshot;
    } else if (!live.isActive) continue;
    if (matchesFilters && !matchesFilters(record)) continue;
    if (query && !query(record)) continue;
    matches.push(record);
  }
  if (search.sort) matches.sort(compileSort(schema, search.sort));
  cache.push({ key, matches });
  if (cache.length > CACHE_SIZE) cache.shift();
  return matches;
}
