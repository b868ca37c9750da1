import {
  ANALYTICS_SOURCES,
  CALL_DIRECTIONS,
  CALL_STATUSES,
  EMAIL_DIRECTIONS,
  LIFECYCLE_STAGES,
  MEETING_OUTCOMES,
  MEETING_SOURCES,
  PIPELINES,
  type ObjectTypeName,
} from './catalog';

/**
 * Property definitions in HubSpot's Properties API shape, plus what the
 * simulator needs to store and validate values: whether the value is a time
 * (kept as epoch ms, rendered ISO), read-only, or derived from the record
 * itself (id, createdAt, updatedAt).
 */
export type PropertyType =
  'string' | 'number' | 'datetime' | 'date' | 'enumeration' | 'bool' | 'phone_number';

export type PropertyOption = {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description?: string;
};

export type PropertyDefinition = {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  description: string;
  groupName: string;
  options: PropertyOption[];
  displayOrder: number;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  hubspotDefined?: boolean;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
  formField: boolean;
  dataSensitivity: 'non_sensitive';
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  numberDisplayHint?: string;
  showCurrencySymbol?: boolean;
  createdUserId?: string;
  updatedUserId?: string;
};

export type PropertyGroup = { name: string; label: string; displayOrder: number; archived: boolean };

export type VirtualKind = 'id' | 'createdAt' | 'updatedAt';

export type SchemaProperty = {
  readonly index: number;
  readonly name: string;
  definition: PropertyDefinition;
  /** Times are stored as epoch ms and rendered as ISO strings; everything else is stored as the wire string. */
  readonly isTime: boolean;
  readonly readOnly: boolean;
  readonly virtual: VirtualKind | null;
  /** The sourceType of the single history version synthesised for a value that has no recorded history. */
  readonly historySourceType: string;
};

const HUBSPOT_DEFINED_AT = '2019-08-06T02:41:52.814Z';

type PropertySpec = {
  name: string;
  label: string;
  type: PropertyType;
  fieldType?: string;
  group: string;
  options?: PropertyOption[];
  readOnly?: boolean;
  virtual?: VirtualKind;
  sourceType?: string;
  externalOptions?: boolean;
  numberDisplayHint?: string;
  showCurrencySymbol?: boolean;
  hasUniqueValue?: boolean;
};

const DEFAULT_FIELD_TYPES: Record<PropertyType, string> = {
  string: 'text',
  number: 'number',
  datetime: 'date',
  date: 'date',
  enumeration: 'select',
  bool: 'booleancheckbox',
  phone_number: 'phonenumber',
};

function options(values: readonly (readonly [string, string])[]): PropertyOption[] {
  return values.map(([value, label], displayOrder) => ({ label, value, displayOrder, hidden: false }));
}

const BOOL_OPTIONS = options([
  ['true', 'Yes'],
  ['false', 'No'],
]);

export class ObjectSchema {
  readonly properties: SchemaProperty[] = [];
  readonly byName = new Map<string, SchemaProperty>();
  readonly groups: PropertyGroup[] = [];
  readonly defaultPropertyIndexes: number[];

  constructor(
    readonly objectType: ObjectTypeName,
    specs: readonly PropertySpec[],
    groups: readonly PropertyGroup[],
    defaults: readonly string[],
  ) {
    this.groups.push(...groups.map((g) => ({ ...g })));
    for (const spec of specs) this.addHubSpotDefined(spec);
    this.defaultPropertyIndexes = defaults.map((name) => this.require(name).index);
  }

  get(name: string): SchemaProperty | undefined {
    return this.byName.get(name);
  }

  require(name: string): SchemaProperty {
    const property = this.byName.get(name);
    if (!property) throw new Error(`${this.objectType} has no property ${name}`);
    return property;
  }

  /** Adds a property created through the Properties API (never read-only, never virtual). */
  addCustom(definition: PropertyDefinition): SchemaProperty {
    return this.push(definition, { readOnly: false, virtual: null, sourceType: 'INTEGRATION' });
  }

