import type { ConversionKind, KeyRole, KeyTouches } from './types';

/**
 * Share per key role, and the share split equally over the touches that hold none of those roles,
 * in thousandths (0.225 is 225): integer sums are exact, so 0.3 ÷ 0.9 comes out as 1/3, not
 * 0.33333333333333337.
 */
export interface PositionRule {
  readonly roles: Readonly<Partial<Record<KeyRole, number>>>;
  readonly rest: number;
}

/** The position-based models of the spec's table, as key-role shares in thousandths. */
export const POSITION_RULES = {
  first_touch: { roles: { first: 1000 }, rest: 0 },
  last_touch: { roles: { last: 1000 }, rest: 0 },
  u_shaped: { roles: { first: 400, leadCreation: 400 }, rest: 200 },
  w_shaped: { roles: { first: 300, leadCreation: 300, dealCreation: 300 }, rest: 100 },
  full_path: { roles: { first: 225, leadCreation: 225, dealCreation: 225, closedWon: 225 }, rest: 100 },
  j_shaped: { roles: { first: 200, last: 600 }, rest: 200 },
  inverse_j: { roles: { first: 600, last: 200 }, rest: 200 },
} as const satisfies Record<string, PositionRule>;

export type PositionModel = keyof typeof POSITION_RULES;

/**
 * The rule a position model applies to a conversion kind. Contact creation has only the first and
 * lead-creation roles, so W-shaped and full path fall back to U-shaped; deal creation has first,
 * lead creation and deal creation, so full path falls back to W-shaped. Revenue uses every rule as is.
 */
export function selectPositionRule(model: PositionModel, kind: ConversionKind): PositionRule {
  if (kind === 'contact_create' && (model === 'w_shaped' || model === 'full_path'))
    return POSITION_RULES.u_shaped;
  if (kind === 'deal_create' && model === 'full_path') return POSITION_RULES.w_shaped;
  return POSITION_RULES[model];
}

/**
 * Shares of `touchCount` ordered touches under a position rule.
 *
 * Each role's share goes to the touch holding it (a touch holding several roles gets their sum); the
 * rest share is split equally over the touches holding none of the rule's roles. Whatever has no
 * touch to go to (a role nobody holds, a rest share with no rest touches) is spread over the touches
 * that did receive shares, in proportion to what they received — which is dividing by the assigned
 * total. Example: J-shaped on two touches assigns 0.2 / 0.6, leaving 0.2, giving 0.25 / 0.75.
 *
 * Returns shares in [0, 1] summing to 1 (within float rounding); an empty array for no touches.
 * The first touch always exists when touchCount > 0 and every rule gives it or `last` a positive
 * share, so the assigned total is never zero.
 */
export function allocatePositionShares(
  touchCount: number,
  keyTouches: KeyTouches,
  rule: PositionRule,
): number[] {
  const shares = new Array<number>(touchCount).fill(0);
  if (touchCount === 0) return shares;
  const holders = new Set<number>();
  for (const [role, roleShare] of Object.entries(rule.roles) as [KeyRole, number][]) {
    const index = keyTouches[role];
    if (index === undefined) continue;
    shares[index]! += roleShare;
    holders.add(index);
  }
  const restCount = touchCount - holders.size;
  if (restCount > 0 && rule.rest > 0) {
    const each = rule.rest / restCount;
    for (let i = 0; i < touchCount; i++) if (!holders.has(i)) shares[i]! += each;
  }
  return normalizeShares(shares);
}

/** Equal shares: 1/n each. */
export function allocateLinearShares(touchCount: number): number[] {
  return new Array<number>(touchCount).fill(1 / touchCount);
}

/**
 * Scales non-negative weights to sum to 1. All-zero (or empty) weights are returned unchanged;
 * callers decide what an all-zero allocation means.
 */
export function normalizeShares(weights: readonly number[]): number[] {
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) return [...weights];
  return weights.map((w) => w / total);
}
