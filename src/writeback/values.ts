/**
 * Canonical wire values for HubSpot properties. HubSpot stores and returns every value as a
 * string, so the write-back compares what it would send now with what it sent last in this form:
 * numbers rounded to the property's precision and printed without exponent or trailing zeros,
 * times as ISO instants, '' for "no value". A value HubSpot would refuse is never sent: it becomes
 * '' and the reason is reported.
 */
/** UNKNOWN_OPTION: a channel the property's options do not list yet (added on the next run). */
export type InvalidReason = 'NOT_FINITE' | 'OUT_OF_RANGE' | 'TOO_LONG' | 'UNKNOWN_OPTION';
export type Canonical = { value: string; invalid?: InvalidReason };

/**
 * HubSpot's number type holds a double and its API prints integers exactly up to 2^53; beyond that
 * digits are lost (and our own amounts never get there), so such a value is refused.
 */
export const MAX_NUMBER = Number.MAX_SAFE_INTEGER;
/** HubSpot's limit for a string (and enumeration value) property. */
export const MAX_TEXT_LENGTH = 65_536;

export function canonicalNumber(value: number | string | null | undefined, decimals: number): Canonical {
  if (value === null || value === undefined || value === '') return { value: '' };
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return { value: '', invalid: 'NOT_FINITE' };
  const scale = 10 ** decimals;
  const rounded = Math.round(n * scale) / scale;
  if (Math.abs(rounded) > MAX_NUMBER) return { value: '', invalid: 'OUT_OF_RANGE' };
  // toFixed never uses exponent notation below 1e21; the Number round trip drops trailing zeros
  // (and String(-0) is '0'). With at most 6 decimals no exponent comes back either.
  return { value: String(Number(rounded.toFixed(decimals))) };
}

/** Whole units, rounded down: for ages that should change once a day, not on every run. */
export function canonicalFloor(value: number | null | undefined): Canonical {
  if (value === null || value === undefined) return { value: '' };
  if (!Number.isFinite(value)) return { value: '', invalid: 'NOT_FINITE' };
  return canonicalNumber(Math.floor(value), 0);
}

export function canonicalDatetime(value: Date | string | null | undefined): Canonical {
  if (value === null || value === undefined || value === '') return { value: '' };
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) return { value: '', invalid: 'NOT_FINITE' };
  return { value: new Date(ms).toISOString() };
}

export function canonicalText(value: string | null | undefined): Canonical {
  if (value === null || value === undefined) return { value: '' };
  if (value.length > MAX_TEXT_LENGTH) return { value: '', invalid: 'TOO_LONG' };
  return { value };
}

/** The properties whose canonical value differs from what HubSpot holds from us (absent = ''). */
export function changedValues(
  desired: Readonly<Record<string, string>>,
  written: Readonly<Record<string, string>>,
): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const [name, value] of Object.entries(desired)) {
    if ((written[name] ?? '') !== value) changes[name] = value;
  }
  return changes;
}

/** Same keys, same values (order ignored). */
export function sameValues(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => b[k] === a[k]);
}