  private addHubSpotDefined(spec: PropertySpec): void {
    const readOnly = spec.readOnly ?? false;
    const definition: PropertyDefinition = {
      name: spec.name,
      label: spec.label,
      type: spec.type,
      fieldType: spec.fieldType ?? DEFAULT_FIELD_TYPES[spec.type],
      description: '',
      groupName: spec.group,
      options: spec.options ?? (spec.type === 'bool' ? BOOL_OPTIONS : []),
      displayOrder: -1,
      calculated: readOnly && !spec.virtual,
      externalOptions: spec.externalOptions ?? false,
      hasUniqueValue: spec.hasUniqueValue ?? false,
      hidden: false,
      hubspotDefined: true,
      modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: readOnly },
      formField: !readOnly,
      dataSensitivity: 'non_sensitive',
      createdAt: HUBSPOT_DEFINED_AT,
      updatedAt: HUBSPOT_DEFINED_AT,
      archived: false,
      ...(spec.numberDisplayHint ? { numberDisplayHint: spec.numberDisplayHint } : {}),
      ...(spec.showCurrencySymbol !== undefined ? { showCurrencySymbol: spec.showCurrencySymbol } : {}),
    };
    this.push(definition, {
      readOnly,
      virtual: spec.virtual ?? null,
      sourceType: spec.sourceType ?? (readOnly ? 'CALCULATED' : 'CRM_UI'),
    });
  }

  private push(
    definition: PropertyDefinition,
    meta: { readOnly: boolean; virtual: VirtualKind | null; sourceType: string },
  ): SchemaProperty {
    const property: SchemaProperty = {
      index: this.properties.length,
      name: definition.name,
      definition,
      isTime: definition.type === 'datetime' || definition.type === 'date',
      readOnly: meta.readOnly,
      virtual: meta.virtual,
      historySourceType: meta.sourceType,
    };
    this.properties.push(property);
    this.byName.set(property.name, property);
    return property;
  }
}

export type SchemaContext = {
  owners: readonly { id: string; firstName: string; lastName: string }[];
  currencies: readonly string[];
};

const SOURCE_OPTIONS = options(ANALYTICS_SOURCES);

function stageDateProperties(
  stageIds: readonly { id: string; label: string }[],
  group: string,
): PropertySpec[] {
  return stageIds.map((stage) => ({
    name: `hs_v2_date_entered_${stage.id}`,
    label: `Date entered "${stage.label}"`,
    type: 'datetime' as const,
    group,
    readOnly: true,
  }));
}

function ownerOptions(context: SchemaContext): PropertyOption[] {
  return context.owners.map((o, i) => ({
    label: `${o.firstName} ${o.lastName}`,
    value: o.id,
    displayOrder: i,
    hidden: false,
  }));
}

