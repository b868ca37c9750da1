import type { CrmObject, HistoryVersion } from '../hubspot/schemas';
import type { ActivityKind } from './mirror.tables';

/**
 * HubSpot objects (every value a string) → mirror rows. Pure: no I/O, no clock. A value
 * that does not parse (a non-numeric amount, a bad date) becomes null and is reported
 * through `warn`, so one bad record never fails a page.
 */
export type MapWarning = { objectType: string; id: string; property: string; value: string; reason: string };
export type Warn = (warning: MapWarning) => void;

/** What the sync asks HubSpot for; everything not mapped to a typed column lands in `properties`. */
export const CONTACT_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'company',
  'jobtitle',
  'createdate',
  'lastmodifieddate',
  'lifecyclestage',
  'hubspot_owner_id',
  'hs_analytics_source',
  'hs_analytics_source_data_1',
  'hs_analytics_source_data_2',
  'hs_latest_source',
  'hs_latest_source_data_1',
  'hs_latest_source_data_2',
  'hs_latest_source_timestamp',
  'hs_analytics_first_timestamp',
  'hs_analytics_first_visit_timestamp',
  'hs_analytics_num_page_views',
  'hs_analytics_num_visits',
  'first_conversion_date',
  'first_conversion_event_name',
  'recent_conversion_date',
  'recent_conversion_event_name',
  'hs_v2_date_entered_customer',
  'hs_merged_object_ids',
] as const;
export const CONTACT_HISTORY = [
  'lifecyclestage',
  'hs_latest_source',
  'hs_analytics_source',
  'first_conversion_date',
  'recent_conversion_date',
] as const;

export const DEAL_PROPERTIES = [
  'dealname',
  'amount',
  'amount_in_home_currency',
  'deal_currency_code',
  'pipeline',
  'dealstage',
  'hubspot_owner_id',
  'createdate',
  'closedate',
  'hs_lastmodifieddate',
  'hs_is_closed',
  'hs_is_closed_won',
  'hs_analytics_source',
  'hs_analytics_source_data_1',
  'hs_analytics_source_data_2',
  'dealtype',
  'hs_merged_object_ids',
] as const;
export const DEAL_HISTORY = ['dealstage'] as const;

export const MEETING_PROPERTIES = [
  'hs_timestamp',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hs_meeting_title',
  'hs_meeting_start_time',
  'hs_meeting_end_time',
  'hs_meeting_outcome',
  'hs_meeting_source',
  'hubspot_owner_id',
] as const;

export type ContactRowInput = {
  portal_id: number;
  contact_id: number;
  email: string | null;
  created_at: Date;
  updated_at: Date;
  lifecycle_stage: string | null;
  owner_id: string | null;
  analytics_source: string | null;
  analytics_source_data_1: string | null;
  analytics_source_data_2: string | null;
  latest_source: string | null;
  latest_source_at: Date | null;
  first_visit_at: Date | null;
  first_conversion_at: Date | null;
  recent_conversion_at: Date | null;
  became_customer_at: Date | null;
  page_views: number | null;
  visits: number | null;
  properties: Record<string, string>;
  archived: boolean;
};

export type DealRowInput = {
  portal_id: number;
  deal_id: number;
  name: string | null;
  pipeline_id: string | null;
  stage_id: string | null;
  amount: number | null;
  amount_home: number | null;
  currency: string | null;
  owner_id: string | null;
  analytics_source: string | null;
  created_at: Date;
  close_date: Date | null;
  is_closed: boolean;
  is_won: boolean;
  updated_at: Date;
  properties: Record<string, string>;
  archived: boolean;
};

export type MeetingRowInput = {
  portal_id: number;
  meeting_id: number;
  occurred_at: Date | null;
  created_at: Date;
  updated_at: Date;
  meeting_source: string | null;
  outcome: string | null;
  owner_id: string | null;
  properties: Record<string, string>;
  archived: boolean;
};

export type LifecycleHistoryRow = {
  portal_id: number;
  contact_id: number;
  changed_at: Date;
  stage: string | null;
  source_type: string | null;
};
export type DealStageHistoryRow = {
  portal_id: number;
  deal_id: number;
  changed_at: Date;
  stage_id: string;
  source_type: string | null;
};
export type TouchRowInput = {
  portal_id: number;
  touch_id: string;
  contact_id: number;
  occurred_at: Date;
  channel: string;
  kind: TouchKind;
  detail_1: string | null;
  detail_2: string | null;
};

