import { z } from 'zod';

/**
 * zod shapes of the HubSpot answers the sync reads (reference §2). Values are strings or
 * null; unknown keys are kept out of our types but tolerated, since HubSpot adds fields.
 * (When src/hubspot/schemas.ts grows the same shapes, these can become re-exports.)
 */
export const historyVersionSchema = z.object({
  value: z
    .string()
    .nullable()
    .optional()
    .transform((v) => v ?? ''),
  timestamp: z.string(),
  sourceType: z.string().nullable().optional(),
});
export type HistoryVersion = z.infer<typeof historyVersionSchema>;

const associationsFieldSchema = z.record(
  z.string(),
  z.object({
    results: z.array(
      z.object({ id: z.union([z.string(), z.number()]).transform(String), type: z.string().optional() }),
    ),
  }),
);

export const crmObjectSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  properties: z.record(z.string(), z.string().nullable()).default({}),
  propertiesWithHistory: z.record(z.string(), z.array(historyVersionSchema)).optional(),
  associations: associationsFieldSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().optional(),
  archivedAt: z.string().optional(),
});
export type CrmObject = z.infer<typeof crmObjectSchema>;

export const listPageSchema = z.object({
  results: z.array(crmObjectSchema),
  paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional(),
});
export type ListPage = z.infer<typeof listPageSchema>;

export const searchPageSchema = z.object({
  total: z.number().optional(),
  results: z.array(crmObjectSchema),
  paging: z
    .object({ next: z.object({ after: z.union([z.string(), z.number()]).transform(String) }).optional() })
    .optional(),
});
export type SearchPage = z.infer<typeof searchPageSchema>;

/** Batch read answers 200 or 207 (some ids missing); both carry the found results. */
export const batchReadSchema = z.object({
  status: z.string().optional(),
  results: z.array(crmObjectSchema),
  errors: z
    .array(
      z.object({
        category: z.string().optional(),
        context: z.record(z.string(), z.array(z.string())).optional(),
      }),
    )
    .optional(),
});
export type BatchRead = z.infer<typeof batchReadSchema>;

export const associationBatchSchema = z.object({
  results: z.array(
    z.object({
      from: z.object({ id: z.union([z.string(), z.number()]).transform(String) }),
      to: z.array(z.object({ toObjectId: z.union([z.string(), z.number()]).transform(Number) })),
      paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional(),
    }),
  ),
  errors: z.array(z.object({ category: z.string().optional() }).passthrough()).optional(),
});
export type AssociationBatch = z.infer<typeof associationBatchSchema>;

const stringFlag = z.union([z.string(), z.boolean(), z.number()]).transform(String);

export const pipelinesSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      displayOrder: z.number().default(0),
      archived: z.boolean().default(false),
      stages: z.array(
        z.object({
          id: z.string(),
          label: z.string(),
          displayOrder: z.number().default(0),
          archived: z.boolean().default(false),
          metadata: z
            .object({ isClosed: stringFlag.optional(), probability: stringFlag.optional() })
            .partial()
            .default({}),
        }),
      ),
    }),
  ),
});
export type Pipelines = z.infer<typeof pipelinesSchema>;

export const ownersPageSchema = z.object({
  results: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).transform(String),
      email: z.string().nullable().optional(),
      firstName: z.string().nullable().optional(),
      lastName: z.string().nullable().optional(),
      userId: z.number().nullable().optional(),
      archived: z.boolean().default(false),
    }),
  ),
  paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional(),
});
export type OwnersPage = z.infer<typeof ownersPageSchema>;

export const propertySchema = z.object({
  name: z.string(),
  options: z
    .array(
      z.object({
        value: z.string(),
        label: z.string(),
        displayOrder: z.number().default(0),
        hidden: z.boolean().default(false),
      }),
    )
    .default([]),
});
export type PropertyDefinition = z.infer<typeof propertySchema>;

export const accountDetailsSchema = z.object({
  portalId: z.number(),
  timeZone: z.string().optional(),
  companyCurrency: z.string().optional(),
});