function contactSpecs(context: SchemaContext): PropertySpec[] {
  const analytics = (
    name: string,
    label: string,
    type: PropertyType,
    extra: Partial<PropertySpec> = {},
  ): PropertySpec => ({
    name,
    label,
    type,
    group: 'analyticsinformation',
    readOnly: true,
    sourceType: 'ANALYTICS',
    ...extra,
  });
  return [
    {
      name: 'hs_object_id',
      label: 'Record ID',
      type: 'number',
      group: 'contactinformation',
      readOnly: true,
      virtual: 'id',
    },
    {
      name: 'createdate',
      label: 'Create Date',
      type: 'datetime',
      group: 'contactinformation',
      readOnly: true,
      virtual: 'createdAt',
    },
    {
      name: 'lastmodifieddate',
      label: 'Last Modified Date',
      type: 'datetime',
      group: 'contactinformation',
      readOnly: true,
      virtual: 'updatedAt',
    },
    { name: 'email', label: 'Email', type: 'string', group: 'contactinformation', hasUniqueValue: true },
    { name: 'firstname', label: 'First Name', type: 'string', group: 'contactinformation' },
    { name: 'lastname', label: 'Last Name', type: 'string', group: 'contactinformation' },
    { name: 'company', label: 'Company Name', type: 'string', group: 'contactinformation' },
    { name: 'jobtitle', label: 'Job Title', type: 'string', group: 'contactinformation' },
    {
      name: 'phone',
      label: 'Phone Number',
      type: 'string',
      group: 'contactinformation',
      fieldType: 'phonenumber',
    },
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      group: 'contactinformation',
      options: options(LIFECYCLE_STAGES.map((s) => [s.id, s.label] as const)),
    },
    {
      name: 'hubspot_owner_id',
      label: 'Contact owner',
      type: 'enumeration',
      group: 'contactinformation',
      externalOptions: true,
      options: ownerOptions(context),
    },
    {
      name: 'hubspot_owner_assigneddate',
      label: 'Owner Assigned Date',
      type: 'datetime',
      group: 'contactinformation',
      readOnly: true,
    },
    {
      name: 'hs_merged_object_ids',
      label: 'Merged Contact IDs',
      type: 'enumeration',
      fieldType: 'checkbox',
      group: 'contactinformation',
      readOnly: true,
    },
    {
      name: 'hs_analytics_source',
      label: 'Original Traffic Source',
      type: 'enumeration',
      group: 'analyticsinformation',
      options: SOURCE_OPTIONS,
      sourceType: 'ANALYTICS',
    },
    analytics('hs_analytics_source_data_1', 'Original Traffic Source Drill-Down 1', 'string'),
    analytics('hs_analytics_source_data_2', 'Original Traffic Source Drill-Down 2', 'string'),
    analytics('hs_latest_source', 'Latest Traffic Source', 'enumeration', { options: SOURCE_OPTIONS }),
    analytics('hs_latest_source_data_1', 'Latest Traffic Source Drill-Down 1', 'string'),
    analytics('hs_latest_source_data_2', 'Latest Traffic Source Drill-Down 2', 'string'),
    analytics('hs_latest_source_timestamp', 'Latest Traffic Source Date', 'datetime'),
    analytics('hs_analytics_first_timestamp', 'Time First Seen', 'datetime'),
    analytics('hs_analytics_first_visit_timestamp', 'Time of First Session', 'datetime'),
    analytics('hs_analytics_last_visit_timestamp', 'Time of Last Session', 'datetime'),
    analytics('hs_analytics_first_url', 'First Page Seen', 'string'),
    analytics('hs_analytics_first_referrer', 'First Referring Site', 'string'),
    analytics('hs_analytics_num_page_views', 'Number of Pageviews', 'number'),
    analytics('hs_analytics_num_visits', 'Number of Sessions', 'number'),
    {
      name: 'first_conversion_date',
      label: 'First Conversion Date',
      type: 'datetime',
      group: 'conversioninformation',
      readOnly: true,
    },
    {
      name: 'first_conversion_event_name',
      label: 'First Conversion',
      type: 'string',
      group: 'conversioninformation',
      readOnly: true,
    },
    {
      name: 'recent_conversion_date',
      label: 'Recent Conversion Date',
      type: 'datetime',
      group: 'conversioninformation',
      readOnly: true,
    },
    {
      name: 'recent_conversion_event_name',
      label: 'Recent Conversion',
      type: 'string',
      group: 'conversioninformation',
      readOnly: true,
    },
    {
      name: 'num_conversion_events',
      label: 'Number of Form Submissions',
      type: 'number',
      group: 'conversioninformation',
      readOnly: true,
    },
    {
      name: 'num_unique_conversion_events',
      label: 'Number of Unique Forms Submitted',
      type: 'number',
      group: 'conversioninformation',
      readOnly: true,
    },
    ...stageDateProperties(LIFECYCLE_STAGES, 'contactinformation'),
  ];
}

