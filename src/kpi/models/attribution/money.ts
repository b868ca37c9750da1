/**
 * Money helpers. Revenue credits are computed in integer cents so that a conversion's credits sum to
 * its value exactly; counts (contact/deal creation) are not rounded.
 */

/**
 * Converts an amount in currency units to whole cents, half away from zero. The product is first
 * cut to 15 significant digits so that binary noise (1.005 × 100 = 100.49999999999999) does not
 * decide the rounding of a value that was written with two decimals.
 */
export function toCents(amount: number): number {
  const scaled = Number.parseFloat((amount * 100).toPrecision(15));
  const cents = Math.round(Math.abs(scaled));
  return scaled < 0 && cents !== 0 ? -cents : cents;
}

/**
 * Splits `totalCents` (an integer) by `shares` (non-negative, summing to 1).
 *
 * Each part is its share of the total's magnitude rounded down to the cent; the cents left over —
 * fewer than the number of parts — go to the part with the largest share (the earliest one when
 * several tie). The parts are integers with the total's sign summing to `totalCents` exactly (a
 * negative total, a refund, is split as its magnitude and negated). A 1e-6 cent tolerance keeps a
 * product like 599.9999999 from losing its cent to float noise.
 */
export function allocateCents(shares: readonly number[], totalCents: number): number[] {
  if (shares.length === 0) return [];
  const sign = totalCents < 0 ? -1 : 1;
  const magnitude = Math.abs(totalCents);
  let largest = 0;
  let assigned = 0;
  const parts = shares.map((share, i) => {
    if (share > shares[largest]!) largest = i;
    const cents = Math.max(0, Math.floor(share * magnitude + 1e-6));
    assigned += cents;
    return cents;
  });
  parts[largest]! += magnitude - assigned;
  // `0 * -1` is -0, which JSON prints as 0 but Object.is tells apart; keep plain zeros.
  return sign === 1 ? parts : parts.map((cents) => (cents === 0 ? 0 : -cents));
}

/**
 * Credits of a conversion's value under `shares`.
 * - money (revenue): value rounded to the cent (`toCents`), split with `allocateCents`, returned in
 *   currency units (cents / 100), so the credits sum to the rounded value exactly, to the cent;
 * - counts: share × value, unrounded (a contact creation credits fractions of one contact).
 */
export function splitValue(shares: readonly number[], value: number, money: boolean): number[] {
  if (!money) return shares.map((share) => share * value);
  return allocateCents(shares, toCents(value)).map((cents) => cents / 100);
}
