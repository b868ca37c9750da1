import { sql } from 'kysely';
import type { Database } from '../db';
import { BadRequestError, NotFoundError } from '../platform/http/errors';
import type { PortalSettings, SettingsUpdate } from './card.schemas';
import { readPortalState } from './portal-state';
import { getWritebackSettings, saveWritebackSettings } from '../writeback';

/**
 * The settings page's data: default attribution models, qualified stage per pipeline and CLV
 * overrides (ours, table portal_settings and pipelines.qualified_stage_id), the portal's time
 * zone and currency (from HubSpot's account info, read-only). A change is stored in one
 * transaction and then asks the KPI feature for a recomputation; the page shows whether the last
 * finished run started after the change.
 */
export type SettingsServiceDeps = {
  db: Database;
  /** Queues a KPI recomputation of the portal (the KPI feature's requestKpiRecompute). */
  requestRecompute: (portalId: number) => Promise<void>;
  /** Called after a change is stored (the card cache drops the portal's state). */
  onChange?: (portalId: number) => void;
};

export type SettingsService = {
  get(portalId: number): Promise<PortalSettings>;
  update(portalId: number, change: SettingsUpdate): Promise<PortalSettings>;
};

export function createSettingsService(deps: SettingsServiceDeps): SettingsService {
  const { db } = deps;

  async function get(portalId: number): Promise<PortalSettings> {
    const state = await readPortalState(db, portalId);
    if (!state.installed) throw new NotFoundError('portal not installed');
    const stored = await db
      .selectFrom('portal_settings')
      .select(['clv_average_order_value', 'clv_orders_per_year', 'clv_years_as_customer'])
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
    const pipelines = await loadPipelines(portalId);
    const writeback = await getWritebackSettings(db, portalId);
    const updatedAt = state.settingsUpdatedAt;
    return {
      defaultModels: state.defaultModels,
      pipelines,
      clvOverrides: {
        averageOrderValue: stored?.clv_average_order_value ?? null,
        ordersPerYear: stored?.clv_orders_per_year ?? null,
        yearsAsCustomer: stored?.clv_years_as_customer ?? null,
      },
      writeback,
      timeZone: state.timeZone,
      currency: state.currency,
      updatedAt: updatedAt ? updatedAt.toISOString() : null,
      figuresReflectSettings:
        state.lastRun !== null && (updatedAt === null || state.lastRun.startedAt >= updatedAt),
      lastRunFinishedAt: state.lastRun ? state.lastRun.finishedAt.toISOString() : null,
    };
  }

  async function loadPipelines(portalId: number): Promise<PortalSettings['pipelines']> {
    const rows = await db
      .selectFrom('pipelines as p')
      .leftJoin('pipeline_stages as s', (j) =>
        j.onRef('s.portal_id', '=', 'p.portal_id').onRef('s.pipeline_id', '=', 'p.pipeline_id'),
      )
      .select([
        'p.pipeline_id',
        'p.label as pipeline_label',
        'p.qualified_stage_id',
        's.stage_id',
        's.label as stage_label',
        's.is_closed',
        's.archived as stage_archived',
      ])
      .where('p.portal_id', '=', portalId)
      .where('p.archived', '=', false)
      // The KPI computation's stage order: display order, then id in byte order.
      .orderBy('p.display_order')
      .orderBy(sql`p.pipeline_id collate "C"`)
      .orderBy('s.display_order')
      .orderBy(sql`s.stage_id collate "C"`)
      .execute();
    const out = new Map<string, PortalSettings['pipelines'][number]>();
    for (const r of rows) {
      let p = out.get(r.pipeline_id);
      if (!p) {
        p = {
          id: r.pipeline_id,
          label: r.pipeline_label,
          qualifiedStageId: r.qualified_stage_id,
          effectiveQualifiedStageId: r.qualified_stage_id,
          stages: [],
        };
        out.set(r.pipeline_id, p);
      }
      if (r.stage_id !== null && r.stage_archived === false)
        p.stages.push({ id: r.stage_id, label: r.stage_label ?? r.stage_id, isClosed: r.is_closed ?? false });
    }
    for (const p of out.values())
      p.effectiveQualifiedStageId ??= p.stages.find((s) => !s.isClosed)?.id ?? null;
    return [...out.values()];
  }

  async function update(portalId: number, change: SettingsUpdate): Promise<PortalSettings> {
    const current = await get(portalId);
    // Zod has checked shapes; what only the portal's data can tell is checked here, naming the field.
    for (const [pipelineId, stageId] of Object.entries(change.qualifiedStages ?? {})) {
      const pipeline = current.pipelines.find((p) => p.id === pipelineId);
      if (!pipeline)
        throw new BadRequestError(`qualifiedStages.${pipelineId}: no such pipeline in this portal`, {
          field: `qualifiedStages.${pipelineId}`,
        });
      if (stageId !== null && !pipeline.stages.some((s) => s.id === stageId && !s.isClosed))
        throw new BadRequestError(
          `qualifiedStages.${pipelineId}: ${stageId} is not an open stage of pipeline ${pipeline.label}`,
          { field: `qualifiedStages.${pipelineId}` },
        );
    }
    await db.transaction().execute(async (trx) => {
      const models = { ...current.defaultModels, ...change.defaultModels };
      const clv = { ...current.clvOverrides, ...change.clvOverrides };
      const values = {
        portal_id: portalId,
        default_models: JSON.stringify(models),
        clv_average_order_value: clv.averageOrderValue,
        clv_orders_per_year: clv.ordersPerYear,
        clv_years_as_customer: clv.yearsAsCustomer,
        // The transaction's start, not the wall clock: a KPI run that starts after the commit is later.
        updated_at: sql<Date>`now()`,
      };
      await trx
        .insertInto('portal_settings')
        .values(values)
        .onConflict((oc) => oc.column('portal_id').doUpdateSet(values))
        .execute();
      for (const [pipelineId, stageId] of Object.entries(change.qualifiedStages ?? {}))
        await trx
          .updateTable('pipelines')
          .set({ qualified_stage_id: stageId })
          .where('portal_id', '=', portalId)
          .where('pipeline_id', '=', pipelineId)
          .execute();
      // The write-back feature owns its settings; stored in the same transaction.
      if (change.writeback) await saveWritebackSettings(trx, portalId, change.writeback);
    });
    deps.onChange?.(portalId);
    await deps.requestRecompute(portalId);
    return get(portalId);
  }

  return { get, update };
}
