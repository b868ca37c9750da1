import type { Database } from '../db';
import type { CrmObject, HistoryVersion } from '../hubspot/schemas';
import {
  CONTACT_HISTORY,
  DEAL_HISTORY,
  deriveContactTouches,
  mapContact,
  mapDeal,
  mapDealStageHistory,
  mapLifecycleHistory,
  mapActivity,
  mapMeeting,
  type Warn,
} from './mappers';

/**
 * Postgres against a ground truth of what HubSpot holds (the simulator's, or any dump of
 * the same shape): every live contact, deal, meeting, call and email with the values the mirror
 * keeps, their associations with contacts, lifecycle and deal-stage history, and the touches
 * derived from live contacts — none missing, none extra.
 */
export type GroundTruthRecordLike = {
  id: string;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  mergedInto: string | null;
  properties: Record<string, string>;
  propertiesWithHistory: Record<string, HistoryVersion[]>;
};

export type GroundTruthLike = {
  contacts: GroundTruthRecordLike[];
  deals: GroundTruthRecordLike[];
  meetings: GroundTruthRecordLike[];
  calls: GroundTruthRecordLike[];
  emails: GroundTruthRecordLike[];
  associations: {
    dealContacts: { dealId: string; contactId: string }[];
    meetingContacts: { meetingId: string; contactId: string }[];
    callContacts: { callId: string; contactId: string }[];
    emailContacts: { emailId: string; contactId: string }[];
  };
};

export type Comparison = { matches: boolean; differences: string[]; checked: Record<string, number> };

const MAX_DIFFERENCES = 50;
const ignore: Warn = () => undefined;

/**
 * HubSpot answers a history request for a property with a value but no recorded change
 * with one version at the record's creation; a ground truth may list only recorded ones.
 */
function asCrmObject(r: GroundTruthRecordLike, historyNames: readonly string[]): CrmObject {
  const history: Record<string, HistoryVersion[]> = {};
  for (const name of historyNames) {
    const recorded = r.propertiesWithHistory[name];
    const value = r.properties[name];
    if (recorded && recorded.length > 0) history[name] = recorded;
    else if (value !== undefined && value !== '')
      history[name] = [{ value, timestamp: r.createdAt, sourceType: null }];
  }
  return {
    id: r.id,
    properties: r.properties,
    propertiesWithHistory: history,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    archived: r.archived,
  };
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify(entries);
  }
  return value ?? null;
}

