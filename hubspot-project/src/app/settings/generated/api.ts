// Generated from app-manifest.json by `kpi-bridge hubspot-project`: do not edit. Source: src/cards/card.schemas.ts.
import { z } from 'zod';

/**
 * The contract between the read API (src/cards) and the React extensions in hubspot-project/:
 * response and request shapes of GET /cards/deal, GET /cards/contact and GET/PUT /settings.
 * This file is copied verbatim into the extensions by the project generator (a test fails when
 * the copy differs), so it may import nothing but zod. The backend validates what it sends with
 * these schemas in tests; the cards parse what they receive with them.
 */

export const CARD_PATHS = { deal: '/cards/deal', contact: '/cards/contact', settings: '/settings' } as const;

/** Longest lists a card shows; the rest is counted in `more` ("and N more"). */
export const TOUCH_LIST_CAP = 30;
export const CONTACT_LIST_CAP = 10;
export const LIFECYCLE_LIST_CAP = 20;

export const ATTRIBUTION_MODEL_IDS = [
  'first_touch',
  'last_touch',
  'linear',
  'u_shaped',
  'w_shaped',
  'full_path',
  'time_decay',
  'j_shaped',
  'inverse_j',
  'markov',
  'shapley',
] as const;
export const attributionModelSchema = z.enum(ATTRIBUTION_MODEL_IDS);
export type AttributionModelId = z.infer<typeof attributionModelSchema>;

export const MODEL_LABELS: Record<AttributionModelId, string> = {
  first_touch: 'First touch',
  last_touch: 'Last touch',
  linear: 'Linear',
  u_shaped: 'U-shaped',
  w_shaped: 'W-shaped',
  full_path: 'Full path',
  time_decay: 'Time decay',
  j_shaped: 'J-shaped',
  inverse_j: 'Inverse J',
  markov: 'Data-driven (Markov)',
  shapley: 'Data-driven (Shapley)',
};

const isoDate = z.string().datetime({ offset: true });
const recordId = z.string().regex(/^[1-9]\d{0,18}$/);

/** A figure: a number, or null with the reason it is unknown. */
export const figureSchema = z.object({ value: z.number().nullable(), reason: z.string().nullable() });
export type Figure = z.infer<typeof figureSchema>;

/** The portal is installed but its first sync or first KPI run has not finished. */
export const portalPendingSchema = z.object({
  state: z.literal('portal_pending'),
  phase: z.enum(['sync', 'kpi']),
  /** Records synced so far (null when the sync has not started). HubSpot gives no total up front. */
  recordsSynced: z.number().int().nonnegative().nullable(),
  /** When the running KPI computation started, if one is running. */
  kpiStartedAt: isoDate.nullable(),
});

/**
 * The sync has the record but the last KPI run does not (it was created or changed since).
 * A record the sync does not have yet is a 404: it cannot be told apart from another portal's.
 */
export const recordPendingSchema = z.object({ state: z.literal('record_pending') });

const touchRoleSchema = z.enum(['first', 'lead_creation', 'deal_creation', 'closed_won', 'last']);
export type TouchRole = z.infer<typeof touchRoleSchema>;

export const touchSchema = z.object({
  id: z.string(),
  at: isoDate,
  channel: z.string(),
  kind: z.string(),
  contactId: recordId,
  /** Key roles in the conversion's attribution (deal card); empty for other touches. */
  roles: z.array(touchRoleSchema),
});
export type CardTouch = z.infer<typeof touchSchema>;

const capped = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), more: z.number().int().nonnegative() });

const velocityFactorKeys = [
  'qualified_opportunities',
  'win_rate',
  'average_won_deal_size',
  'sales_cycle_days',
] as const;
export const velocityFactorSchema = z.object({
  key: z.enum(velocityFactorKeys),
  value: figureSchema,
  /** (current − previous) ÷ |previous|, a fraction. */
  changeRelative: figureSchema,
});

export const dealCardSchema = z.object({
  state: z.literal('ready'),
  /** The computation these figures come from. */
  asOf: isoDate,
  currency: z.string().nullable(),
  deal: z.object({
    id: recordId,
    name: z.string().nullable(),
    pipeline: z.object({ id: z.string(), label: z.string() }),
    stage: z.object({ id: z.string(), label: z.string() }),
    outcome: z.enum(['open', 'won', 'lost']),
    amount: z.number().nullable(),
    source: z.string(),
    createdAt: isoDate,
    closeDate: isoDate.nullable(),
  }),
  timing: z.object({
    ageDays: z.number(),
    daysInStage: figureSchema,
    stageMedianDays: figureSchema,
    /** In the current stage longer than the pipeline's median stay there (open deals only). */
    stuck: z.boolean().nullable(),
    salesCycleDays: figureSchema,
  }),
  velocity: z.object({
    periodLabel: z.string().nullable(),
    value: figureSchema,
    changeRelative: figureSchema,
    factors: z.array(velocityFactorSchema),
    /** The factor that pulled velocity down most against the previous period, if any did. */
    movedAgainst: z.enum(velocityFactorKeys).nullable(),
  }),
  attribution: z.union([
    z.object({
      kind: z.enum(['revenue', 'deal_create']),
      value: z.number(),
      defaultModel: attributionModelSchema,
      /** Credit per channel under each model; every model's credits sum to `value`. */
      models: z.array(
        z.object({
          model: attributionModelSchema,
          channels: z.array(z.object({ channel: z.string(), credit: z.number() })),
        }),
      ),
    }),
    z.object({ kind: z.literal('none'), reason: z.string() }),
  ]),
  touches: capped(touchSchema),
  contacts: capped(
    z.object({
      id: recordId,
      email: z.string().nullable(),
      minutesToFirstActivity: figureSchema,
      withinFiveMinutes: z.boolean().nullable(),
    }),
  ),
});
export type DealCard = z.infer<typeof dealCardSchema>;

