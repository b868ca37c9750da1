/**
 * The fixed vocabulary of a simulated portal: object types, lifecycle stages
 * (one custom stage with a numeric id, as portals that customised their
 * lifecycle have), deal pipelines (one with numeric stage ids), analytics
 * sources and meeting sources. Values are HubSpot's internal names
 * (reference §2.1, §6).
 */
export type ObjectTypeName = 'contacts' | 'deals' | 'meetings' | 'calls' | 'emails';

export type ObjectTypeInfo = {
  name: ObjectTypeName;
  objectTypeId: string;
  singular: string;
  /** The prefix of legacy webhook subscription types; meetings have none. */
  webhookPrefix: 'contact' | 'deal' | null;
};

export const OBJECT_TYPES: Readonly<Record<ObjectTypeName, ObjectTypeInfo>> = {
  contacts: { name: 'contacts', objectTypeId: '0-1', singular: 'contact', webhookPrefix: 'contact' },
  deals: { name: 'deals', objectTypeId: '0-3', singular: 'deal', webhookPrefix: 'deal' },
  meetings: { name: 'meetings', objectTypeId: '0-47', singular: 'meeting', webhookPrefix: null },
  calls: { name: 'calls', objectTypeId: '0-48', singular: 'call', webhookPrefix: null },
  emails: { name: 'emails', objectTypeId: '0-49', singular: 'email', webhookPrefix: null },
};

const OBJECT_TYPE_ALIASES: ReadonlyMap<string, ObjectTypeName> = new Map<string, ObjectTypeName>([
  ['contacts', 'contacts'],
  ['contact', 'contacts'],
  ['0-1', 'contacts'],
  ['deals', 'deals'],
  ['deal', 'deals'],
  ['0-3', 'deals'],
  ['meetings', 'meetings'],
  ['meeting', 'meetings'],
  ['0-47', 'meetings'],
  ['calls', 'calls'],
  ['call', 'calls'],
  ['0-48', 'calls'],
  ['emails', 'emails'],
  ['email', 'emails'],
  ['0-49', 'emails'],
]);

export function resolveObjectType(raw: string): ObjectTypeName | undefined {
  return OBJECT_TYPE_ALIASES.get(raw.toLowerCase());
}

export type LifecycleStage = { id: string; label: string; order: number };

/** The custom stage's id is numeric, like those of portals that added stages after 2022-09. */
export const CUSTOM_LIFECYCLE_STAGE_ID = '153180554';

export const LIFECYCLE_STAGES: readonly LifecycleStage[] = [
  { id: 'subscriber', label: 'Subscriber', order: 0 },
  { id: 'lead', label: 'Lead', order: 1 },
  { id: 'marketingqualifiedlead', label: 'Marketing Qualified Lead', order: 2 },
  { id: CUSTOM_LIFECYCLE_STAGE_ID, label: 'Product Qualified Lead', order: 3 },
  { id: 'salesqualifiedlead', label: 'Sales Qualified Lead', order: 4 },
  { id: 'opportunity', label: 'Opportunity', order: 5 },
  { id: 'customer', label: 'Customer', order: 6 },
  { id: 'evangelist', label: 'Evangelist', order: 7 },
  { id: 'other', label: 'Other', order: 8 },
];

export type DealStage = {
  id: string;
  label: string;
  displayOrder: number;
  probability: number;
  isClosed: boolean;
};
export type Pipeline = { id: string; label: string; displayOrder: number; stages: DealStage[] };

export const DEFAULT_PIPELINE_ID = 'default';
/** Numeric ids, as HubSpot assigns to pipelines and stages a portal creates. */
export const ENTERPRISE_PIPELINE_ID = '75318642';