export type TouchKind = 'visit' | 'form' | 'meeting';

/** Touch ids carry the contact they were derived from, so a merge can move them and a refresh replace only its own. */
export const TOUCH_ID_PREFIX: Readonly<Record<TouchKind, string>> = { visit: 'v', form: 'f', meeting: 'm' };

const MIN_TIME = Date.UTC(1970, 0, 2);
const MAX_TIME = Date.UTC(2200, 0, 1);

/** Epoch-ms strings and ISO strings (dates or date-times) → Date; anything else → undefined. */
export function parseHubSpotTime(raw: string): Date | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  const ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) return undefined;
  return new Date(ms);
}

function present(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

class Reader {
  constructor(
    private readonly objectType: string,
    private readonly object: Pick<CrmObject, 'id' | 'properties'>,
    private readonly warn: Warn,
  ) {}

  text(name: string): string | null {
    return present(this.object.properties[name]);
  }

  private report(property: string, value: string, reason: string): void {
    this.warn({
      objectType: this.objectType,
      id: this.object.id,
      property,
      value: value.slice(0, 100),
      reason,
    });
  }

  time(name: string): Date | null {
    const raw = this.text(name);
    if (raw === null) return null;
    const parsed = parseHubSpotTime(raw);
    if (!parsed) this.report(name, raw, 'not a date or timestamp');
    return parsed ?? null;
  }

  number(name: string): number | null {
    const raw = this.text(name);
    if (raw === null) return null;
    const n = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isFinite(n) || Math.abs(n) >= 1e14) {
      this.report(name, raw, 'not a number');
      return null;
    }
    return n;
  }

  /**
   * A money amount, kept only when the mirror holds exactly what HubSpot sent: at most 6 decimals
   * (the column is numeric(20, 6)), within ±MAX_EXACT_AMOUNT, and the same decimal once read as a
   * number. Anything else is refused (null, reported), never rounded: a rounded amount would be a
   * wrong figure that nobody sees, a missing one is counted as excluded with its reason.
   */
  money(name: string): number | null {
    const raw = this.text(name);
    if (raw === null) return null;
    const n = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isFinite(n)) {
      this.report(name, raw, 'not a number');
      return null;
    }
    const canonical = canonicalDecimal(raw.trim());
    const decimals = canonical?.split('.')[1]?.length ?? 0;
    if (Math.abs(n) > MAX_EXACT_AMOUNT) {
      this.report(
        name,
        raw,
        `beyond the exact money range of ±${MAX_EXACT_AMOUNT.toFixed(2)} (refused, not rounded)`,
      );
      return null;
    }
    if (canonical === undefined || decimals > 6 || canonicalDecimal(String(n)) !== canonical) {
      this.report(name, raw, 'not exactly representable as an amount (refused, not rounded)');
      return null;
    }
    return n;
  }

  integer(name: string): number | null {
    const n = this.number(name);
    if (n === null) return null;
    if (!Number.isInteger(n) || Math.abs(n) > 2_147_483_647) {
      this.report(name, String(n), 'not a 32-bit integer');
      return null;
    }
    return n;
  }

  flag(name: string): boolean {
    return this.text(name)?.toLowerCase() === 'true';
  }

  /** The requested properties that have no typed column, as sent (nulls left out). */
  rest(requested: readonly string[], typed: ReadonlySet<string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of requested) {
      if (typed.has(name)) continue;
      const v = this.text(name);
      if (v !== null) out[name] = v;
    }
    return out;
  }
}

/**
 * Money is handled in doubles of currency units up to 2^46 (70,368,744,177,663.99): below it a
 * double holds every cent apart; the KPI engine refuses larger amounts and sums with the same bound.
 */
export const MAX_EXACT_AMOUNT = (2 ** 46 * 100 - 1) / 100;

/**
 * A plain decimal (`-0012.50`, `+3.`, `.5`) in one canonical spelling (`-12.5`, `3`, `0.5`);
 * undefined for anything else (exponents included, which HubSpot does not send for amounts).
 */
function canonicalDecimal(text: string): string | undefined {
  const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const whole = m[2]!.replace(/^0+(?=\d)/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const digits = fraction === '' ? whole : `${whole}.${fraction}`;
  return m[1] === '-' && digits !== '0' ? `-${digits}` : digits;
}

export function parseObjectId(raw: string): number {
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id))
    throw new Error(`not a HubSpot object id: ${raw.slice(0, 40)}`);
  return id;
}

