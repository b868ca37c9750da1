import type {
  AttributionModel,
  Conversion,
  ConversionKind,
  Credit,
  Touch,
} from '../../../../src/kpi/models/attribution';

export const DAY = 24 * 60 * 60 * 1000;
export const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A touch `day` days after T0 (fractions allowed); channel defaults to the id in capitals. */
export function touch(id: string, day: number, channel = id.toUpperCase()): Touch {
  return { id, at: T0 + day * DAY, channel };
}

/** A conversion on day `day` with the given touches; other fields overridable, times in days. */
export function conversion(
  kind: ConversionKind,
  day: number,
  touches: Touch[],
  extra: { id?: string; value?: number; contactDay?: number; dealDay?: number } = {},
): Conversion {
  return {
    id: extra.id ?? 'conv',
    kind,
    value: extra.value,
    convertedAt: T0 + day * DAY,
    contactCreatedAt: extra.contactDay === undefined ? undefined : T0 + extra.contactDay * DAY,
    dealCreatedAt: extra.dealDay === undefined ? undefined : T0 + extra.dealDay * DAY,
    touches,
  };
}

/** touchId → share of one model's credits. */
export function sharesOf(credits: readonly Credit[], model: AttributionModel): Record<string, number> {
  return Object.fromEntries(
    credits.filter((c) => c.model === model).map((c) => [c.touchId ?? '(none)', c.share]),
  );
}

/** touchId → credit of one model's credits. */
export function creditsOf(credits: readonly Credit[], model: AttributionModel): Record<string, number> {
  return Object.fromEntries(
    credits.filter((c) => c.model === model).map((c) => [c.touchId ?? '(none)', c.credit]),
  );
}

/** Asserts every share equals the expected one to 1e-12. */
export function expectShares(actual: Record<string, number>, expected: Record<string, number>): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [id, share] of Object.entries(expected)) {
    expect(actual[id]).toBeCloseTo(share, 12);
  }
}
