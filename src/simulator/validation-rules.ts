/**
 * Validation rules an admin set up (API 2026-09 enforces them on writes): switched on by fault
 * injection (`validationRuleIds`), a write to one of the listed records is refused with
 * VALIDATION_ERROR / MISSING_CONDITIONAL_REQUIRED_PROPERTY, for that record only.
 */
export function validationRuleError(
  ids: readonly number[] | undefined,
  objectId: number,
): { message: string; code: string; name: string } | null {
  if (!ids || !ids.includes(objectId)) return null;
  return {
    name: 'hs_validation_rule',
    code: 'MISSING_CONDITIONAL_REQUIRED_PROPERTY',
    message: `Object ${objectId} does not meet the portal's validation rules: a conditionally required property is missing.`,
  };
}
