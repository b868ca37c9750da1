/**
 * Input and output shapes of the attribution models (spec: docs/kpis.md, "Attribution").
 * Times are epoch milliseconds (UTC instants); the command layer parses ISO strings.
 */

/** What converted: a contact was created, a deal was created, or a deal was won (money). */
export type ConversionKind = 'contact_create' | 'deal_create' | 'revenue';

/** One interaction of a contact with marketing. */
export interface Touch {
  /** Stable id; breaks ties between touches at the same instant and names the touch in credits. */
  readonly id: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** Source taxonomy value (ORGANIC_SEARCH, …); kept as given, never normalised. */
  readonly channel: string;
}

export interface Conversion {
  readonly id: string;
  readonly kind: ConversionKind;
  /**
   * Credit to distribute. Revenue: an amount in the portal's currency, rounded to the cent before it is
   * split. Contact/deal creation: a count, 1 when absent.
   */
  readonly value?: number | undefined;
  /** Epoch ms of the conversion: contact creation, deal creation, or the moment the deal was won. */
  readonly convertedAt: number;
  /** Epoch ms; decides the lead-creation touch. For `contact_create` it defaults to `convertedAt`. */
  readonly contactCreatedAt?: number | undefined;
  /** Epoch ms; decides the deal-creation touch. For `deal_create` it defaults to `convertedAt`. */
  readonly dealCreatedAt?: number | undefined;
  readonly touches: readonly Touch[];
}

export const ATTRIBUTION_MODELS = [
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

export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

/** The channel that receives a conversion without any touch at or before it (never dropped). */
export const NO_TOUCH_CHANNEL = '(no touch)';

/** The credit one touch receives from one conversion under one model. */
export interface Credit {
  readonly conversionId: string;
  readonly model: AttributionModel;
  /** `null` only for the single `(no touch)` credit of a conversion without touches. */
  readonly touchId: string | null;
  readonly channel: string;
  /** Fraction of the conversion in [0, 1]; the shares of one conversion and model sum to 1 within 1e-9. */
  readonly share: number;
  /** share × value: whole cents for revenue (summing exactly to the value), unrounded for counts. */
  readonly credit: number;
}

/** The key roles a touch can hold; which of them exist depends on the conversion kind. */
export type KeyRole = 'first' | 'leadCreation' | 'dealCreation' | 'closedWon' | 'last';

/** Index (into the ordered, counted touches) of the touch holding each role; absent when no touch does. */
export type KeyTouches = Readonly<Partial<Record<KeyRole, number>>>;

/** Aggregated path in the ChannelAttribution format: one row of `path;total_conversions;…`. */
export interface AggregatedPath {
  /** Channels in time order, repeats as observed. */
  readonly path: readonly string[];
  readonly conversions: number;
  readonly value: number;
  readonly nulls: number;
}
