import { findKeyTouches, selectCountedTouches } from './key-touches';
import type { MarkovAccumulator, MarkovModel } from './markov';
import { allocateMarkovShares, buildMarkovModel, createMarkovAccumulator } from './markov';
import { allocateLinearShares, allocatePositionShares, selectPositionRule } from './position-models';
import { splitValue } from './money';
import type { ShapleyAccumulator, ShapleyModel } from './shapley';
import { allocateShapleyShares, buildShapleyModel, createShapleyAccumulator } from './shapley';
import { allocateTimeDecayShares } from './time-decay';
import type { AggregatedPath, AttributionModel, Conversion, ConversionKind, Credit } from './types';
import { ATTRIBUTION_MODELS, NO_TOUCH_CHANNEL } from './types';

export interface AttributeOptions {
  /** Models to compute, in any order; credits come out in `ATTRIBUTION_MODELS` order. Default: all. */
  readonly models?: readonly AttributionModel[] | undefined;
  /** Required when `markov` is among the models: the chain to take removal effects from. */
  readonly markov?: Pick<MarkovModel, 'removalEffects'> | undefined;
  /** Required when `shapley` is among the models: the game over the population of paths. */
  readonly shapley?: ShapleyModel | undefined;
}

/** The value a conversion distributes: its `value`, 1 when absent. */
export function conversionValue(conversion: Conversion): number {
  return conversion.value ?? 1;
}

/**
 * Credits of one conversion: one credit per counted touch per model (touches with a zero share
 * included, so every touch is accounted for), touches in time-then-id order.
 *
 * - Counted touches: at or before `convertedAt` (see `selectCountedTouches`); key roles from
 *   `findKeyTouches`; position models from `allocatePositionShares`, time decay from
 *   `allocateTimeDecayShares`, Markov from `allocateMarkovShares`.
 * - Credit = share × value. Revenue is money: the value is rounded to the cent and split in whole
 *   cents summing to it exactly, the remainder on the largest share (`splitValue`). Contact and deal
 *   creation are counts: credit = share × value (value 1 unless given), unrounded.
 * - No counted touch: one credit per model to channel `(no touch)`, touchId null, share 1, credit =
 *   the whole value.
 *
 * Throws a RangeError when `markov` is requested without `options.markov` (a programming error: the
 * chain needs the whole population of paths, see `buildMarkovModel`).
 */
export function attributeConversion(conversion: Conversion, options: AttributeOptions = {}): Credit[] {
  const models = selectModels(options.models);
  if (models.includes('markov') && options.markov === undefined) {
    throw new RangeError('the markov model needs options.markov (build it with buildMarkovModel)');
  }
  if (models.includes('shapley') && options.shapley === undefined) {
    throw new RangeError('the shapley model needs options.shapley (build it with buildShapleyModel)');
  }
  const value = conversionValue(conversion);
  const money = conversion.kind === 'revenue';
  const counted = selectCountedTouches(conversion);
  const credits: Credit[] = [];

  if (counted.length === 0) {
    const [whole] = splitValue([1], value, money);
    for (const model of models) {
      credits.push({
        conversionId: conversion.id,
        model,
        touchId: null,
        channel: NO_TOUCH_CHANNEL,
        share: 1,
        credit: whole!,
      });
    }
    return credits;
  }

  const keyTouches = findKeyTouches(conversion, counted);
  for (const model of models) {
    let shares: number[];
    if (model === 'linear') shares = allocateLinearShares(counted.length);
    else if (model === 'time_decay') shares = allocateTimeDecayShares(counted);
    else if (model === 'markov') shares = allocateMarkovShares(counted, options.markov!);
    else if (model === 'shapley') shares = allocateShapleyShares(counted, options.shapley!);
    else
      shares = allocatePositionShares(counted.length, keyTouches, selectPositionRule(model, conversion.kind));
    const amounts = splitValue(shares, value, money);
    counted.forEach((touch, i) => {
      credits.push({
        conversionId: conversion.id,
        model,
        touchId: touch.id,
        channel: touch.channel,
        share: shares[i]!,
        credit: amounts[i]!,
      });
    });
  }
  return credits;
}

/**
 * Adds a conversion's path to a Markov accumulator: the channels of its counted touches, one
 * conversion worth `value`. A conversion without counted touches adds nothing (see
 * `MarkovAccumulator.add`).
 */
export function addConversionToMarkov(accumulator: MarkovAccumulator, conversion: Conversion): void {
  const path = selectCountedTouches(conversion).map((t) => t.channel);
  accumulator.add(path, 1, conversionValue(conversion), 0);
}

/** The data-driven models of one conversion kind, built from the same population of paths. */
export interface DataDrivenModels {
  readonly markov: MarkovModel;
  readonly shapley: ShapleyModel;
}

/**
 * Markov chains and Shapley games for a batch of conversions, one per conversion kind, over the same
 * population (see `buildMarkovModelsByKind`).
 */
