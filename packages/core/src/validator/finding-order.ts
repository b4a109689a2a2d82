import type { Finding } from '../schemas/index.js';

// Plain code-unit comparison: localeCompare depends on the host's ICU data and locale (H13).
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareToken(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareText(a, b);
}

/**
 * The one total order of findings (core.md H13): hard first, then run_path, rule,
 * offending_path, offending_kind, matched_token (null first) and rule_detail, all by code unit;
 * the two flags break the last ties so equal-sorting findings are equal in every field.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.tier === b.tier ? 0 : a.tier === 'hard' ? -1 : 1) ||
    compareText(a.run_path, b.run_path) ||
    compareText(a.rule, b.rule) ||
    compareText(a.offending_path, b.offending_path) ||
    compareText(a.offending_kind, b.offending_kind) ||
    compareToken(a.matched_token, b.matched_token) ||
    compareText(a.rule_detail, b.rule_detail) ||
    Number(a.synced_under_prior_policy) - Number(b.synced_under_prior_policy) ||
    Number(a.override_active) - Number(b.override_active)
  );
}

/** A sorted copy of `findings` in the {@link compareFindings} order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}
