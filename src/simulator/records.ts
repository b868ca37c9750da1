import type { SchemaProperty } from './schema';

/**
 * Compact storage for CRM records. A record keeps one value slot per schema
 * property (times as epoch-ms numbers, everything else as the wire string, with
 * repeated strings interned by the generator) and one flat, chronological
 * history list holding only the properties whose changes were recorded. Any
 * other property's history is synthesised on read as one version set at
 * creation, which is what HubSpot shows for a value set once.
 */
export type StoredValue = string | number;

export type HistorySource = {
  readonly sourceType: string;
  readonly sourceId?: string;
  readonly sourceLabel?: string;
  readonly updatedByUserId?: number;
};

export class HistoryEntry {
  constructor(
    readonly property: number,
    /** '' records a cleared value. */
    readonly value: StoredValue,
    readonly timestamp: number,
    readonly source: HistorySource,
  ) {}
}

export class SimRecord {
  values: (StoredValue | undefined)[];
  history: HistoryEntry[] | null = null;
  archivedAt = 0;
  /** The survivor's id once this record was merged away. */
  mergedInto = 0;

  constructor(
    readonly id: number,
    public createdAt: number,
    public updatedAt: number,
    values: (StoredValue | undefined)[] = [],
  ) {
    this.values = values;
  }

  get isActive(): boolean {
    return this.archivedAt === 0 && this.mergedInto === 0;
  }
}

const sourceCache = new Map<string, HistorySource>();

/** Interns history sources so that thousands of versions share one object. */
export function internSource(source: HistorySource): HistorySource {
  const key = `${source.sourceType}|${source.sourceId ?? ''}|${source.sourceLabel ?? ''}|${source.updatedByUserId ?? ''}`;
  let cached = sourceCache.get(key);
  if (!cached) {
    cached = Object.freeze({ ...source });
    sourceCache.set(key, cached);
  }
  return cached;
}

export function readValue(record: SimRecord, property: SchemaProperty): StoredValue | undefined {
  switch (property.virtual) {
    case 'id':
      return record.id;
    case 'createdAt':
      return record.createdAt;
    case 'updatedAt':
      return record.updatedAt;
    default:
      return record.values[property.index];
  }
}

export function renderValue(property: SchemaProperty, value: StoredValue): string {
  if (typeof value === 'number') {
    if (property.isTime) {
      return property.definition.type === 'date'
        ? new Date(value).toISOString().slice(0, 10)
        : new Date(value).toISOString();
    }
    return String(value);
  }
  return value;
}

/** Chronological versions of one property: the recorded ones, or one synthesised from the current value. */
export function readHistory(record: SimRecord, property: SchemaProperty): HistoryEntry[] {
  const recorded = record.history ? record.history.filter((entry) => entry.property === property.index) : [];
  if (recorded.length > 0) return recorded;
  const value = readValue(record, property);
  if (value === undefined) return [];
  const timestamp = property.virtual === 'updatedAt' ? record.updatedAt : record.createdAt;
  return [
    new HistoryEntry(
      property.index,
      value,
      timestamp,
      internSource({ sourceType: property.historySourceType }),
    ),
  ];
}

/**
 * Sets a value and records the version. The first recorded change of a
 * property also records the value it replaces, so history stays complete.
 */
export function writeValue(
  record: SimRecord,
  property: SchemaProperty,
  value: StoredValue | undefined,
  timestamp: number,
  source: HistorySource,
): void {
  const history = (record.history ??= []);
  const previous = record.values[property.index];
  if (previous !== undefined && !history.some((entry) => entry.property === property.index)) {
    history.unshift(
      new HistoryEntry(
        property.index,
        previous,
        record.createdAt,
        internSource({ sourceType: property.historySourceType }),
      ),
    );
  }
  record.values[property.index] = value;
  history.push(new HistoryEntry(property.index, value ?? '', timestamp, internSource(source)));
}

/** Records a version without the "replaced value" bookkeeping; used by the generator, which writes history in order. */
export function appendHistory(
  record: SimRecord,
  property: SchemaProperty,
  value: StoredValue,
  timestamp: number,
  source: HistorySource,
): void {
  (record.history ??= []).push(new HistoryEntry(property.index, value, timestamp, source));
  record.values[property.index] = value;
}

export class RecordStore {
  /** Ascending by id: ids only grow, so appending keeps the order and list cursors are ids. */
  readonly records: SimRecord[] = [];
  readonly byId = new Map<number, SimRecord>();
  /** Bumped on every change; search caches key on it. */
  version = 0;

  constructor(public nextId: number) {}

  allocateId(step = 1): number {
    const id = this.nextId;
    this.nextId += step;
    return id;
  }

  insert(record: SimRecord): void {
    const last = this.records[this.records.length - 1];
    if (last && last.id >= record.id) throw new Error(`record ids must grow (${record.id} after ${last.id})`);
    this.records.push(record);
    this.byId.set(record.id, record);
    if (record.id >= this.nextId) this.nextId = record.id + 1;
    this.version++;
  }

  get(id: number): SimRecord | undefined {
    return this.byId.get(id);
  }

  /** Follows merges to the surviving record, as HubSpot resolves a merged-away id. */
  resolve(id: number): SimRecord | undefined {
    let record = this.byId.get(id);
    for (let hops = 0; record && record.mergedInto !== 0 && hops < 64; hops++)
      record = this.byId.get(record.mergedInto);
    return record;
  }

  /** Permanently removes a record (GDPR delete). */
  remove(id: number): boolean {
    const record = this.byId.get(id);
    if (!record) return false;
    this.byId.delete(id);
    const index = this.lowerBound(id);
    if (this.records[index] === record) this.records.splice(index, 1);
    this.version++;
    return true;
  }

  /** Index of the first record whose id is ≥ id. */
  lowerBound(id: number): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.records[mid] as SimRecord).id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get size(): number {
    return this.records.length;
  }
}