export function buildDataDrivenModelsByKind(
  conversions: Iterable<Conversion>,
  nullPaths: Iterable<AggregatedPath> = [],
): Map<ConversionKind, DataDrivenModels> {
  const accumulators = new Map<ConversionKind, { markov: MarkovAccumulator; shapley: ShapleyAccumulator }>();
  for (const conversion of conversions) {
    let acc = accumulators.get(conversion.kind);
    if (acc === undefined) {
      acc = { markov: createMarkovAccumulator(), shapley: createShapleyAccumulator() };
      accumulators.set(conversion.kind, acc);
    }
    const path = selectCountedTouches(conversion).map((t) => t.channel);
    acc.markov.add(path, 1, conversionValue(conversion), 0);
    acc.shapley.add(path, 1, 0);
  }
  const nulls = [...nullPaths];
  const models = new Map<ConversionKind, DataDrivenModels>();
  for (const [kind, acc] of accumulators) {
    for (const p of nulls) {
      acc.markov.add(p.path, p.conversions, p.value, p.nulls);
      acc.shapley.add(p.path, p.conversions, p.nulls);
    }
    models.set(kind, {
      markov: buildMarkovModel(acc.markov.snapshot()),
      shapley: buildShapleyModel(acc.shapley.snapshot()),
    });
  }
  return models;
}

/**
 * Markov models for a batch of conversions, one per conversion kind (contact creation, deal creation
 * and revenue are different journeys; mixing them in one chain would credit one with the other's
 * paths). Each chain holds the converting paths of that kind plus `nullPaths` (non-converting
 * journeys, conversions 0) when given; without them the chain has converting paths only.
 */
export function buildMarkovModelsByKind(
  conversions: Iterable<Conversion>,
  nullPaths: Iterable<AggregatedPath> = [],
): Map<ConversionKind, MarkovModel> {
  const accumulators = new Map<ConversionKind, MarkovAccumulator>();
  for (const conversion of conversions) {
    let accumulator = accumulators.get(conversion.kind);
    if (accumulator === undefined) {
      accumulator = createMarkovAccumulator();
      accumulators.set(conversion.kind, accumulator);
    }
    addConversionToMarkov(accumulator, conversion);
  }
  const nulls = [...nullPaths];
  const models = new Map<ConversionKind, MarkovModel>();
  for (const [kind, accumulator] of accumulators) {
    for (const p of nulls) accumulator.add(p.path, p.conversions, p.value, p.nulls);
    models.set(kind, buildMarkovModel(accumulator.snapshot()));
  }
  return models;
}

/**
 * Credits of a batch of conversions under the chosen models (default all eleven). When `markov` or
 * `shapley` is chosen and no model is given, the chains and games are built from the batch itself,
 * per kind (see `buildDataDrivenModelsByKind`); pass `markov` / `shapley` to apply ones built from a
 * larger population.
 * Conversion ids must be unique in the batch (a RangeError otherwise): credits are told apart by
 * conversion id only. Holds every credit in memory: stream with `attributeConversion` for large inputs.
 */
export function attributeConversions(
  conversions: readonly Conversion[],
  options: AttributeOptions & { readonly nullPaths?: Iterable<AggregatedPath> | undefined } = {},
): Credit[] {
  const ids = new Set<string>();
  for (const c of conversions) {
    if (ids.has(c.id)) {
      throw new RangeError(`duplicate conversion id "${c.id}": its credits would merge with the other's`);
    }
    ids.add(c.id);
  }
  const models = selectModels(options.models);
  const needsPopulation =
    (models.includes('markov') && options.markov === undefined) ||
    (models.includes('shapley') && options.shapley === undefined);
  const byKind = needsPopulation ? buildDataDrivenModelsByKind(conversions, options.nullPaths) : undefined;
  const credits: Credit[] = [];
  for (const conversion of conversions) {
    const markov = options.markov ?? byKind?.get(conversion.kind)?.markov;
    const shapley = options.shapley ?? byKind?.get(conversion.kind)?.shapley;
    for (const credit of attributeConversion(conversion, { models, markov, shapley })) credits.push(credit);
  }
  return credits;
}

/**
 * Credits summed per model and channel: model → channel → total credit. For every model the channel
 * totals add up to the same grand total, the sum of the conversions' values.
 */
export function sumCreditsByChannel(credits: Iterable<Credit>): Map<AttributionModel, Map<string, number>> {
  const totals = new Map<AttributionModel, Map<string, number>>();
  for (const c of credits) {
    let byChannel = totals.get(c.model);
    if (byChannel === undefined) {
      byChannel = new Map();
      totals.set(c.model, byChannel);
    }
    byChannel.set(c.channel, (byChannel.get(c.channel) ?? 0) + c.credit);
  }
  return totals;
}

function selectModels(models: readonly AttributionModel[] | undefined): readonly AttributionModel[] {
  if (models === undefined) return ATTRIBUTION_MODELS;
  const wanted = new Set(models);
  return ATTRIBUTION_MODELS.filter((m) => wanted.has(m));
}