function recordTime(reader: Reader, property: string, fallback: string): Date {
  return reader.time(property) ?? parseHubSpotTime(fallback) ?? new Date(0);
}

const CONTACT_TYPED = new Set([
  'email',
  'createdate',
  'lastmodifieddate',
  'lifecyclestage',
  'hubspot_owner_id',
  'hs_analytics_source',
  'hs_analytics_source_data_1',
  'hs_analytics_source_data_2',
  'hs_latest_source',
  'hs_latest_source_timestamp',
  'hs_analytics_first_timestamp',
  'first_conversion_date',
  'recent_conversion_date',
  'hs_v2_date_entered_customer',
  'hs_analytics_num_page_views',
  'hs_analytics_num_visits',
]);

export function mapContact(portalId: number, object: CrmObject, warn: Warn): ContactRowInput {
  const r = new Reader('contact', object, warn);
  return {
    portal_id: portalId,
    contact_id: parseObjectId(object.id),
    email: r.text('email'),
    created_at: parseHubSpotTime(object.createdAt) ?? recordTime(r, 'createdate', ''),
    updated_at: parseHubSpotTime(object.updatedAt) ?? recordTime(r, 'lastmodifieddate', ''),
    lifecycle_stage: r.text('lifecyclestage'),
    owner_id: r.text('hubspot_owner_id'),
    analytics_source: r.text('hs_analytics_source'),
    analytics_source_data_1: r.text('hs_analytics_source_data_1'),
    analytics_source_data_2: r.text('hs_analytics_source_data_2'),
    latest_source: r.text('hs_latest_source'),
    latest_source_at: r.time('hs_latest_source_timestamp'),
    first_visit_at: r.time('hs_analytics_first_timestamp'),
    first_conversion_at: r.time('first_conversion_date'),
    recent_conversion_at: r.time('recent_conversion_date'),
    became_customer_at: r.time('hs_v2_date_entered_customer'),
    page_views: r.integer('hs_analytics_num_page_views'),
    visits: r.integer('hs_analytics_num_visits'),
    properties: r.rest(CONTACT_PROPERTIES, CONTACT_TYPED),
    archived: object.archived ?? false,
  };
}

const DEAL_TYPED = new Set([
  'dealname',
  'amount',
  'amount_in_home_currency',
  'deal_currency_code',
  'pipeline',
  'dealstage',
  'hubspot_owner_id',
  'createdate',
  'closedate',
  'hs_lastmodifieddate',
  'hs_is_closed',
  'hs_is_closed_won',
  'hs_analytics_source',
]);

export function mapDeal(portalId: number, object: CrmObject, warn: Warn): DealRowInput {
  const r = new Reader('deal', object, warn);
  return {
    portal_id: portalId,
    deal_id: parseObjectId(object.id),
    name: r.text('dealname'),
    pipeline_id: r.text('pipeline'),
    stage_id: r.text('dealstage'),
    amount: r.money('amount'),
    amount_home: r.money('amount_in_home_currency'),
    currency: r.text('deal_currency_code'),
    owner_id: r.text('hubspot_owner_id'),
    analytics_source: r.text('hs_analytics_source'),
    created_at: parseHubSpotTime(object.createdAt) ?? recordTime(r, 'createdate', ''),
    close_date: r.time('closedate'),
    is_closed: r.flag('hs_is_closed'),
    is_won: r.flag('hs_is_closed_won'),
    updated_at: parseHubSpotTime(object.updatedAt) ?? recordTime(r, 'hs_lastmodifieddate', ''),
    properties: r.rest(DEAL_PROPERTIES, DEAL_TYPED),
    archived: object.archived ?? false,
  };
}

const MEETING_TYPED = new Set([
  'hs_timestamp',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hs_meeting_source',
  'hs_meeting_outcome',
  'hubspot_owner_id',
]);

