import { compareCodeUnits } from '../io/order.js';
import type { Finding } from '../schemas/index.js';

function compareToken(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareCodeUnits(a, b);
}

/**
 * The one total order of findings (core.md H13): hard first, then run_path, rule,
 * offending_path, offending_kind, matched_token (null first) and rule_detail, all by code unit;
 * the two flags break the last ties so equal-sorting findings are equal in every field.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.tier === b.tier ? 0 : a.tier === 'hard' ? -1 : 1) ||
    compareCodeUnits(a.run_path, b.run_path) ||
    compareCodeUnits(a.rule, b.rule) ||
    compareCodeUnits(a.offending_path, b.offending_path) ||
    compareCodeUnits(a.offending_kind, b.offending_kind) ||
    compareToken(a.matched_token, b.matched_token) ||
    compareCodeUnits(a.rule_detail, b.rule_detail) ||
    Number(a.synced_under_prior_policy) - Number(b.synced_under_prior_policy) ||
    Number(a.override_active) - Number(b.override_active)
  );
}

/** A sorted copy of `findings` in the {@link compareFindings} order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}
