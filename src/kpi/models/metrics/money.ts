/**
 * Money rules shared by every KPI: amounts are in the portal's company currency and amounts of
 * different currencies are never added. A deal without a home-currency amount is left out of a
 * sum or mean and reported as an exclusion, never converted by us and never counted as 0.
 */

import type { Exclusion } from './stats';
import type { Deal } from './types';

export interface CurrencySettings {
  /** The portal's company currency (account-info API), e.g. `EUR`. */
  readonly homeCurrency: string;
  /** Whether the portal has more than one currency enabled. */
  readonly multiCurrency: boolean;
}

export interface RawDealAmount {
  /** `amount_in_home_currency` */
  readonly amountInHomeCurrency: number | null;
  /** `amount` */
  readonly amount: number | null;
  /** `deal_currency_code` */
  readonly currency: string | null;
}

/**
 * The loader's rule for `Deal.amountHome` (spec: `amount_in_home_currency`, falling back to
 * `amount` when the portal has a single currency). We also accept `amount` in a multi-currency
 * portal when the deal's own currency is the home currency, because then it is already a
 * home-currency amount. Anything else is `null` (excluded and reported downstream).
 */
export function resolveHomeAmount(raw: RawDealAmount, settings: CurrencySettings): number | null {
  if (raw.amountInHomeCurrency !== null && Number.isFinite(raw.amountInHomeCurrency))
    return raw.amountInHomeCurrency;
  if (raw.amount === null || !Number.isFinite(raw.amount)) return null;
  if (!settings.multiCurrency) return raw.amount;
  if (raw.currency !== null && raw.currency.toUpperCase() === settings.homeCurrency.toUpperCase())
    return raw.amount;
  return null;
}

/** Why a deal's amount cannot be used, or `null` when it can. */
export function explainMissingAmount(deal: Deal): Exclusion | null {
  if (deal.amountHome !== null && Number.isFinite(deal.amountHome)) return null;
  return {
    id: deal.id,
    reason:
      deal.currency === null
        ? 'no amount in the home currency'
        : `no amount in the home currency (deal currency ${deal.currency})`,
  };
}

/** Splits deals into summable amounts and exclusions, keeping ids on both sides. */
export function partitionByAmount(deals: readonly Deal[]): {
  readonly amounts: readonly { readonly id: string; readonly value: number }[];
  readonly excluded: readonly Exclusion[];
} {
  const amounts: { id: string; value: number }[] = [];
  const excluded: Exclusion[] = [];
  for (const deal of deals) {
    const missing = explainMissingAmount(deal);
    if (missing === null) amounts.push({ id: deal.id, value: deal.amountHome as number });
    else excluded.push(missing);
  }
  return { amounts, excluded };
}
