import { z } from 'zod';

/**
 * zod shapes of the HubSpot payloads the app depends on (reference §1–§4). Objects are
 * not strict: HubSpot adds fields without notice, and an unknown field must not break a
 * sync. What we read is typed; everything else is dropped by the parse.
 */

const idString = z.union([z.string().min(1), z.number()]).transform(String);

// ---- OAuth (2026-03) ----

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  token_type: z.string().optional(),
  hub_id: z.number().int().positive(),
  user_id: z.number().int().optional(),
  scopes: z.array(z.string()).default([]),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export const introspectionSchema = z.discriminatedUnion('active', [
  z.object({
    active: z.literal(true),
    token_use: z.string().optional(),
    hub_id: z.number().int().positive(),
    user_id: z.number().int().optional(),
    user: z.string().optional(),
    hub_domain: z.string().optional(),
    app_id: z.number().int().optional(),
    client_id: z.string().optional(),
    scopes: z.array(z.string()).default([]),
    expires_in: z.number().optional(),
  }),
  z.object({ active: z.literal(false) }),
]);
export type Introspection = z.infer<typeof introspectionSchema>;

/** RFC 6749 errors, with HubSpot's legacy `status` (e.g. BAD_REFRESH_TOKEN) beside them. */
export const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  correlationId: z.string().optional(),
});
export type OAuthErrorBody = z.infer<typeof oauthErrorSchema>;

// ---- errors of the CRM APIs ----

/**
 * A CRM error's subCategory: a string on a call's own error, an object in a batch answer's
 * `errors[]` (the 2026-09 specs' StandardError). Kept as text either way; an odd shape is
 * dropped rather than failing the whole body and losing its message.
 */
const subCategorySchema = z
  .union([
    z.string(),
    z.record(z.string(), z.unknown()).transform((o) => {
      const text = Object.values(o).find((v): v is string => typeof v === 'string');
      return text ?? JSON.stringify(o);
    }),
  ])
  .optional()
  .catch(undefined);

export const standardErrorSchema = z.object({
  status: z.string().optional(),
  category: z.string().optional(),
  subCategory: subCategorySchema,
  message: z.string().default(''),
  correlationId: z.string().optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
  errors: z
    .array(z.object({ message: z.string(), code: z.string().optional(), in: z.string().optional() }))
    .optional(),
});
export type StandardError = z.infer<typeof standardErrorSchema>;

export const rateLimitErrorSchema = z.object({
  message: z.string().optional(),
  errorType: z.string().optional(),
  correlationId: z.string().optional(),
  policyName: z.string().optional(),
  groupName: z.string().optional(),
});

// ---- objects ----

export const historyVersionSchema = z.object({
  value: z
    .string()
    .nullable()
    .optional()
    .transform((v) => v ?? ''),
  timestamp: z.string(),
  sourceType: z.string().nullable().optional(),
  sourceId: z.string().nullable().optional(),
  sourceLabel: z.string().nullable().optional(),
  updatedByUserId: z.number().nullable().optional(),
});
export type HistoryVersion = z.infer<typeof historyVersionSchema>;

export const crmObjectSchema = z.object({
  id: idString,
  properties: z.record(z.string(), z.string().nullable()).default({}),
  propertiesWithHistory: z.record(z.string(), z.array(historyVersionSchema)).optional(),
  associations: z
    .record(
      z.string(),
      z.object({ results: z.array(z.object({ id: idString, type: z.string().optional() })) }),
    )
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().optional(),
  archivedAt: z.string().optional(),
});
export type CrmObject = z.infer<typeof crmObjectSchema>;

export const pagingSchema = z.object({
  next: z.object({ after: idString, link: z.string().optional() }).optional(),
});

/** GET /crm/objects/2026-09/{type}: stop when `paging.next` is absent. */
export const objectPageSchema = z.object({
  results: z.array(crmObjectSchema),
  paging: pagingSchema.optional(),
});
export type ObjectPage = z.infer<typeof objectPageSchema>;

export const searchPageSchema = z.object({
  total: z.number().optional(),
  results: z.array(crmObjectSchema),
  paging: pagingSchema.optional(),
});
export type SearchPage = z.infer<typeof searchPageSchema>;

