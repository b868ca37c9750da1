import { readHistory, readValue, renderValue, type SimRecord } from './records';
import type { ObjectSchema, SchemaProperty } from './schema';

/**
 * Records in HubSpot's public object shape: every value a string (or null when
 * asked for and unset), ISO timestamps, history newest first.
 */
export type HistoryVersion = {
  value: string;
  timestamp: string;
  sourceType: string;
  sourceId?: string;
  sourceLabel?: string;
  updatedByUserId?: number;
};

export type PublicObject = {
  id: string;
  properties: Record<string, string | null>;
  propertiesWithHistory?: Record<string, HistoryVersion[]>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: AssociationsField;
};

/** The `associations` field of list and read answers when `associations=` is given. */
export type AssociationsField = Record<string, { results: { id: string; type: string }[] }>;

export type PropertySelection = { properties: readonly SchemaProperty[]; history: readonly SchemaProperty[] };

/** Requested names that exist (unknown ones are ignored, as HubSpot does), plus the always-returned record properties. */
export function selectProperties(
  schema: ObjectSchema,
  names: readonly string[] | undefined,
  historyNames: readonly string[] | undefined,
): PropertySelection {
  const history = (historyNames ?? [])
    .map((n) => schema.get(n))
    .filter((p): p is SchemaProperty => p !== undefined);
  if (!names || names.length === 0) {
    const defaults = schema.defaultPropertyIndexes.map((i) => schema.properties[i] as SchemaProperty);
    return { properties: dedupe([...defaults, ...history]), history };
  }
  const requested = names.map((n) => schema.get(n)).filter((p): p is SchemaProperty => p !== undefined);
  const always = schema.properties.filter((p) => p.virtual !== null);
  return { properties: dedupe([...always, ...requested, ...history]), history };
}

function dedupe(properties: SchemaProperty[]): SchemaProperty[] {
  return [...new Set(properties)];
}

export function renderHistory(record: SimRecord, property: SchemaProperty): HistoryVersion[] {
  const versions = readHistory(record, property);
  const out: HistoryVersion[] = new Array<HistoryVersion>(versions.length);
  for (let i = versions.length - 1, j = 0; i >= 0; i--, j++) {
    const entry = versions[i];
    if (!entry) continue;
    const version: HistoryVersion = {
      value: entry.value === '' ? '' : renderValue(property, entry.value),
      timestamp: new Date(entry.timestamp).toISOString(),
      sourceType: entry.source.sourceType,
    };
    if (entry.source.sourceId !== undefined) version.sourceId = entry.source.sourceId;
    if (entry.source.sourceLabel !== undefined) version.sourceLabel = entry.source.sourceLabel;
    if (entry.source.updatedByUserId !== undefined) version.updatedByUserId = entry.source.updatedByUserId;
    out[j] = version;
  }
  return out;
}

export function renderObject(record: SimRecord, selection: PropertySelection): PublicObject {
  const properties: Record<string, string | null> = {};
  for (const property of selection.properties) {
    const value = readValue(record, property);
    properties[property.name] = value === undefined ? null : renderValue(property, value);
  }
  const object: PublicObject = {
    id: String(record.id),
    properties,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    archived: record.archivedAt !== 0,
  };
  if (record.archivedAt !== 0) object.archivedAt = new Date(record.archivedAt).toISOString();
  if (selection.history.length > 0) {
    const withHistory: Record<string, HistoryVersion[]> = {};
    for (const property of selection.history) {
      const versions = renderHistory(record, property);
      if (versions.length > 0) withHistory[property.name] = versions;
    }
    object.propertiesWithHistory = withHistory;
  }
  return object;
}
