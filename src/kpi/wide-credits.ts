import type { Conversion, MarkovModel, ShapleyModel, Touch } from './models/attribution';
import {
  allocateLinearShares,
  allocateMarkovShares,
  allocatePositionShares,
  allocateShapleyShares,
  allocateTimeDecayShares,
  ATTRIBUTION_MODELS,
  conversionValue,
  findKeyTouches,
  selectPositionRule,
  splitValue,
  toCents,
} from './models/attribution';

/** The population-built models a conversion's credits need. */
export interface DataDriven {
  readonly markov: Pick<MarkovModel, 'removalEffects'>;
  readonly shapley: ShapleyModel;
}

/**
 * The credits of one conversion under all eleven models, one row per counted touch: the same numbers
 * as `attributeConversion` (a test holds them equal), laid out as the `kpi_credits` table stores
 * them, without allocating one object per touch per model (millions of conversions per portal).
 */
export interface WideCredits {
  /** Counted touches in time-then-id order; empty for a conversion without touches. */
  readonly touches: readonly Touch[];
  /** `credits[m][i]`: credit of touch i under ATTRIBUTION_MODELS[m]; one entry (the `(no touch)` row) when no touch counts. */
  readonly credits: readonly (readonly number[])[];
  /** The value distributed: rounded to the cent for revenue. */
  readonly value: number;
}

/**
 * Position-model shares depend only on the number of touches and where the key roles fall, which
 * repeat across millions of conversions: computed once per (kind, count, roles).
 */
export type PositionShareCache = Map<string, readonly (readonly number[] | null)[]>;

/**
 * The wide credits of a conversion whose touches are already counted and ordered
 * (`selectCountedTouches`' result: at or before the conversion, by time then id);
 * `conversion.touches` is not read.
 */
export function creditCountedTouches(
  conversion: Conversion,
  counted: readonly Touch[],
  models: DataDriven,
  cache?: PositionShareCache,
): WideCredits {
  const money = conversion.kind === 'revenue';
  const raw = conversionValue(conversion);
  const value = money ? toCents(raw) / 100 : raw;
  if (counted.length === 0) {
    const [whole] = splitValue([1], raw, money);
    return { touches: [], credits: ATTRIBUTION_MODELS.map(() => [whole!]), value };
  }
  const keyTouches = findKeyTouches(conversion, counted);
  const key = `${conversion.kind}|${counted.length}|${keyTouches.leadCreation}|${keyTouches.dealCreation}`;
  let positional = cache?.get(key);
  if (positional === undefined) {
    positional = ATTRIBUTION_MODELS.map((model) => {
      if (model === 'linear') return allocateLinearShares(counted.length);
      if (model === 'time_decay' || model === 'markov' || model === 'shapley') return null;
      return allocatePositionShares(counted.length, keyTouches, selectPositionRule(model, conversion.kind));
    });
    cache?.set(key, positional);
  }
  // A count worth 1 is credited its shares as they are (share × 1 is the share).
  const asShares = !money && raw === 1;
  const credits = ATTRIBUTION_MODELS.map((model, m) => {
    const shares =
      positional[m] ??
      (model === 'time_decay'
        ? allocateTimeDecayShares(counted)
        : model === 'markov'
          ? allocateMarkovShares(counted, models.markov)
          : allocateShapleyShares(counted, models.shapley));
    return asShares ? shares : splitValue(shares, raw, money);
  });
  return { touches: counted, credits, value };
}