/** Batch answers: 200 when all inputs worked, 207 with `errors` when some did not. */
export function batchResultSchema<T extends z.ZodType>(item: T) {
  return z.object({
    status: z.string().optional(),
    results: z.array(item),
    errors: z.array(standardErrorSchema).optional(),
    numErrors: z.number().optional(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
  });
}
export const objectBatchSchema = batchResultSchema(crmObjectSchema);
export type ObjectBatch = z.infer<typeof objectBatchSchema>;

// ---- associations (v4 shape, 2026-09 path) ----

export const associationBatchReadSchema = batchResultSchema(
  z.object({
    from: z.object({ id: idString }),
    to: z.array(
      z.object({
        toObjectId: idString,
        associationTypes: z
          .array(
            z.object({
              category: z.string(),
              typeId: z.number().int(),
              label: z.string().nullable().optional(),
            }),
          )
          .default([]),
      }),
    ),
    paging: pagingSchema.optional(),
  }),
);
export type AssociationBatchRead = z.infer<typeof associationBatchReadSchema>;

// ---- pipelines: stage metadata values are strings ("true", "0.2") ----

const stringish = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const pipelineStageSchema = z.object({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number().default(0),
  archived: z.boolean().default(false),
  metadata: z.record(z.string(), stringish).default({}),
});
export const pipelineSchema = z.object({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number().default(0),
  archived: z.boolean().default(false),
  stages: z.array(pipelineStageSchema),
});
export const pipelinesSchema = z.object({ results: z.array(pipelineSchema) });
export type Pipeline = z.infer<typeof pipelineSchema>;
export type Pipelines = z.infer<typeof pipelinesSchema>;

// ---- properties ----

export const PROPERTY_TYPES = [
  'bool',
  'date',
  'datetime',
  'enumeration',
  'number',
  'phone_number',
  'string',
] as const;
export const FIELD_TYPES = [
  'booleancheckbox',
  'calculation_equation',
  'checkbox',
  'date',
  'file',
  'html',
  'number',
  'phonenumber',
  'radio',
  'select',
  'text',
  'textarea',
] as const;

// HubSpot sends displayOrder and hidden with every option; the defaults keep a stored row complete.
export const propertyOptionSchema = z.object({
  label: z.string(),
  value: z.string(),
  displayOrder: z.number().default(0),
  hidden: z.boolean().default(false),
});

export const propertyDefinitionSchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.string(),
  fieldType: z.string(),
  groupName: z.string().default(''),
  description: z.string().optional(),
  options: z.array(propertyOptionSchema).default([]),
  hidden: z.boolean().optional(),
  calculated: z.boolean().optional(),
  hubspotDefined: z.boolean().optional(),
  archived: z.boolean().optional(),
  numberDisplayHint: z.string().optional(),
});
export type PropertyDefinition = z.infer<typeof propertyDefinitionSchema>;
export const propertiesSchema = z.object({ results: z.array(propertyDefinitionSchema) });

export const propertyGroupSchema = z.object({
  name: z.string(),
  label: z.string(),
  displayOrder: z.number().optional(),
  archived: z.boolean().optional(),
});
export const propertyGroupsSchema = z.object({ results: z.array(propertyGroupSchema) });

// ---- owners, account ----

export const ownerSchema = z.object({
  id: idString,
  email: z.string().nullable().optional(),
  firstName: z.string().nullable().optional(),
  lastName: z.string().nullable().optional(),
  userId: z.number().nullable().optional(),
  type: z.string().optional(),
  teams: z.array(z.object({ id: idString, name: z.string(), primary: z.boolean().optional() })).optional(),
  archived: z.boolean().default(false),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export const ownersPageSchema = z.object({ results: z.array(ownerSchema), paging: pagingSchema.optional() });
export type Owner = z.infer<typeof ownerSchema>;
export type OwnersPage = z.infer<typeof ownersPageSchema>;

export const accountDetailsSchema = z.object({
  portalId: z.number().int().positive(),
  timeZone: z.string().min(1),
  companyCurrency: z.string().min(1),
  additionalCurrencies: z.array(z.string()).default([]),
  uiDomain: z.string().optional(),
  dataHostingLocation: z.string().optional(),
});
export type AccountDetails = z.infer<typeof accountDetailsSchema>;

// ---- webhooks (reference §4) ----

const eventId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

/**
 * One webhook event, as the intake reads it. Lenient on purpose: ids may come as numbers
 * or digit strings, and only `portalId` is required, so an event HubSpot shapes a little
 * differently is still read (an unreadable one is counted and skipped, never a 500). The
 * docs call the type field `eventType`, real payloads send `subscriptionType`: both kept.
 */
export const webhookEventSchema = z.object({
  portalId: eventId,
  subscriptionType: z.string().optional(),
  eventType: z.string().optional(),
  objectId: eventId.optional(),
  objectTypeId: z.string().optional(),
  occurredAt: z.number().optional(),
  eventId: z.union([z.number(), z.string()]).optional(),
  subscriptionId: z.union([z.number(), z.string()]).optional(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  primaryObjectId: eventId.optional(),
  mergedObjectIds: z.array(eventId).optional(),
  // Legacy `<object>.associationChange` names the pair in `associationType` (CONTACT_TO_DEAL);
  // the generic `object.associationChange` names the sides' types and the association's type id.
  associationType: z.string().optional(),
  fromObjectTypeId: z.string().optional(),
  toObjectTypeId: z.string().optional(),
  associationTypeId: z.number().int().optional(),
  associationCategory: z.string().optional(),
  fromObjectId: eventId.optional(),
  toObjectId: eventId.optional(),
  associationRemoved: z.boolean().optional(),
  isPrimaryAssociation: z.boolean().optional(),
  changeSource: z.string().optional(),
  sourceId: z.string().optional(),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/**
 * The legacy analytics sources report broken down by day
 * (`GET /analytics/v2/reports/sources/daily?start=YYYYMMDD&end=YYYYMMDD`): an object keyed by day,
 * each day the sources with their metrics; only `breakdown` and `visits` are read.
 */
export const analyticsSourcesDailySchema = z.record(
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day key is YYYY-MM-DD'),
  z.array(z.looseObject({ breakdown: z.string().min(1), visits: z.number().int().nonnegative() })),
);
export type AnalyticsSourcesDaily = z.infer<typeof analyticsSourcesDailySchema>;