function dealSpecs(context: SchemaContext): PropertySpec[] {
  const stages = PIPELINES.flatMap((p) =>
    p.stages.map((s) => ({ id: s.id, label: `${s.label} (${p.label})` })),
  );
  return [
    {
      name: 'hs_object_id',
      label: 'Record ID',
      type: 'number',
      group: 'dealinformation',
      readOnly: true,
      virtual: 'id',
    },
    {
      name: 'createdate',
      label: 'Create Date',
      type: 'datetime',
      group: 'dealinformation',
      readOnly: true,
      virtual: 'createdAt',
    },
    {
      name: 'hs_lastmodifieddate',
      label: 'Last Modified Date',
      type: 'datetime',
      group: 'dealinformation',
      readOnly: true,
      virtual: 'updatedAt',
    },
    { name: 'dealname', label: 'Deal Name', type: 'string', group: 'dealinformation' },
    {
      name: 'amount',
      label: 'Amount',
      type: 'number',
      group: 'dealinformation',
      numberDisplayHint: 'currency',
      showCurrencySymbol: true,
    },
    {
      name: 'amount_in_home_currency',
      label: 'Amount in company currency',
      type: 'number',
      group: 'dealinformation',
      readOnly: true,
      numberDisplayHint: 'currency',
    },
    {
      name: 'deal_currency_code',
      label: 'Currency',
      type: 'enumeration',
      group: 'dealinformation',
      options: options(context.currencies.map((c) => [c, c] as const)),
    },
    {
      name: 'pipeline',
      label: 'Pipeline',
      type: 'enumeration',
      group: 'dealinformation',
      options: options(PIPELINES.map((p) => [p.id, p.label] as const)),
    },
    {
      name: 'dealstage',
      label: 'Deal Stage',
      type: 'enumeration',
      group: 'dealinformation',
      options: options(stages.map((s) => [s.id, s.label] as const)),
    },
    { name: 'closedate', label: 'Close Date', type: 'datetime', group: 'dealinformation' },
    {
      name: 'dealtype',
      label: 'Deal Type',
      type: 'enumeration',
      group: 'dealinformation',
      options: options([
        ['newbusiness', 'New Business'],
        ['existingbusiness', 'Existing Business'],
      ]),
    },
    {
      name: 'hubspot_owner_id',
      label: 'Deal owner',
      type: 'enumeration',
      group: 'dealinformation',
      externalOptions: true,
      options: ownerOptions(context),
    },
    {
      name: 'hs_is_closed',
      label: 'Is Deal Closed?',
      type: 'bool',
      group: 'dealinformation',
      readOnly: true,
    },
    {
      name: 'hs_is_closed_won',
      label: 'Is Closed Won',
      type: 'bool',
      group: 'dealinformation',
      readOnly: true,
    },
    {
      name: 'hs_is_closed_lost',
      label: 'Is Closed Lost',
      type: 'bool',
      group: 'dealinformation',
      readOnly: true,
    },
    {
      name: 'hs_deal_stage_probability',
      label: 'Deal probability',
      type: 'number',
      group: 'dealinformation',
      readOnly: true,
      numberDisplayHint: 'probability',
    },
    {
      name: 'days_to_close',
      label: 'Days to close',
      type: 'number',
      group: 'dealinformation',
      readOnly: true,
    },
    {
      name: 'hs_merged_object_ids',
      label: 'Merged Deal IDs',
      type: 'enumeration',
      fieldType: 'checkbox',
      group: 'dealinformation',
      readOnly: true,
    },
    {
      name: 'hs_analytics_source',
      label: 'Original Traffic Source',
      type: 'enumeration',
      group: 'analyticsinformation',
      readOnly: true,
      options: SOURCE_OPTIONS,
    },
    {
      name: 'hs_analytics_source_data_1',
      label: 'Original Traffic Source Drill-Down 1',
      type: 'string',
      group: 'analyticsinformation',
      readOnly: true,
    },
    {
      name: 'hs_analytics_source_data_2',
      label: 'Original Traffic Source Drill-Down 2',
      type: 'string',
      group: 'analyticsinformation',
      readOnly: true,
    },
    ...stageDateProperties(stages, 'dealinformation'),
  ];
}

function meetingSpecs(context: SchemaContext): PropertySpec[] {
  return [
    {
      name: 'hs_object_id',
      label: 'Record ID',
      type: 'number',
      group: 'meeting',
      readOnly: true,
      virtual: 'id',
    },
    {
      name: 'hs_createdate',
      label: 'Create Date',
      type: 'datetime',
      group: 'meeting',
      readOnly: true,
      virtual: 'createdAt',
    },
    {
      name: 'hs_lastmodifieddate',
      label: 'Last Modified Date',
      type: 'datetime',
      group: 'meeting',
      readOnly: true,
      virtual: 'updatedAt',
    },
    { name: 'hs_timestamp', label: 'Activity date', type: 'datetime', group: 'meeting' },
    { name: 'hs_meeting_title', label: 'Meeting name', type: 'string', group: 'meeting' },
    { name: 'hs_meeting_start_time', label: 'Start Time', type: 'datetime', group: 'meeting' },
    { name: 'hs_meeting_end_time', label: 'End Time', type: 'datetime', group: 'meeting' },
    {
      name: 'hs_meeting_outcome',
      label: 'Meeting outcome',
      type: 'enumeration',
      group: 'meeting',
      options: options(
        MEETING_OUTCOMES.map((o) => [o, o.charAt(0) + o.slice(1).toLowerCase().replace('_', ' ')] as const),
      ),
    },
    {
      name: 'hs_meeting_source',
      label: 'Meeting source',
      type: 'enumeration',
      group: 'meeting',
      readOnly: true,
      options: options(MEETING_SOURCES.map((s) => [s, s] as const)),
    },
    {
      name: 'hubspot_owner_id',
      label: 'Activity assigned to',
      type: 'enumeration',
      group: 'meeting',
      externalOptions: true,
      options: ownerOptions(context),
    },
  ];
}