export const PIPELINES: readonly Pipeline[] = [
  {
    id: DEFAULT_PIPELINE_ID,
    label: 'Sales Pipeline',
    displayOrder: 0,
    stages: [
      {
        id: 'appointmentscheduled',
        label: 'Appointment Scheduled',
        displayOrder: 0,
        probability: 0.2,
        isClosed: false,
      },
      { id: 'qualifiedtobuy', label: 'Qualified To Buy', displayOrder: 1, probability: 0.4, isClosed: false },
      {
        id: 'presentationscheduled',
        label: 'Presentation Scheduled',
        displayOrder: 2,
        probability: 0.6,
        isClosed: false,
      },
      {
        id: 'decisionmakerboughtin',
        label: 'Decision Maker Bought-In',
        displayOrder: 3,
        probability: 0.8,
        isClosed: false,
      },
      { id: 'contractsent', label: 'Contract Sent', displayOrder: 4, probability: 0.9, isClosed: false },
      { id: 'closedwon', label: 'Closed Won', displayOrder: 5, probability: 1, isClosed: true },
      { id: 'closedlost', label: 'Closed Lost', displayOrder: 6, probability: 0, isClosed: true },
    ],
  },
  {
    id: ENTERPRISE_PIPELINE_ID,
    label: 'Enterprise Pipeline',
    displayOrder: 1,
    stages: [
      { id: '75318643', label: 'Discovery', displayOrder: 0, probability: 0.1, isClosed: false },
      { id: '75318644', label: 'Solution Design', displayOrder: 1, probability: 0.3, isClosed: false },
      { id: '75318645', label: 'Proposal', displayOrder: 2, probability: 0.5, isClosed: false },
      { id: '75318646', label: 'Negotiation', displayOrder: 3, probability: 0.75, isClosed: false },
      { id: '75318647', label: 'Closed Won', displayOrder: 4, probability: 1, isClosed: true },
      { id: '75318648', label: 'Closed Lost', displayOrder: 5, probability: 0, isClosed: true },
    ],
  },
];

export function findStage(stageId: string): { pipeline: Pipeline; stage: DealStage } | undefined {
  for (const pipeline of PIPELINES) {
    const stage = pipeline.stages.find((s) => s.id === stageId);
    if (stage) return { pipeline, stage };
  }
  return undefined;
}

export const ANALYTICS_SOURCES = [
  ['ORGANIC_SEARCH', 'Organic Search'],
  ['PAID_SEARCH', 'Paid Search'],
  ['EMAIL_MARKETING', 'Email Marketing'],
  ['SOCIAL_MEDIA', 'Organic Social'],
  ['PAID_SOCIAL', 'Paid Social'],
  ['REFERRALS', 'Referrals'],
  ['DIRECT_TRAFFIC', 'Direct Traffic'],
  ['OTHER_CAMPAIGNS', 'Other Campaigns'],
  ['OFFLINE', 'Offline Sources'],
  ['AI_REFERRALS', 'AI Referrals'],
] as const;

export type AnalyticsSource = (typeof ANALYTICS_SOURCES)[number][0];

export const MEETING_SOURCES = [
  'MEETINGS_PUBLIC',
  'CRM_UI',
  'BIDIRECTIONAL_SYNC',
  'MEETINGS_EMBEDDED',
  'INTEGRATION',
] as const;
export const MEETING_OUTCOMES = ['SCHEDULED', 'COMPLETED', 'RESCHEDULED', 'NO_SHOW', 'CANCELED'] as const;

/** Association type ids (HUBSPOT_DEFINED), reference §2 and gotcha 17. */
export const ASSOCIATION_TYPES = {
  dealToContact: 3,
  contactToDeal: 4,
  contactToMeeting: 199,
  meetingToContact: 200,
  contactToCall: 193,
  callToContact: 194,
  contactToEmail: 197,
  emailToContact: 198,
} as const;

/** `hs_email_direction`: EMAIL is a one-to-one email sent to the contact, INCOMING_EMAIL their reply. */
export const EMAIL_DIRECTIONS = ['EMAIL', 'INCOMING_EMAIL', 'FORWARDED_EMAIL'] as const;
export const CALL_DIRECTIONS = ['OUTBOUND', 'INBOUND'] as const;
export const CALL_STATUSES = ['COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'CANCELED'] as const;
