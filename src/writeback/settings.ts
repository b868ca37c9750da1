import { sql } from 'kysely';
import { z } from 'zod';
import { ATTRIBUTION_MODELS } from '../kpi';
import type { AttributionModel } from '../kpi';
import type { Executor } from '../db';

/**
 * Per-portal write-back settings, stored in Postgres (`writeback_settings`). A portal without a row
 * has the defaults: everything on. The settings page (src/cards) reads and writes them through
 * `getWritebackSettings` / `saveWritebackSettings`.
 */
const model = z.enum(ATTRIBUTION_MODELS);

export const writebackSettingsSchema = z
  .object({
    /** Write the deal properties. */
    deals: z.boolean(),
    /** Write the contact properties. */
    contacts: z.boolean(),
    /** The models whose attributed channel is written on deals (one enumeration property each). */
    channelModels: z
      .array(model)
      .refine((models) => new Set(models).size === models.length, 'each model at most once'),
    /**
     * The revenue model behind the per-channel credit properties ("KPI Bridge credit: …"), so a
     * HubSpot report summing them matches KPI Bridge's channel totals of that model.
     */
    creditModel: model,
  })
  .strict();
export type WritebackSettings = z.infer<typeof writebackSettingsSchema>;

/** What a settings page may send: any subset of the settings; unknown keys are refused. */
export const writebackSettingsPatchSchema = writebackSettingsSchema.partial().strict();
export type WritebackSettingsPatch = z.infer<typeof writebackSettingsPatchSchema>;

/** W-shaped is the spec's default model for revenue (docs/kpis.md). */
export const DEFAULT_CREDIT_MODEL: AttributionModel = 'w_shaped';

export const DEFAULT_WRITEBACK_SETTINGS: Readonly<WritebackSettings> = Object.freeze({
  deals: true,
  contacts: true,
  channelModels: [...ATTRIBUTION_MODELS],
  creditModel: DEFAULT_CREDIT_MODEL,
});

/** Stored settings over the defaults; a stored value that no longer parses falls back to its default. */
function resolve(stored: Record<string, unknown> | undefined): WritebackSettings {
  const settings: WritebackSettings = {
    ...DEFAULT_WRITEBACK_SETTINGS,
    channelModels: [...ATTRIBUTION_MODELS],
  };
  if (!stored) return settings;
  for (const key of Object.keys(writebackSettingsSchema.shape) as (keyof WritebackSettings)[]) {
    const parsed = writebackSettingsSchema.shape[key].safeParse(stored[key]);
    if (parsed.success) (settings as Record<string, unknown>)[key] = parsed.data;
  }
  return settings;
}

export async function getWritebackSettings(db: Executor, portalId: number): Promise<WritebackSettings> {
  const row = await db
    .selectFrom('writeback_settings')
    .select('settings')
    .where('portal_id', '=', portalId)
    .executeTakeFirst();
  return resolve(row?.settings);
}

/**
 * Validates `patch` (throws a ZodError for the caller to answer 400 with), merges it over the
 * portal's settings and stores the result. Returns the settings now in force.
 */
export async function saveWritebackSettings(
  db: Executor,
  portalId: number,
  patch: unknown,
): Promise<WritebackSettings> {
  const changes = writebackSettingsPatchSchema.parse(patch);
  const current = await getWritebackSettings(db, portalId);
  const next = writebackSettingsSchema.parse({ ...current, ...changes });
  await db
    .insertInto('writeback_settings')
    .values({ portal_id: portalId, settings: JSON.stringify(next) })
    .onConflict((oc) =>
      oc.column('portal_id').doUpdateSet({ settings: JSON.stringify(next), updated_at: sql`now()` }),
    )
    .execute();
  return next;
}