/** The properties calls and emails share (engagements): id, times, owner. */
function engagementSpecs(group: string, context: SchemaContext): PropertySpec[] {
  return [
    { name: 'hs_object_id', label: 'Record ID', type: 'number', group, readOnly: true, virtual: 'id' },
    {
      name: 'hs_createdate',
      label: 'Create Date',
      type: 'datetime',
      group,
      readOnly: true,
      virtual: 'createdAt',
    },
    {
      name: 'hs_lastmodifieddate',
      label: 'Last Modified Date',
      type: 'datetime',
      group,
      readOnly: true,
      virtual: 'updatedAt',
    },
    { name: 'hs_timestamp', label: 'Activity date', type: 'datetime', group },
    {
      name: 'hubspot_owner_id',
      label: 'Activity assigned to',
      type: 'enumeration',
      group,
      externalOptions: true,
      options: ownerOptions(context),
    },
  ];
}

function callSpecs(context: SchemaContext): PropertySpec[] {
  return [
    ...engagementSpecs('call', context),
    { name: 'hs_call_title', label: 'Call Title', type: 'string', group: 'call' },
    {
      name: 'hs_call_direction',
      label: 'Call direction',
      type: 'enumeration',
      group: 'call',
      options: options(CALL_DIRECTIONS.map((d) => [d, d.charAt(0) + d.slice(1).toLowerCase()] as const)),
    },
    {
      name: 'hs_call_status',
      label: 'Call status',
      type: 'enumeration',
      group: 'call',
      options: options(CALL_STATUSES.map((s) => [s, s] as const)),
    },
    { name: 'hs_call_duration', label: 'Call duration', type: 'number', group: 'call' },
  ];
}

function emailSpecs(context: SchemaContext): PropertySpec[] {
  return [
    ...engagementSpecs('email', context),
    { name: 'hs_email_subject', label: 'Email subject', type: 'string', group: 'email' },
    {
      name: 'hs_email_direction',
      label: 'Email direction',
      type: 'enumeration',
      group: 'email',
      options: options(EMAIL_DIRECTIONS.map((d) => [d, d] as const)),
    },
    { name: 'hs_email_status', label: 'Email send status', type: 'string', group: 'email' },
  ];
}

export function createObjectSchema(objectType: ObjectTypeName, context: SchemaContext): ObjectSchema {
  switch (objectType) {
    case 'contacts':
      return new ObjectSchema(
        'contacts',
        contactSpecs(context),
        [
          { name: 'contactinformation', label: 'Contact information', displayOrder: 0, archived: false },
          { name: 'analyticsinformation', label: 'Web analytics history', displayOrder: 1, archived: false },
          {
            name: 'conversioninformation',
            label: 'Conversion information',
            displayOrder: 2,
            archived: false,
          },
        ],
        ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
      );
    case 'deals':
      return new ObjectSchema(
        'deals',
        dealSpecs(context),
        [
          { name: 'dealinformation', label: 'Deal information', displayOrder: 0, archived: false },
          { name: 'analyticsinformation', label: 'Analytics information', displayOrder: 1, archived: false },
        ],
        [
          'amount',
          'closedate',
          'createdate',
          'dealname',
          'dealstage',
          'hs_lastmodifieddate',
          'hs_object_id',
          'pipeline',
        ],
      );
    case 'meetings':
      return new ObjectSchema(
        'meetings',
        meetingSpecs(context),
        [{ name: 'meeting', label: 'Meeting information', displayOrder: 0, archived: false }],
        ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
      );
    case 'calls':
      return new ObjectSchema(
        'calls',
        callSpecs(context),
        [{ name: 'call', label: 'Call information', displayOrder: 0, archived: false }],
        ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
      );
    case 'emails':
      return new ObjectSchema(
        'emails',
        emailSpecs(context),
        [{ name: 'email', label: 'Email information', displayOrder: 0, archived: false }],
        ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
      );
  }
}
