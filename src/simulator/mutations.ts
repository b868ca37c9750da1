import { findAssociationDirection, type AssociationKind } from './associations';
import { findStage, LIFECYCLE_STAGES, OBJECT_TYPES, type ObjectTypeName } from './catalog';
import type { ChangeEvent, ChangeSource, Portal } from './portal';
import {
  internSource,
  readValue,
  renderValue,
  SimRecord,
  writeValue,
  type HistorySource,
  type StoredValue,
} from './records';
import type { ObjectSchema, SchemaProperty } from './schema';

/**
 * Every change to a portal goes through here, whoever asks (the CRM API, the
 * admin API): values are validated as HubSpot validates them, calculated
 * properties follow (deal stage flags, lifecycle dates, home-currency amount),
 * `updatedAt` moves, the search index starts lagging and change events are
 * emitted for webhooks.
 */
export type PropertyInputError = { name: string; code: string; message: string };

export type ParsedValues = {
  values: [SchemaProperty, StoredValue | undefined][];
  errors: PropertyInputError[];
};

export type WriteContext = {
  now: number;
  source: ChangeSource;
  /** Admin writes act as a user or a HubSpot process: they may set calculated properties and move lifecycle stages back. */
  privileged: boolean;
};

const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const LIFECYCLE_ORDER = new Map(LIFECYCLE_STAGES.map((s) => [s.id, s.order]));

export class MutationError extends Error {
  constructor(
    readonly kind: 'validation' | 'not_found',
    message: string,
    readonly details: PropertyInputError[] = [],
  ) {
    super(message);
    this.name = 'MutationError';
  }
}

/** HubSpot's message for invalid property values: the list of failures, JSON-encoded, after a prefix. */
export function describePropertyErrors(portalId: number, errors: PropertyInputError[]): string {
  return `Property values were not valid: ${JSON.stringify(
    errors.map((e) => ({
      isValid: false,
      message: e.message,
      error: e.code,
      name: e.name,
      localizedErrorMessage: e.message,
      portalId,
    })),
  )}`;
}