function diffRow(
  label: string,
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  out: string[],
  skip: ReadonlySet<string>,
): void {
  for (const [key, value] of Object.entries(expected)) {
    if (skip.has(key)) continue;
    const a = normalize(actual[key]);
    const e = normalize(value);
    if (a !== e) out.push(`${label}.${key}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
  }
}

const SKIP = new Set(['portal_id', 'synced_at']);

function live(r: GroundTruthRecordLike): boolean {
  return !r.archived && r.mergedInto === null;
}

export async function compareWithGroundTruth(
  db: Database,
  portalId: number,
  truth: GroundTruthLike,
): Promise<Comparison> {
  const differences: string[] = [];
  const add = (d: string) => {
    if (differences.length < MAX_DIFFERENCES) differences.push(d);
    else if (differences.length === MAX_DIFFERENCES) differences.push('… more differences left out');
  };
  const checked: Record<string, number> = {};

  const compareSet = <E extends Record<string, unknown>, A extends Record<string, unknown>>(
    name: string,
    expected: Map<string, E>,
    actual: Map<string, A>,
    skip: ReadonlySet<string> = SKIP,
  ) => {
    checked[name] = expected.size;
    for (const [key, e] of expected) {
      const a = actual.get(key);
      if (!a) {
        add(`${name} ${key}: missing in Postgres`);
        continue;
      }
      const local: string[] = [];
      diffRow(`${name} ${key}`, e, a, local, skip);
      local.forEach(add);
    }
    for (const key of actual.keys())
      if (!expected.has(key)) add(`${name} ${key}: in Postgres, not live in HubSpot`);
  };

  const contacts = truth.contacts.filter(live);
  const deals = truth.deals.filter(live);
  const meetings = truth.meetings.filter(live);
  const contactIds = new Set(contacts.map((c) => c.id));
  const dealIds = new Set(deals.map((d) => d.id));
  const meetingIds = new Set(meetings.map((m) => m.id));

  const [
    pgContacts,
    pgDeals,
    pgMeetings,
    pgDealContacts,
    pgMeetingContacts,
    pgLifecycle,
    pgStages,
    pgTouches,
  ] = await Promise.all([
    db
      .selectFrom('contacts')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('archived', '=', false)
      .where('merged_into', 'is', null)
      .execute(),
    db
      .selectFrom('deals')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('archived', '=', false)
      .execute(),
    db
      .selectFrom('meetings')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('archived', '=', false)
      .execute(),
    db
      .selectFrom('deal_contacts')
      .select(['deal_id', 'contact_id'])
      .where('portal_id', '=', portalId)
      .execute(),
    db
      .selectFrom('meeting_contacts')
      .select(['meeting_id', 'contact_id'])
      .where('portal_id', '=', portalId)
      .execute(),
    db
      .selectFrom('contact_lifecycle_history')
      .select(['contact_id', 'changed_at', 'stage'])
      .where('portal_id', '=', portalId)
      .execute(),
    db
      .selectFrom('deal_stage_history')
      .select(['deal_id', 'changed_at', 'stage_id'])
      .where('portal_id', '=', portalId)
      .execute(),
    db.selectFrom('touches').selectAll().where('portal_id', '=', portalId).execute(),
  ]);

  compareSet(
    'contact',
    new Map(
      contacts.map((c) => [
        c.id,
        mapContact(portalId, asCrmObject(c, CONTACT_HISTORY), ignore) as unknown as Record<string, unknown>,
      ]),
    ),
    new Map(pgContacts.map((r) => [String(r.contact_id), r as unknown as Record<string, unknown>])),
  );
  compareSet(
    'deal',
    new Map(
      deals.map((d) => [
        d.id,
        mapDeal(portalId, asCrmObject(d, DEAL_HISTORY), ignore) as unknown as Record<string, unknown>,
      ]),
    ),
    new Map(pgDeals.map((r) => [String(r.deal_id), r as unknown as Record<string, unknown>])),
  );
  compareSet(
    'meeting',
    new Map(
      meetings.map((m) => [
        m.id,
        mapMeeting(portalId, asCrmObject(m, []), ignore) as unknown as Record<string, unknown>,
      ]),
    ),
    new Map(pgMeetings.map((r) => [String(r.meeting_id), r as unknown as Record<string, unknown>])),
  );

  const pairKey = (a: string | number, b: string | number) => `${a}→${b}`;
  compareSet(
    'deal↔contact',
    new Map(
      truth.associations.dealContacts
        .filter((p) => dealIds.has(p.dealId) && contactIds.has(p.contactId))
        .map((p) => [pairKey(p.dealId, p.contactId), {}]),
    ),
    new Map(
      pgDealContacts
        .filter((p) => dealIds.has(String(p.deal_id)) && contactIds.has(String(p.contact_id)))
        .map((p) => [pairKey(p.deal_id, p.contact_id), {}]),
    ),
  );
  compareSet(
    'meeting↔contact',
    new Map(
      truth.associations.meetingContacts
        .filter((p) => meetingIds.has(p.meetingId) && contactIds.has(p.contactId))
        .map((p) => [pairKey(p.meetingId, p.contactId), {}]),
    ),
    new Map(
      pgMeetingContacts
        .filter((p) => meetingIds.has(String(p.meeting_id)) && contactIds.has(String(p.contact_id)))
        .map((p) => [pairKey(p.meeting_id, p.contact_id), {}]),
    ),
  );

  // History rows of live records: (record, time) → value.
  compareSet(
    'lifecycle history',
    new Map(
      contacts
        .flatMap((c) => mapLifecycleHistory(portalId, asCrmObject(c, CONTACT_HISTORY), ignore))
        .map((h) => [pairKey(h.contact_id, h.changed_at.toISOString()), { stage: h.stage }]),
    ),
    new Map(
      pgLifecycle
        .filter((h) => contactIds.has(String(h.contact_id)))
        .map((h) => [pairKey(h.contact_id, h.changed_at.toISOString()), { stage: h.stage }]),
    ),
  );
  compareSet(
    'deal stage history',
    new Map(
      deals
        .flatMap((d) => mapDealStageHistory(portalId, asCrmObject(d, DEAL_HISTORY), ignore))
        .map((h) => [pairKey(h.deal_id, h.changed_at.toISOString()), { stage_id: h.stage_id }]),
    ),
    new Map(
      pgStages
        .filter((h) => dealIds.has(String(h.deal_id)))
        .map((h) => [pairKey(h.deal_id, h.changed_at.toISOString()), { stage_id: h.stage_id }]),
    ),
  );

  // Visit and form touches derived from live contacts, by id; meeting touches by id only
  // (their channel depends on touches folded in from merged-away contacts).
  const originOf = (touchId: string) => touchId.split(':')[1] ?? '';
  const expectedTouches = new Map(
    contacts
      .flatMap((c) => deriveContactTouches(portalId, asCrmObject(c, CONTACT_HISTORY), ignore))
      .map((t) => [t.touch_id, t as unknown as Record<string, unknown>]),
  );
  compareSet(
    'touch',
    expectedTouches,
    new Map(
      pgTouches
        .filter((t) => t.kind !== 'meeting' && contactIds.has(originOf(t.touch_id)))
        .map((t) => [t.touch_id, t as unknown as Record<string, unknown>]),
    ),
  );
  const meetingSource = new Map(meetings.map((m) => [m.id, m.properties.hs_meeting_source]));
  compareSet(
    'meeting touch',
    new Map(
      truth.associations.meetingContacts
        .filter((p) => meetingSource.get(p.meetingId) === 'MEETINGS_PUBLIC' && contactIds.has(p.contactId))
        .map((p) => [`m:${p.meetingId}:${p.contactId}`, {}]),
    ),
    new Map(
      pgTouches
        .filter((t) => t.kind === 'meeting' && contactIds.has(String(t.contact_id)))
        .map((t) => [t.touch_id, {}]),
    ),
  );

  await compareActivities(db, portalId, truth, contactIds, compareSet);

  return { matches: differences.length === 0, differences, checked };
}

type CompareSet = (
  name: string,
  expected: Map<string, Record<string, unknown>>,
  actual: Map<string, Record<string, unknown>>,
) => void;

/**
 * Calls and emails: every live one with the mirror's values (`mapActivity` of what HubSpot
 * holds), and its associations with live contacts.
 */
async function compareActivities(
  db: Database,
  portalId: number,
  truth: GroundTruthLike,
  contactIds: ReadonlySet<string>,
  compareSet: CompareSet,
): Promise<void> {
  const [pgActivities, pgPairs] = await Promise.all([
    db
      .selectFrom('activities')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('archived', '=', false)
      .execute(),
    db
      .selectFrom('activity_contacts')
      .select(['kind', 'activity_id', 'contact_id'])
      .where('portal_id', '=', portalId)
      .execute(),
  ]);
  const sides = [
    {
      kind: 'call',
      records: truth.calls,
      pairs: truth.associations.callContacts.map((p) => [p.callId, p.contactId] as const),
    },
    {
      kind: 'email',
      records: truth.emails,
      pairs: truth.associations.emailContacts.map((p) => [p.emailId, p.contactId] as const),
    },
  ] as const;
  for (const side of sides) {
    const liveRecords = side.records.filter(live);
    const ids = new Set(liveRecords.map((r) => r.id));
    compareSet(
      side.kind,
      new Map(
        liveRecords.map((r) => [
          r.id,
          mapActivity(portalId, side.kind, asCrmObject(r, []), ignore) as unknown as Record<string, unknown>,
        ]),
      ),
      new Map(
        pgActivities
          .filter((a) => a.kind === side.kind)
          .map((a) => [String(a.activity_id), a as unknown as Record<string, unknown>]),
      ),
    );
    compareSet(
      `${side.kind}↔contact`,
      new Map(
        side.pairs
          .filter(([id, contactId]) => ids.has(id) && contactIds.has(contactId))
          .map(([id, contactId]) => [`${id}→${contactId}`, {}]),
      ),
      new Map(
        pgPairs
          .filter(
            (p) =>
              p.kind === side.kind && ids.has(String(p.activity_id)) && contactIds.has(String(p.contact_id)),
          )
          .map((p) => [`${p.activity_id}→${p.contact_id}`, {}]),
      ),
    );
  }
}
