import { AssociationStore } from './associations';
import { PIPELINES, type ObjectTypeName, type Pipeline } from './catalog';
import { RecordStore, SimRecord } from './records';
import { createObjectSchema, type ObjectSchema } from './schema';

/**
 * One simulated HubSpot account: its settings, owners, schemas, records,
 * associations, merges and the search index's lag. Mutations live in
 * mutations.ts; this module holds state only.
 */
export type PortalSpec = {
  portalId?: number;
  contacts?: number;
  deals?: number;
  meetings?: number;
  timeZone?: string;
  companyCurrency?: string;
  additionalCurrencies?: string[];
  /** Optional scopes this account cannot grant; they are dropped from tokens, as HubSpot does. */
  unavailableScopes?: string[];
  /** Whether the subscription includes the analytics sources report (default true; false: 403). */
  analytics?: boolean;
};

export type Owner = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  userIdIncludingInactive: number;
  type: 'PERSON' | 'QUEUE';
  teams: { id: string; name: string; primary: boolean }[];
  archived: boolean;
  createdAt: string;
  updatedAt: string;
};

export type AccountDetails = {
  portalId: number;
  accountType: 'STANDARD';
  timeZone: string;
  companyCurrency: string;
  additionalCurrencies: string[];
  utcOffset: string;
  utcOffsetMilliseconds: number;
  uiDomain: string;
  dataHostingLocation: string;
};

export type MergeRecord = { objectType: ObjectTypeName; primaryId: number; mergedId: number; at: number };

export type ChangeSource = { changeSource: string; sourceId?: string; userId?: number };

/** What happened, as the webhook dispatcher needs it. */
export type ChangeEvent = {
  objectType: ObjectTypeName;
  objectId: number;
  occurredAt: number;
  changeSource: string;
  sourceId?: string;
} & (
  | { kind: 'creation' }
  | { kind: 'deletion' }
  | { kind: 'restore' }
  | { kind: 'privacyDeletion' }
  | { kind: 'propertyChange'; propertyName: string; propertyValue: string }
  | {
      kind: 'merge';
      primaryObjectId: number;
      mergedObjectIds: number[];
      newObjectId: number;
      numberOfPropertiesMoved: number;
    }
  | {
      kind: 'associationChange';
      associationType: string;
      fromObjectId: number;
      toObjectId: number;
      associationRemoved: boolean;
    }
);

/** Fixed rates against USD, so that amount_in_home_currency is reproducible. */
export const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CAD: 0.73,
  AUD: 0.66,
  JPY: 0.0067,
};

type PendingIndexEntry = { visibleAt: number; snapshot: SimRecord | null };

/**
 * Search's eventual consistency: a changed record keeps answering search with
 * the state it had before its first unindexed change until `delayMs` after its
 * latest change; a new record is invisible for that long.
 */
export class SearchLag {
  private readonly pending = new Map<number, PendingIndexEntry>();
  version = 0;

  constructor(readonly delayMs: number) {}

  beforeChange(record: SimRecord | null, id: number, now: number): void {
    if (this.delayMs <= 0) return;
    const existing = this.pending.get(id);
    if (existing) {
      existing.visibleAt = now + this.delayMs;
      return;
    }
    let snapshot: SimRecord | null = null;
    if (record && record.isActive) {
      snapshot = new SimRecord(record.id, record.createdAt, record.updatedAt, record.values.slice());
      snapshot.history = record.history;
    }
    this.pending.set(id, { visibleAt: now + this.delayMs, snapshot });
    this.version++;
  }

  /** Drops entries the index has caught up with; returns the lagging ones. */
  lagging(now: number): ReadonlyMap<number, PendingIndexEntry> {
    for (const [id, entry] of this.pending) {
      if (entry.visibleAt <= now) {
        this.pending.delete(id);
        this.version++;
      }
    }
    return this.pending;
  }
}

export class Portal {
  readonly schemas: Record<ObjectTypeName, ObjectSchema>;
  readonly stores: Record<ObjectTypeName, RecordStore>;
  readonly searchLag: Record<ObjectTypeName, SearchLag>;
  readonly associations = new AssociationStore();
  readonly pipelines: readonly Pipeline[] = PIPELINES;
  readonly merges: MergeRecord[] = [];
  private readonly listeners: ((events: ChangeEvent[]) => void)[] = [];

  constructor(
    readonly id: number,
    readonly ordinal: number,
    readonly account: AccountDetails,
    readonly owners: Owner[],
    readonly unavailableScopes: readonly string[],
    searchConsistencyMs: number,
  ) {
    const context = {
      owners: owners.filter((o) => !o.archived),
      currencies: [account.companyCurrency, ...account.additionalCurrencies],
    };
    this.schemas = {
      contacts: createObjectSchema('contacts', context),
      deals: createObjectSchema('deals', context),
      meetings: createObjectSchema('meetings', context),
      calls: createObjectSchema('calls', context),
      emails: createObjectSchema('emails', context),
    };
    // Ids are large and distinct per portal and type: an app that stores them in 32-bit columns, or mixes portals, fails loudly.
    this.stores = {
      contacts: new RecordStore(100_000_000_001 + ordinal * 1_000_000_000),
      deals: new RecordStore(200_000_000_001 + ordinal * 1_000_000_000),
      meetings: new RecordStore(300_000_000_001 + ordinal * 1_000_000_000),
      calls: new RecordStore(400_000_000_001 + ordinal * 1_000_000_000),
      emails: new RecordStore(500_000_000_001 + ordinal * 1_000_000_000),
    };
    this.searchLag = {
      contacts: new SearchLag(searchConsistencyMs),
      deals: new SearchLag(searchConsistencyMs),
      meetings: new SearchLag(searchConsistencyMs),
      calls: new SearchLag(searchConsistencyMs),
      emails: new SearchLag(searchConsistencyMs),
    };
  }

  get homeCurrency(): string {
    return this.account.companyCurrency;
  }

  /** Converts an amount in `currency` to the company currency with the fixed rates. */
  toHomeCurrency(amount: number, currency: string): number {
    const from = USD_RATES[currency] ?? 1;
    const to = USD_RATES[this.account.companyCurrency] ?? 1;
    return Math.round(((amount * from) / to) * 100) / 100;
  }

  onChange(listener: (events: ChangeEvent[]) => void): void {
    this.listeners.push(listener);
  }

  emit(events: ChangeEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) listener(events);
  }
}

/** "-05:00" and its milliseconds for a time zone at a moment (DST-aware). */
export function describeUtcOffset(
  timeZone: string,
  at: number,
): { utcOffset: string; utcOffsetMilliseconds: number } {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return { utcOffset: '+00:00', utcOffsetMilliseconds: 0 };
  const sign = match[1] === '-' ? -1 : 1;
  const ms = sign * (Number(match[2]) * 3_600_000 + Number(match[3]) * 60_000);
  return { utcOffset: `${match[1]}${match[2]}:${match[3]}`, utcOffsetMilliseconds: ms };
}