export const contactCardSchema = z.object({
  state: z.literal('ready'),
  asOf: isoDate,
  currency: z.string().nullable(),
  contact: z.object({
    id: recordId,
    email: z.string().nullable(),
    source: z.string(),
    lifecycleStage: z.string().nullable(),
    createdAt: isoDate,
    customerSince: isoDate.nullable(),
  }),
  firstTouch: touchSchema.nullable(),
  lastTouch: touchSchema.nullable(),
  touches: capped(touchSchema),
  lifecycle: capped(z.object({ stage: z.string(), label: z.string(), enteredAt: isoDate })),
  speedToLead: z.object({ minutes: figureSchema, withinFiveMinutes: z.boolean().nullable() }),
  daysToDeal: figureSchema,
  wonRevenue: figureSchema,
  wonDeals: z.number().int().nonnegative(),
  openPipeline: figureSchema,
  openDeals: z.number().int().nonnegative(),
});
export type ContactCard = z.infer<typeof contactCardSchema>;

export const dealCardResponseSchema = z.discriminatedUnion('state', [
  dealCardSchema,
  portalPendingSchema,
  recordPendingSchema,
]);
export type DealCardResponse = z.infer<typeof dealCardResponseSchema>;
export const contactCardResponseSchema = z.discriminatedUnion('state', [
  contactCardSchema,
  portalPendingSchema,
  recordPendingSchema,
]);
export type ContactCardResponse = z.infer<typeof contactCardResponseSchema>;

/** What a user can change on the settings page (PUT /settings); omitted keys keep their value. */
export const settingsUpdateSchema = z
  .object({
    defaultModels: z
      .object({
        revenue: attributionModelSchema,
        deal_create: attributionModelSchema,
        contact_create: attributionModelSchema,
      })
      .partial()
      .strict(),
    /** Pipeline id → stage id whose entry makes a deal qualified; null: the first open stage. */
    qualifiedStages: z.record(z.string().min(1).max(100), z.string().min(1).max(100).nullable()),
    /** CLV factors; null: measured from won deals. */
    clvOverrides: z
      .object({
        averageOrderValue: z.number().positive().finite().nullable(),
        ordersPerYear: z.number().positive().finite().nullable(),
        yearsAsCustomer: z.number().positive().max(100).nullable(),
      })
      .partial()
      .strict(),
    /** Write-back to HubSpot properties (src/writeback): per object type, and which models. */
    writeback: z
      .object({
        deals: z.boolean(),
        contacts: z.boolean(),
        channelModels: z
          .array(attributionModelSchema)
          .refine((models) => new Set(models).size === models.length, 'each model at most once'),
        creditModel: attributionModelSchema,
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();
export type SettingsUpdate = z.infer<typeof settingsUpdateSchema>;

export const settingsSchema = z.object({
  defaultModels: z.object({
    revenue: attributionModelSchema,
    deal_create: attributionModelSchema,
    contact_create: attributionModelSchema,
  }),
  pipelines: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      /** The stored choice; null: the first open stage (`effectiveQualifiedStageId`). */
      qualifiedStageId: z.string().nullable(),
      effectiveQualifiedStageId: z.string().nullable(),
      stages: z.array(z.object({ id: z.string(), label: z.string(), isClosed: z.boolean() })),
    }),
  ),
  clvOverrides: z.object({
    averageOrderValue: z.number().nullable(),
    ordersPerYear: z.number().nullable(),
    yearsAsCustomer: z.number().nullable(),
  }),
  /**
   * Write-back: deal and contact properties on or off, the models whose attributed channel is
   * written on deals, and the revenue model behind the per-channel credit properties.
   */
  writeback: z.object({
    deals: z.boolean(),
    contacts: z.boolean(),
    channelModels: z.array(attributionModelSchema),
    creditModel: attributionModelSchema,
  }),
  /** Read from HubSpot's account info; shown, not editable. */
  timeZone: z.string().nullable(),
  currency: z.string().nullable(),
  /** When settings were last changed, and whether a finished KPI run started after that. */
  updatedAt: isoDate.nullable(),
  figuresReflectSettings: z.boolean(),
  lastRunFinishedAt: isoDate.nullable(),
});
export type PortalSettings = z.infer<typeof settingsSchema>;

/** Error bodies of the API (4xx/5xx). */
export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    details: z.unknown().optional(),
  }),
});
