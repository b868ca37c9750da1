import { describeTraffic } from './analytics';
import type { AssociationKind } from './associations';
import type { ObjectTypeName, Pipeline } from './catalog';
import type { AccountDetails, MergeRecord, Owner, Portal } from './portal';
import { readValue, renderValue, type SimRecord } from './records';
import { renderHistory, type HistoryVersion } from './serialize';
import type { PropertyDefinition } from './schema';

/**
 * What HubSpot holds, for tests that compare it with what the app stored:
 * every record (archived and merged-away ones flagged), all its values, the
 * history of every property whose changes were recorded (lifecycle stages,
 * deal stages, the touch trail, anything changed later), associations and
 * merges. Paged per section for big portals.
 */
export type GroundTruthRecord = {
  id: string;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt: string | null;
  /** Set when the record was merged into another one. */
  mergedInto: string | null;
  properties: Record<string, string>;
  propertiesWithHistory: Record<string, HistoryVersion[]>;
};

export type GroundTruthSummary = {
  portalId: number;
  account: AccountDetails;
  owners: Owner[];
  pipelines: readonly Pipeline[];
  customProperties: Record<ObjectTypeName, PropertyDefinition[]>;
  counts: Record<ObjectTypeName, { total: number; active: number; archived: number; mergedAway: number }> & {
    dealContactAssociations: number;
    meetingContactAssociations: number;
    callContactAssociations: number;
    emailContactAssociations: number;
  };
  merges: { objectType: ObjectTypeName; primaryId: string; mergedId: string; mergedAt: string }[];
};

export type GroundTruth = GroundTruthSummary & {
  contacts: GroundTruthRecord[];
  deals: GroundTruthRecord[];
  meetings: GroundTruthRecord[];
  calls: GroundTruthRecord[];
  emails: GroundTruthRecord[];
  /** The analytics sources report: visits per local day and original source. */
  traffic: ReturnType<typeof describeTraffic>;
  associations: {
    dealContacts: { dealId: string; contactId: string }[];
    meetingContacts: { meetingId: string; contactId: string }[];
    callContacts: { callId: string; contactId: string }[];
    emailContacts: { emailId: string; contactId: string }[];
  };
};

export type GroundTruthOptions = { includeHistory?: boolean };

export function describeRecord(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  options: GroundTruthOptions = {},
): GroundTruthRecord {
  const schema = portal.schemas[objectType];
  const properties: Record<string, string> = {};
  const propertiesWithHistory: Record<string, HistoryVersion[]> = {};
  const recorded = new Set((record.history ?? []).map((h) => h.property));
  for (const property of schema.properties) {
    const value = readValue(record, property);
    if (value !== undefined) properties[property.name] = renderValue(property, value);
    if (options.includeHistory !== false && recorded.has(property.index))
      propertiesWithHistory[property.name] = renderHistory(record, property);
  }
  return {
    id: String(record.id),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    archived: record.archivedAt !== 0,
    archivedAt: record.archivedAt !== 0 ? new Date(record.archivedAt).toISOString() : null,
    mergedInto: record.mergedInto !== 0 ? String(record.mergedInto) : null,
    properties,
    propertiesWithHistory,
  };
}

function renderMerge(m: MergeRecord): GroundTruthSummary['merges'][number] {
  return {
    objectType: m.objectType,
    primaryId: String(m.primaryId),
    mergedId: String(m.mergedId),
    mergedAt: new Date(m.at).toISOString(),
  };
}

export function summarizeGroundTruth(portal: Portal): GroundTruthSummary {
  const count = (type: ObjectTypeName) => {
    const c = { total: 0, active: 0, archived: 0, mergedAway: 0 };
    for (const r of portal.stores[type].records) {
      c.total++;
      if (r.mergedInto !== 0) c.mergedAway++;
      else if (r.archivedAt !== 0) c.archived++;
      else c.active++;
    }
    return c;
  };
  const custom = (type: ObjectTypeName) =>
    portal.schemas[type].properties.filter((p) => !p.definition.hubspotDefined).map((p) => p.definition);
  return {
    portalId: portal.id,
    account: portal.account,
    owners: portal.owners,
    pipelines: portal.pipelines,
    customProperties: {
      contacts: custom('contacts'),
      deals: custom('deals'),
      meetings: custom('meetings'),
      calls: custom('calls'),
      emails: custom('emails'),
    },
    counts: {
      contacts: count('contacts'),
      deals: count('deals'),
      meetings: count('meetings'),
      calls: count('calls'),
      emails: count('emails'),
      dealContactAssociations: portal.associations.count('deal_contact'),
      meetingContactAssociations: portal.associations.count('meeting_contact'),
      callContactAssociations: portal.associations.count('call_contact'),
      emailContactAssociations: portal.associations.count('email_contact'),
    },
    merges: portal.merges.map(renderMerge),
  };
}

/** One page of a record section, in id order; `after` is the last id of the previous page. */
export function pageRecords(
  portal: Portal,
  objectType: ObjectTypeName,
  after: number,
  limit: number,
  options: GroundTruthOptions = {},
): { results: GroundTruthRecord[]; next: string | null } {
  const store = portal.stores[objectType];
  const start = store.lowerBound(after + 1);
  const slice = store.records.slice(start, start + limit);
  const results = slice.map((r) => describeRecord(portal, objectType, r, options));
  const last = slice[slice.length - 1];
  return { results, next: last && start + limit < store.records.length ? String(last.id) : null };
}

export function pageAssociations(
  portal: Portal,
  kind: AssociationKind,
  after: number,
  limit: number,
): { results: [string, string][]; next: string | null } {
  const pairs = portal.associations.pairs(kind);
  const page = pairs.slice(after, after + limit).map(([a, b]) => [String(a), String(b)] as [string, string]);
  return { results: page, next: after + limit < pairs.length ? String(after + limit) : null };
}

export function collectGroundTruth(portal: Portal, options: GroundTruthOptions = {}): GroundTruth {
  const all = (type: ObjectTypeName) =>
    portal.stores[type].records.map((r) => describeRecord(portal, type, r, options));
  return {
    ...summarizeGroundTruth(portal),
    contacts: all('contacts'),
    deals: all('deals'),
    meetings: all('meetings'),
    calls: all('calls'),
    emails: all('emails'),
    traffic: describeTraffic(portal),
    associations: {
      dealContacts: portal.associations
        .pairs('deal_contact')
        .map(([dealId, contactId]) => ({ dealId: String(dealId), contactId: String(contactId) })),
      meetingContacts: portal.associations
        .pairs('meeting_contact')
        .map(([meetingId, contactId]) => ({ meetingId: String(meetingId), contactId: String(contactId) })),
      callContacts: portal.associations
        .pairs('call_contact')
        .map(([callId, contactId]) => ({ callId: String(callId), contactId: String(contactId) })),
      emailContacts: portal.associations
        .pairs('email_contact')
        .map(([emailId, contactId]) => ({ emailId: String(emailId), contactId: String(contactId) })),
    },
  };
}