export function mapMeeting(portalId: number, object: CrmObject, warn: Warn): MeetingRowInput {
  const r = new Reader('meeting', object, warn);
  return {
    portal_id: portalId,
    meeting_id: parseObjectId(object.id),
    occurred_at: r.time('hs_timestamp') ?? r.time('hs_meeting_start_time'),
    created_at: parseHubSpotTime(object.createdAt) ?? recordTime(r, 'hs_createdate', ''),
    updated_at: parseHubSpotTime(object.updatedAt) ?? recordTime(r, 'hs_lastmodifieddate', ''),
    meeting_source: r.text('hs_meeting_source'),
    outcome: r.text('hs_meeting_outcome'),
    owner_id: r.text('hubspot_owner_id'),
    properties: r.rest(MEETING_PROPERTIES, MEETING_TYPED),
    archived: object.archived ?? false,
  };
}

/** Versions oldest first, one per instant (the newest wins a tie, as HubSpot lists newest first). */
function chronological(
  versions: readonly HistoryVersion[] | undefined,
  objectType: string,
  id: string,
  property: string,
  warn: Warn,
): { at: Date; value: string; sourceType: string | null }[] {
  const byTime = new Map<number, { at: Date; value: string; sourceType: string | null }>();
  for (const v of versions ?? []) {
    const at = parseHubSpotTime(v.timestamp);
    if (!at) {
      warn({
        objectType,
        id,
        property: `${property} (history)`,
        value: v.timestamp.slice(0, 100),
        reason: 'not a date or timestamp',
      });
      continue;
    }
    if (!byTime.has(at.getTime()))
      byTime.set(at.getTime(), { at, value: v.value, sourceType: v.sourceType ?? null });
  }
  return [...byTime.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
}

export function mapLifecycleHistory(portalId: number, object: CrmObject, warn: Warn): LifecycleHistoryRow[] {
  const contactId = parseObjectId(object.id);
  return chronological(
    object.propertiesWithHistory?.lifecyclestage,
    'contact',
    object.id,
    'lifecyclestage',
    warn,
  ).map((v) => ({
    portal_id: portalId,
    contact_id: contactId,
    changed_at: v.at,
    stage: present(v.value),
    source_type: v.sourceType,
  }));
}

export function mapDealStageHistory(portalId: number, object: CrmObject, warn: Warn): DealStageHistoryRow[] {
  const dealId = parseObjectId(object.id);
  return chronological(object.propertiesWithHistory?.dealstage, 'deal', object.id, 'dealstage', warn)
    .filter((v) => v.value !== '')
    .map((v) => ({
      portal_id: portalId,
      deal_id: dealId,
      changed_at: v.at,
      stage_id: v.value,
      source_type: v.sourceType,
    }));
}

export function touchId(kind: TouchKind, originId: number, key: number): string {
  return `${TOUCH_ID_PREFIX[kind]}:${originId}:${key}`;
}

/**
 * A contact's marketing touches (docs/sync.md, "Touches"):
 * - visit: the original source at the first-seen time (drill-downs from hs_analytics_source_data_1/2),
 *   then one per version of hs_latest_source (the newest carries hs_latest_source_data_1/2);
 * - form: one per distinct conversion time in the first/recent conversion date histories,
 *   on the channel of the latest visit at or before it (else the original source).
 * Meetings booked through a scheduling link are derived in SQL from meetings (repository).
 */
export function deriveContactTouches(portalId: number, object: CrmObject, warn: Warn): TouchRowInput[] {
  const contactId = parseObjectId(object.id);
  const r = new Reader('contact', object, warn);
  const history = object.propertiesWithHistory ?? {};
  const createdAt = parseHubSpotTime(object.createdAt);
  const visits = new Map<number, TouchRowInput>();
  const addVisit = (at: Date, channel: string, d1: string | null, d2: string | null) => {
    if (visits.has(at.getTime())) return;
    visits.set(at.getTime(), {
      portal_id: portalId,
      touch_id: touchId('visit', contactId, at.getTime()),
      contact_id: contactId,
      occurred_at: at,
      channel,
      kind: 'visit',
      detail_1: d1,
      detail_2: d2,
    });
  };

  const original = r.text('hs_analytics_source');
  const originalVersions = chronological(
    history.hs_analytics_source,
    'contact',
    object.id,
    'hs_analytics_source',
    warn,
  );
  const latestVersions = chronological(
    history.hs_latest_source,
    'contact',
    object.id,
    'hs_latest_source',
    warn,
  ).filter((v) => v.value !== '');
  if (original) {
    const at =
      r.time('hs_analytics_first_timestamp') ?? originalVersions[0]?.at ?? latestVersions[0]?.at ?? createdAt;
    if (at)
      addVisit(at, original, r.text('hs_analytics_source_data_1'), r.text('hs_analytics_source_data_2'));
  }
  const latestAt = r.time('hs_latest_source_timestamp')?.getTime();
  latestVersions.forEach((v, i) => {
    const newest = i === latestVersions.length - 1 && (latestAt === undefined || latestAt === v.at.getTime());
    addVisit(
      v.at,
      v.value,
      newest ? r.text('hs_latest_source_data_1') : null,
      newest ? r.text('hs_latest_source_data_2') : null,
    );
  });
  const ordered = [...visits.values()].sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime());

  const forms = new Map<number, TouchRowInput>();
  const firstAt = r.time('first_conversion_date')?.getTime();
  const recentAt = r.time('recent_conversion_date')?.getTime();
  const conversionTimes = [
    ...chronological(history.first_conversion_date, 'contact', object.id, 'first_conversion_date', warn),
    ...chronological(history.recent_conversion_date, 'contact', object.id, 'recent_conversion_date', warn),
  ]
    .map((v) => (v.value === '' ? undefined : parseHubSpotTime(v.value)))
    .filter((d): d is Date => d !== undefined);
  if (firstAt !== undefined) conversionTimes.push(new Date(firstAt));
  if (recentAt !== undefined) conversionTimes.push(new Date(recentAt));
  for (const at of conversionTimes) {
    const ms = at.getTime();
    if (forms.has(ms)) continue;
    let channel = original ?? 'OFFLINE';
    for (const v of ordered) {
      if (v.occurred_at.getTime() > ms) break;
      channel = v.channel;
    }
    const name =
      ms === recentAt
        ? r.text('recent_conversion_event_name')
        : ms === firstAt
          ? r.text('first_conversion_event_name')
          : null;
    forms.set(ms, {
      portal_id: portalId,
      touch_id: touchId('form', contactId, ms),
      contact_id: contactId,
      occurred_at: at,
      channel,
      kind: 'form',
      detail_1: name,
      detail_2: null,
    });
  }
  return [
    ...ordered,
    ...[...forms.values()].sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime()),
  ];
}

