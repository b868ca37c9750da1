/**
 * Attribution models (spec: "Attribution" in the KPI definitions). Pure: no I/O, no clock, no env.
 * Entry points: `attributeConversion` / `attributeConversions` for per-touch credits,
 * `createMarkovAccumulator` + `buildMarkovModel` for the data-driven chain,
 * `createShapleyAccumulator` + `buildShapleyModel` for the data-driven game,
 * `createPathReportAccumulator` / `reportPaths` for ChannelAttribution-format paths.
 */
export {
  addConversionToMarkov,
  attributeConversion,
  attributeConversions,
  buildDataDrivenModelsByKind,
  buildMarkovModelsByKind,
  conversionValue,
  sumCreditsByChannel,
} from './attribute';
export type { AttributeOptions, DataDrivenModels } from './attribute';
export { compareTouches, findKeyTouches, findLastTouchAtOrBefore, selectCountedTouches } from './key-touches';
export {
  allocateMarkovShares,
  buildMarkovModel,
  buildMarkovModelFromPaths,
  createMarkovAccumulator,
} from './markov';
export type { MarkovAccumulator, MarkovChannelResult, MarkovModel, MarkovTransitions } from './markov';
export {
  allocateCents,
  assertExactCents,
  MAX_EXACT_AMOUNT,
  MAX_EXACT_CENTS,
  splitValue,
  toCents,
} from './money';
export { createHeuristicPathAccumulator } from './path-heuristics';
export type { HeuristicChannelTotals, HeuristicPathAccumulator, ModelTotals } from './path-heuristics';
export { createPathReportAccumulator, parseChannelPath, reportPaths } from './path-report';
export type { ChannelPathReport, PathReportAccumulator } from './path-report';
export {
  allocateLinearShares,
  allocatePositionShares,
  normalizeShares,
  POSITION_RULES,
  selectPositionRule,
} from './position-models';
export type { PositionModel, PositionRule } from './position-models';
export {
  allocateShapleyShares,
  buildShapleyModel,
  channelSetKey,
  computeShapleyValues,
  createShapleyAccumulator,
  normalizeShapleyValues,
  selectShapleyPlayers,
  SHAPLEY_MAX_CHANNELS,
} from './shapley';
export type { ShapleyAccumulator, ShapleyCounts, ShapleyModel } from './shapley';
export { allocateTimeDecayShares, TIME_DECAY_HALF_LIFE_MS } from './time-decay';
export { ATTRIBUTION_MODELS, NO_TOUCH_CHANNEL } from './types';
export type {
  AggregatedPath,
  AttributionModel,
  Conversion,
  ConversionKind,
  Credit,
  KeyRole,
  KeyTouches,
  Touch,
} from './types';