function parseTime(raw: string): number | undefined {
  if (/^-?\d+$/.test(raw)) return Number(raw);
  const parsed = Date.parse(raw);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function parseInputValue(
  property: SchemaProperty,
  raw: string,
): { value?: StoredValue; error?: PropertyInputError } {
  const definition = property.definition;
  const fail = (code: string, message: string) => ({ error: { name: property.name, code, message } });
  switch (definition.type) {
    case 'number':
      return NUMBER_PATTERN.test(raw.trim())
        ? { value: raw.trim() }
        : fail('INVALID_FLOAT', `${JSON.stringify(raw)} was not a valid number.`);
    case 'datetime':
    case 'date': {
      const ms = parseTime(raw.trim());
      return ms === undefined
        ? fail('INVALID_DATE', `${JSON.stringify(raw)} was not a valid date or timestamp.`)
        : { value: ms };
    }
    case 'bool': {
      const lower = raw.trim().toLowerCase();
      return lower === 'true' || lower === 'false'
        ? { value: lower }
        : fail('INVALID_OPTION', `${JSON.stringify(raw)} was not one of the allowed options: [true, false]`);
    }
    case 'enumeration': {
      if (definition.externalOptions || definition.options.length === 0) return { value: raw };
      const allowed = new Set(definition.options.map((o) => o.value));
      const parts = definition.fieldType === 'checkbox' ? raw.split(';') : [raw];
      const bad = parts.filter((p) => !allowed.has(p));
      if (bad.length > 0) {
        return fail(
          'INVALID_OPTION',
          `${JSON.stringify(raw)} was not one of the allowed options: [${[...allowed].join(', ')}]`,
        );
      }
      return { value: raw };
    }
    default:
      return { value: raw };
  }
}

export function parsePropertyInputs(
  schema: ObjectSchema,
  input: Readonly<Record<string, string | null>>,
  privileged: boolean,
): ParsedValues {
  const values: [SchemaProperty, StoredValue | undefined][] = [];
  const errors: PropertyInputError[] = [];
  for (const [name, raw] of Object.entries(input)) {
    const property = schema.get(name);
    if (!property || property.definition.archived) {
      errors.push({ name, code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (
      property.virtual ? property.virtual !== 'createdAt' || !privileged : property.readOnly && !privileged
    ) {
      errors.push({
        name,
        code: 'READ_ONLY_VALUE',
        message: `"${name}" is a read only property; its value cannot be set.`,
      });
      continue;
    }
    if (raw === null || raw === '') {
      values.push([property, undefined]);
      continue;
    }
    const parsed = parseInputValue(property, raw);
    if (parsed.error) errors.push(parsed.error);
    else values.push([property, parsed.value]);
  }
  return { values, errors };
}

function historySourceOf(source: ChangeSource): HistorySource {
  return internSource({
    sourceType: source.changeSource,
    ...(source.sourceId !== undefined ? { sourceId: source.sourceId } : {}),
    ...(source.userId !== undefined ? { updatedByUserId: source.userId } : {}),
  });
}

function calculatedSource(): HistorySource {
  return internSource({ sourceType: 'CALCULATED' });
}

function event(
  objectType: ObjectTypeName,
  objectId: number,
  context: WriteContext,
): Pick<ChangeEvent, 'objectType' | 'objectId' | 'occurredAt' | 'changeSource' | 'sourceId'> {
  return {
    objectType,
    objectId,
    occurredAt: context.now,
    changeSource: context.source.changeSource,
    ...(context.source.sourceId !== undefined ? { sourceId: context.source.sourceId } : {}),
  };
}

/** Checks a deal's stage against its pipeline after the update, as HubSpot refuses a stage of another pipeline. */
function checkDealStage(
  schema: ObjectSchema,
  record: SimRecord | null,
  values: [SchemaProperty, StoredValue | undefined][],
): PropertyInputError | null {
  const stageProp = schema.require('dealstage');
  const pipelineProp = schema.require('pipeline');
  const next = new Map(values.map(([p, v]) => [p.index, v]));
  if (!next.has(stageProp.index) && !next.has(pipelineProp.index)) return null;
  const stageId = next.has(stageProp.index) ? next.get(stageProp.index) : record?.values[stageProp.index];
  const pipelineId = next.has(pipelineProp.index)
    ? next.get(pipelineProp.index)
    : (record?.values[pipelineProp.index] ?? 'default');
  if (stageId === undefined) return null;
  const found = findStage(String(stageId));
  if (!found || found.pipeline.id !== String(pipelineId)) {
    return {
      name: 'dealstage',
      code: 'INVALID_OPTION',
      message: `${String(stageId)} is not a valid stage of pipeline ${String(pipelineId)}`,
    };
  }
  return null;
}

/** Validates a write against a record (or a new record when `record` is null); throws MutationError with HubSpot's details. */
export function validateWrite(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord | null,
  input: Readonly<Record<string, string | null>>,
  privileged: boolean,
): ParsedValues {
  const schema = portal.schemas[objectType];
  const parsed = parsePropertyInputs(schema, input, privileged);
  if (objectType === 'deals' && parsed.errors.length === 0) {
    const stageError = checkDealStage(schema, record, parsed.values);
    if (stageError) parsed.errors.push(stageError);
  }
  return parsed;
}

function applyCalculated(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  changed: Set<SchemaProperty>,
  context: WriteContext,
): void {
  const schema = portal.schemas[objectType];
  const set = (name: string, value: StoredValue | undefined) => {
    const property = schema.require(name);
    if (readValue(record, property) === value) return;
    writeValue(record, property, value, context.now, calculatedSource());
    changed.add(property);
  };
  const changedNames = new Set([...changed].map((p) => p.name));
  if (objectType === 'contacts') {
    if (changedNames.has('lifecyclestage')) {
      const stage = record.values[schema.require('lifecyclestage').index];
      if (
        stage !== undefined &&
        schema.get(`hs_v2_date_entered_${String(stage)}`) &&
        record.values[schema.require(`hs_v2_date_entered_${String(stage)}`).index] === undefined
      ) {
        set(`hs_v2_date_entered_${String(stage)}`, context.now);
      }
    }
    if (changedNames.has('hubspot_owner_id'))
      set(
        'hubspot_owner_assigneddate',
        record.values[schema.require('hubspot_owner_id').index] === undefined ? undefined : context.now,
      );
  }
  if (objectType === 'deals') {
    if (changedNames.has('dealstage') || changedNames.has('pipeline')) {
      const stageId = record.values[schema.require('dealstage').index];
      const found = stageId === undefined ? undefined : findStage(String(stageId));
      if (found) {
        const { stage } = found;
        set('hs_deal_stage_probability', String(stage.probability));
        set('hs_is_closed', stage.isClosed ? 'true' : 'false');
        set('hs_is_closed_won', stage.isClosed && stage.probability === 1 ? 'true' : 'false');
        set('hs_is_closed_lost', stage.isClosed && stage.probability === 0 ? 'true' : 'false');
        const entered = schema.get(`hs_v2_date_entered_${stage.id}`);
        if (entered && record.values[entered.index] === undefined) set(entered.name, context.now);
        if (stage.isClosed && !changedNames.has('closedate')) set('closedate', context.now);
        const closeDate = record.values[schema.require('closedate').index];
        if (stage.isClosed && typeof closeDate === 'number')
          set('days_to_close', String(Math.max(0, Math.floor((closeDate - record.createdAt) / 86_400_000))));
      }
    }
    if (changedNames.has('amount') || changedNames.has('deal_currency_code')) {
      const amount = record.values[schema.require('amount').index];
      const currency = record.values[schema.require('deal_currency_code').index] ?? portal.homeCurrency;
      set(
        'amount_in_home_currency',
        amount === undefined ? undefined : String(portal.toHomeCurrency(Number(amount), String(currency))),
      );
    }
  }
}

function propertyChangeEvents(
  objectType: ObjectTypeName,
  record: SimRecord,
  changed: Iterable<SchemaProperty>,
  context: WriteContext,
): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  for (const property of changed) {
    const value = readValue(record, property);
    events.push({
      ...event(objectType, record.id, context),
      kind: 'propertyChange',
      propertyName: property.name,
      propertyValue: value === undefined ? '' : renderValue(property, value),
    });
  }
  return events;
}

/** Applies validated values to a record; returns the properties that changed (calculated ones included). */
function applyValues(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  values: [SchemaProperty, StoredValue | undefined][],
  context: WriteContext,
): Set<SchemaProperty> {
  const changed = new Set<SchemaProperty>();
  const source = historySourceOf(context.source);
  for (const [property, value] of values) {
    if (property.virtual === 'createdAt') {
      if (typeof value === 'number') record.createdAt = value;
      continue;
    }
    const current = record.values[property.index];
    if (current === value) continue;
    if (
      property.name === 'lifecyclestage' &&
      !context.privileged &&
      current !== undefined &&
      value !== undefined
    ) {
      // HubSpot's API only moves lifecycle stages forward; going back needs the value cleared first.
      if ((LIFECYCLE_ORDER.get(String(value)) ?? 0) < (LIFECYCLE_ORDER.get(String(current)) ?? 0)) continue;
    }
    writeValue(record, property, value, context.now, source);
    changed.add(property);
  }
  if (changed.size > 0) applyCalculated(portal, objectType, record, changed, context);
  return changed;
}

export function createRecord(
  portal: Portal,
  objectType: ObjectTypeName,
  parsed: ParsedValues,
  context: WriteContext,
): SimRecord {
  if (parsed.errors.length > 0)
    throw new MutationError('validation', describePropertyErrors(portal.id, parsed.errors), parsed.errors);
  const store = portal.stores[objectType];
  const schema = portal.schemas[objectType];
  const id = store.allocateId();
  portal.searchLag[objectType].beforeChange(null, id, context.now);
  const record = new SimRecord(
    id,
    context.now,
    context.now,
    new Array<StoredValue | undefined>(schema.properties.length),
  );
  const defaults: [SchemaProperty, StoredValue | undefined][] = [];
  if (objectType === 'contacts' && !parsed.values.some(([p]) => p.name === 'lifecyclestage'))
    defaults.push([schema.require('lifecyclestage'), 'lead']);
  if (objectType === 'deals' && !parsed.values.some(([p]) => p.name === 'pipeline'))
    defaults.push([schema.require('pipeline'), 'default']);
  if (objectType === 'deals' && !parsed.values.some(([p]) => p.name === 'deal_currency_code'))
    defaults.push([schema.require('deal_currency_code'), portal.homeCurrency]);
  const changed = applyValues(portal, objectType, record, [...parsed.values, ...defaults], context);
  record.updatedAt = context.now;
  store.insert(record);
  portal.emit([
    { ...event(objectType, id, context), kind: 'creation' },
    ...propertyChangeEvents(objectType, record, changed, context),
  ]);
  return record;
}

/** Updates an active record; returns the changed property names. Throws MutationError on invalid input. */
export function updateRecord(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  parsed: ParsedValues,
  context: WriteContext,
): string[] {
  if (parsed.errors.length > 0)
    throw new MutationError('validation', describePropertyErrors(portal.id, parsed.errors), parsed.errors);
  const lag = portal.searchLag[objectType];
  lag.beforeChange(record, record.id, context.now);
  const changed = applyValues(portal, objectType, record, parsed.values, context);
  // Bumped even without a visible change: a privileged write may have moved the create date.
  portal.stores[objectType].version++;
  if (changed.size > 0) {
    record.updatedAt = context.now;
    portal.emit(propertyChangeEvents(objectType, record, changed, context));
  }
  return [...changed].map((p) => p.name);
}

export function archiveRecord(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  context: WriteContext,
): void {
  if (!record.isActive) return;
  portal.searchLag[objectType].beforeChange(record, record.id, context.now);
  record.archivedAt = context.now;
  portal.stores[objectType].version++;
  portal.emit([{ ...event(objectType, record.id, context), kind: 'deletion' }]);
}

export function restoreRecord(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  context: WriteContext,
): void {
  if (record.archivedAt === 0 || record.mergedInto !== 0) return;
  portal.searchLag[objectType].beforeChange(record, record.id, context.now);
  record.archivedAt = 0;
  record.updatedAt = context.now;
  portal.stores[objectType].version++;
  portal.emit([{ ...event(objectType, record.id, context), kind: 'restore' }]);
}

const ASSOCIATION_KINDS: Partial<Record<ObjectTypeName, AssociationKind>> = {
  deals: 'deal_contact',
  meetings: 'meeting_contact',
  calls: 'call_contact',
  emails: 'email_contact',
};

/**
 * Merges `merged` into `primary`: the primary keeps its values and fills its
 * empty ones from the other record, keeps the older create date and the
 * furthest lifecycle stage, takes over the associations and lists the merged
 * ids in hs_merged_object_ids. The merged-away id then resolves to the primary.
 */
export function mergeRecords(
  portal: Portal,
  objectType: ObjectTypeName,
  primary: SimRecord,
  merged: SimRecord,
  context: WriteContext,
): SimRecord {
  if (primary.id === merged.id) throw new MutationError('validation', 'Cannot merge an object with itself.');
  if (!primary.isActive || !merged.isActive)
    throw new MutationError('not_found', 'Both objects must exist and not be archived to merge them.');
  const schema = portal.schemas[objectType];
  const lag = portal.searchLag[objectType];
  lag.beforeChange(primary, primary.id, context.now);
  lag.beforeChange(merged, merged.id, context.now);
  const source = internSource({
    sourceType: 'MERGE',
    ...(context.source.userId !== undefined ? { updatedByUserId: context.source.userId } : {}),
  });
  let moved = 0;
  for (const property of schema.properties) {
    if (property.virtual || property.name === 'hs_merged_object_ids') continue;
    const mine = primary.values[property.index];
    const theirs = merged.values[property.index];
    if (theirs === undefined) continue;
    const furtherStage =
      property.name === 'lifecyclestage' &&
      mine !== undefined &&
      (LIFECYCLE_ORDER.get(String(theirs)) ?? 0) > (LIFECYCLE_ORDER.get(String(mine)) ?? 0);
    if (mine === undefined || furtherStage) {
      writeValue(primary, property, theirs, context.now, source);
      moved++;
    }
  }
  primary.createdAt = Math.min(primary.createdAt, merged.createdAt);
  const idsProperty = schema.get('hs_merged_object_ids');
  const mergedIds = [merged.id];
  if (idsProperty) {
    const existing = [primary.values[idsProperty.index], merged.values[idsProperty.index]]
      .filter((v): v is StoredValue => v !== undefined)
      .flatMap((v) => String(v).split(';'))
      .filter((v) => v !== '')
      .map(Number);
    mergedIds.push(...existing.filter((id) => id !== merged.id));
    writeValue(
      primary,
      idsProperty,
      [...new Set([...existing, merged.id])].sort((a, b) => a - b).join(';'),
      context.now,
      source,
    );
  }
  const kind = ASSOCIATION_KINDS[objectType];
  if (kind) {
    for (const contactId of [...portal.associations.contactsOf(kind, merged.id)]) {
      portal.associations.remove(kind, merged.id, contactId);
      portal.associations.add(kind, primary.id, contactId);
    }
  } else if (objectType === 'contacts') {
    for (const k of ['deal_contact', 'meeting_contact'] as const) {
      for (const otherId of [...portal.associations.othersOfContact(k, merged.id)]) {
        portal.associations.remove(k, otherId, merged.id);
        portal.associations.add(k, otherId, primary.id);
      }
    }
  }
  merged.mergedInto = primary.id;
  merged.updatedAt = context.now;
  primary.updatedAt = context.now;
  portal.stores[objectType].version++;
  portal.merges.push({ objectType, primaryId: primary.id, mergedId: merged.id, at: context.now });
  portal.emit([
    {
      ...event(objectType, primary.id, context),
      kind: 'merge',
      primaryObjectId: primary.id,
      mergedObjectIds: mergedIds,
      newObjectId: primary.id,
      numberOfPropertiesMoved: moved,
    },
  ]);
  return primary;
}

/** GDPR delete: the contact is gone for good; HubSpot sends privacyDeletion and deletion in separate batches. */
export function gdprDeleteContact(portal: Portal, record: SimRecord, context: WriteContext): void {
  for (const kind of ['deal_contact', 'meeting_contact'] as const) {
    for (const otherId of [...portal.associations.othersOfContact(kind, record.id)])
      portal.associations.remove(kind, otherId, record.id);
  }
  portal.stores.contacts.remove(record.id);
  portal.emit([{ ...event('contacts', record.id, context), kind: 'privacyDeletion' }]);
  portal.emit([{ ...event('contacts', record.id, context), kind: 'deletion' }]);
}

/** Adds or removes one association; fires associationChange for both sides, as HubSpot does. Returns false when nothing changed. */
export function changeAssociation(
  portal: Portal,
  from: { objectType: ObjectTypeName; id: number },
  to: { objectType: ObjectTypeName; id: number },
  remove: boolean,
  context: WriteContext,
): boolean {
  const direction = findAssociationDirection(from.objectType, to.objectType);
  if (!direction)
    throw new MutationError('validation', `No association between ${from.objectType} and ${to.objectType}.`);
  const fromRecord = portal.stores[from.objectType].get(from.id);
  const toRecord = portal.stores[to.objectType].get(to.id);
  if (!fromRecord?.isActive || !toRecord?.isActive)
    throw new MutationError('not_found', 'Both objects must exist to change their association.');
  const contact = direction.fromIsContact ? from : to;
  const other = direction.fromIsContact ? to : from;
  const changed = remove
    ? portal.associations.remove(direction.kind, other.id, contact.id)
    : portal.associations.add(direction.kind, other.id, contact.id);
  if (!changed) return false;
  const reverse = findAssociationDirection(to.objectType, from.objectType);
  const events: ChangeEvent[] = [
    {
      ...event(from.objectType, from.id, context),
      kind: 'associationChange',
      associationType: direction.webhookType,
      fromObjectId: from.id,
      toObjectId: to.id,
      associationRemoved: remove,
    },
  ];
  if (reverse) {
    events.push({
      ...event(to.objectType, to.id, context),
      kind: 'associationChange',
      associationType: reverse.webhookType,
      fromObjectId: to.id,
      toObjectId: from.id,
      associationRemoved: remove,
    });
  }
  portal.emit(events.filter((e) => OBJECT_TYPES[e.objectType].webhookPrefix !== null));
  return true;
}