/** The ids a survivor lists in hs_merged_object_ids ("1;2;3"). */
export function mergedIdsOf(object: Pick<CrmObject, 'properties'>): number[] {
  const raw = object.properties.hs_merged_object_ids;
  if (!raw) return [];
  return raw
    .split(';')
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** Calls and emails (the sales activities besides meetings); the typed columns are what speed to lead reads. */
export const CALL_PROPERTIES = [
  'hs_timestamp',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hubspot_owner_id',
  'hs_call_direction',
  'hs_call_status',
] as const;
export const EMAIL_PROPERTIES = [
  'hs_timestamp',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hubspot_owner_id',
  'hs_email_direction',
  'hs_email_status',
] as const;

export type { ActivityKind };

export type ActivityRowInput = {
  portal_id: number;
  kind: ActivityKind;
  activity_id: number;
  occurred_at: Date | null;
  created_at: Date;
  updated_at: Date;
  email_direction: string | null;
  owner_id: string | null;
  properties: Record<string, string>;
  archived: boolean;
};

const ACTIVITY_TYPED = new Set([
  'hs_timestamp',
  'hs_createdate',
  'hs_lastmodifieddate',
  'hubspot_owner_id',
  'hs_email_direction',
]);

export function mapActivity(
  portalId: number,
  kind: ActivityKind,
  object: CrmObject,
  warn: Warn,
): ActivityRowInput {
  const r = new Reader(kind, object, warn);
  return {
    portal_id: portalId,
    kind,
    activity_id: parseObjectId(object.id),
    occurred_at: r.time('hs_timestamp'),
    created_at: parseHubSpotTime(object.createdAt) ?? recordTime(r, 'hs_createdate', ''),
    updated_at: parseHubSpotTime(object.updatedAt) ?? recordTime(r, 'hs_lastmodifieddate', ''),
    email_direction: kind === 'email' ? r.text('hs_email_direction') : null,
    owner_id: r.text('hubspot_owner_id'),
    properties: r.rest(kind === 'call' ? CALL_PROPERTIES : EMAIL_PROPERTIES, ACTIVITY_TYPED),
    archived: object.archived ?? false,
  };
}
