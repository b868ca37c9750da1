import type { Executor } from '../db';
import type { AttributionBreakdown, AttributionConversionKind, KpiAttributionTotalRow } from './kpi.tables';

export interface AttributionTotalsQuery {
  readonly portalId: number;
  readonly kind: AttributionConversionKind;
  /** One model, e.g. `w_shaped`; all models when absent. */
  readonly model?: string | undefined;
  /** week | month | quarter | trailing_90d. */
  readonly periodUnit: string;
  /** The period's start (an instant); all stored periods of the unit when absent, newest first. */
  readonly periodStart?: Date | undefined;
  /** Default `all`. */
  readonly breakdown?: AttributionBreakdown | undefined;
  /** Only this breakdown value (a source, a pipeline id, an owner id). */
  readonly breakdownValue?: string | undefined;
}

/**
 * Stored attribution totals of the latest computation for one kind, period unit and breakdown,
 * newest period first, then model, then credit (largest first) and channel. Every row names its
 * period (`period_start`, `period_end`, `period_label`), so whatever shows it can say which.
 */
export async function readAttributionTotals(
  db: Executor,
  q: AttributionTotalsQuery,
): Promise<KpiAttributionTotalRow[]> {
  let query = db
    .selectFrom('kpi_attribution_totals')
    .selectAll()
    .where('portal_id', '=', q.portalId)
    .where('conversion_kind', '=', q.kind)
    .where('period_unit', '=', q.periodUnit)
    .where('breakdown', '=', q.breakdown ?? 'all');
  if (q.model !== undefined) query = query.where('model', '=', q.model);
  if (q.periodStart !== undefined) query = query.where('period_start', '=', q.periodStart);
  if (q.breakdownValue !== undefined) query = query.where('breakdown_value', '=', q.breakdownValue);
  return query
    .orderBy('period_start', 'desc')
    .orderBy('model')
    .orderBy('breakdown_value')
    .orderBy('credit', 'desc')
    .orderBy('channel')
    .execute();
}
