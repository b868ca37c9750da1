import { sql } from 'kysely';

import type { Executor } from '../../platform/db/executor';
import type { AttributionModel, Conversion } from '../models/attribution';
import { ATTRIBUTION_MODELS, NO_TOUCH_CHANNEL } from '../models/attribution';
import type { WideCredits } from '../wide-credits';

/**
 * Buffers credit rows column by column and writes them with one `insert … select from unnest(…)`
 * per flush: a fixed number of bind parameters whatever the batch size, and no per-row objects.
 */
export interface CreditWriter {
  add(conversion: Conversion, wide: WideCredits): Promise<void>;
  /** Writes what is buffered; returns the total rows written so far. */
  flush(): Promise<number>;
}

export function createCreditWriter(
  db: Executor,
  args: { readonly portalId: number; readonly runId: number; readonly flushRows?: number },
): CreditWriter {
  const flushRows = args.flushRows ?? 20_000;
  let kinds: string[] = [];
  let conversionIds: string[] = [];
  let touchIds: string[] = [];
  let channels: string[] = [];
  let touchAts: (number | null)[] = [];
  let convertedAts: number[] = [];
  let values: number[] = [];
  let byModel: number[][] = ATTRIBUTION_MODELS.map(() => []);
  let written = 0;

  async function flush(): Promise<number> {
    if (kinds.length === 0) return written;
    const modelColumns = sql.join(ATTRIBUTION_MODELS.map((m: AttributionModel) => sql.ref(m)));
    const modelArrays = sql.join(byModel.map((column) => sql`${column}::float8[]`));
    await sql`
      insert into kpi_credits (portal_id, conversion_kind, conversion_id, touch_id, channel, touch_at, converted_at,
        value, ${modelColumns}, run_id)
      select ${args.portalId}, k, c::bigint, t, ch, case when ta is null then null else to_timestamp(ta / 1000) end,
        to_timestamp(ca / 1000), v, ${modelColumns}, ${args.runId}
      from unnest(${kinds}::text[], ${conversionIds}::text[], ${touchIds}::text[], ${channels}::text[],
        ${touchAts}::float8[], ${convertedAts}::float8[], ${values}::float8[], ${modelArrays})
        as r(k, c, t, ch, ta, ca, v, ${modelColumns})`.execute(db);
    written += kinds.length;
    kinds = [];
    conversionIds = [];
    touchIds = [];
    channels = [];
    touchAts = [];
    convertedAts = [];
    values = [];
    byModel = ATTRIBUTION_MODELS.map(() => []);
    return written;
  }

  async function add(conversion: Conversion, wide: WideCredits): Promise<void> {
    const rows = Math.max(1, wide.touches.length);
    for (let i = 0; i < rows; i++) {
      const touch = wide.touches[i];
      kinds.push(conversion.kind);
      conversionIds.push(conversion.id);
      touchIds.push(touch?.id ?? '');
      channels.push(touch?.channel ?? NO_TOUCH_CHANNEL);
      touchAts.push(touch?.at ?? null);
      convertedAts.push(conversion.convertedAt);
      values.push(wide.value);
      for (let m = 0; m < ATTRIBUTION_MODELS.length; m++) byModel[m]!.push(wide.credits[m]![i]!);
    }
    if (kinds.length >= flushRows) await flush();
  }

  return { add, flush };
}
