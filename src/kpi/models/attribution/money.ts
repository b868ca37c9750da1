/**
 * Money helpers. Revenue credits are computed in integer cents so that a conversion's credits sum to
 * its value exactly; counts (contact/deal creation) are not rounded.
 */

/**
 * The largest magnitude, in cents, that money is handled at: 2^46 currency units less a cent
 * (70,368,744,177,663.99). Below 2^46 a double holds every cent of an amount in currency units
 * apart from its neighbours (the gap between doubles is under a cent), so an amount, a credit or a
 * total prints back as exactly the cents it stands for; above it, cents silently merge (at 2·10^14
 * a double is out by up to 0.02). Amounts and sums beyond it are refused, never rounded.
 */
export const MAX_EXACT_CENTS = 2 ** 46 * 100 - 1;

/** MAX_EXACT_CENTS in currency units: 70368744177663.99. */
export const MAX_EXACT_AMOUNT = MAX_EXACT_CENTS / 100;

/** Throws a RangeError naming `what` unless `cents` is a whole number of cents within ±MAX_EXACT_CENTS. */
export function assertExactCents(cents: number, what: string): void {
  if (!Number.isInteger(cents) || Math.abs(cents) > MAX_EXACT_CENTS) {
    throw new RangeError(
      `${what} (${cents / 100}) is beyond the exact money range of ±${MAX_EXACT_AMOUNT.toFixed(2)}: refused rather than rounded`,
    );
  }
}

/**
 * Converts an amount in currency units to whole cents, half away from zero, from the amount's
 * shortest decimal form (what `String` prints, which is what was written for any amount within the
 * exact range): 1.005 is 101 cents, although 1.005 × 100 is 100.49999999999999 in binary.
 * Throws a RangeError for a non-finite amount or one beyond ±MAX_EXACT_AMOUNT.
 */
export function toCents(amount: number): number {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be a finite number, got ${amount}`);
  const text = String(Math.abs(amount));
  let cents: bigint;
  if (text.includes('e-'))
    cents = 0n; // below 1e-6: no cent to round to
  else if (text.includes('e'))
    cents = BigInt(MAX_EXACT_CENTS) + 1n; // 1e21 and up
  else {
    const [whole, fraction = ''] = text.split('.');
    const digits = (fraction + '000').slice(0, 3);
    cents = BigInt(whole!) * 100n + BigInt(digits.slice(0, 2));
    if (digits[2]! >= '5') cents += 1n;
  }
  if (cents > BigInt(MAX_EXACT_CENTS)) {
    throw new RangeError(
      `amount ${amount} is beyond the exact money range of ±${MAX_EXACT_AMOUNT.toFixed(2)}: refused rather than rounded`,
    );
  }
  const n = Number(cents);
  return amount < 0 && n !== 0 ? -n : n;
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
