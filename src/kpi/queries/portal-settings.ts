import { sql } from 'kysely';

import type { Executor } from '../../db';
import { DEFAULT_LIFECYCLE_ORDER } from '../models/metrics';
import type { Pipeline } from '../models/metrics';

/** What every KPI query of one portal needs to know first: small, read once per computation. */
export interface KpiSettings {
  readonly portalId: number;
  /** IANA zone of the portal (account info); UTC until the install has fetched it. */
  readonly timeZone: string;
  /** Company currency; null until known. */
  readonly homeCurrency: string | null;
  /**
   * More than one currency among the portal's deals (or one that is not the company currency):
   * then `amount` is a home amount only for deals in the home currency (see resolveHomeAmount).
   */
  readonly multiCurrency: boolean;
  /** Funnel order of lifecycle stages: the portal's own, else HubSpot's default. */
  readonly lifecycleOrder: readonly string[];
  /** Every pipeline (archived ones too: their metadata still classifies deals), in catalog order. */
  readonly pipelines: readonly (Pipeline & { readonly archived: boolean })[];
}

/** Stages are ordered by display order then id (byte order) here and in every SQL ranking. */
export async function loadKpiSettings(db: Executor, portalId: number): Promise<KpiSettings> {
  const portal = await db
    .selectFrom('portals')
    .select(['time_zone', 'company_currency'])
    .where('portal_id', '=', portalId)
    .executeTakeFirst();
  const homeCurrency = portal?.company_currency ?? null;
  const currencies = await sql<{ currency: string }>`
    select distinct upper(currency) as currency from deals
    where portal_id = ${portalId} and not archived and currency is not null`.execute(db);
  const codes = currencies.rows.map((r) => r.currency);
  const multiCurrency =
    codes.length > 1 || (homeCurrency !== null && codes.some((c) => c !== homeCurrency.toUpperCase()));

  const stages = await sql<{
    pipeline_id: string;
    qualified_stage_id: string | null;
    archived: boolean;
    stage_id: string | null;
    display_order: number | null;
    is_closed: boolean | null;
    probability: number | null;
  }>`
    select p.pipeline_id, p.qualified_stage_id, p.archived, s.stage_id, s.display_order, s.is_closed, s.probability
    from pipelines p
    left join pipeline_stages s on s.portal_id = p.portal_id and s.pipeline_id = p.pipeline_id
    where p.portal_id = ${portalId}
    order by p.display_order, p.pipeline_id collate "C", s.display_order, s.stage_id collate "C"`.execute(db);
  const pipelines = new Map<
    string,
    { id: string; qualifiedStageId: string | null; archived: boolean; stages: Pipeline['stages'][number][] }
  >();
  for (const r of stages.rows) {
    let p = pipelines.get(r.pipeline_id);
    if (p === undefined) {
      p = { id: r.pipeline_id, qualifiedStageId: r.qualified_stage_id, archived: r.archived, stages: [] };
      pipelines.set(r.pipeline_id, p);
    }
    if (r.stage_id !== null) {
      p.stages.push({
        id: r.stage_id,
        displayOrder: r.display_order ?? 0,
        isClosed: r.is_closed ?? false,
        probability: r.probability,
      });
    }
  }

  const lifecycle = await db
    .selectFrom('lifecycle_stages')
    .select('stage_id')
    .where('portal_id', '=', portalId)
    .where('archived', '=', false)
    // `other` is not a step of the funnel (see DEFAULT_LIFECYCLE_ORDER).
    .where('stage_id', '<>', 'other')
    .orderBy('display_order')
    .execute();
  return {
    portalId,
    timeZone: portal?.time_zone ?? 'UTC',
    homeCurrency,
    multiCurrency,
    lifecycleOrder: lifecycle.length > 0 ? lifecycle.map((r) => r.stage_id) : DEFAULT_LIFECYCLE_ORDER,
    pipelines: [...pipelines.values()],
  };
}
