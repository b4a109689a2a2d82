import {
  HARD_PROBLEM_CLASSES,
  ILLEGAL_FILENAME_CHARACTERS,
  JINJA_EXPRESSION_PATTERN,
  JINJA_STATEMENT_PATTERN,
  PLACEHOLDER_PATTERN,
  RESERVED_FILENAMES,
  type OffendingKind,
  type ProblemClass,
} from '@exlab/core/constants';

/**
 * The keys that identify a finding (§11.8 finding shape minus what is derived from them: tier
 * follows the rule, rule_detail is prose, and the two booleans follow creation.json).
 * Paths are relative to the generated lab's output folder, with `/` separators.
 */
export interface ExpectedFinding {
  rule: ProblemClass;
  run_path: string;
  offending_path: string;
  offending_kind: OffendingKind;
  matched_token: string | null;
}

/** `answer-key.json`: every finding an audit of scope all must report, and nothing else. */
export interface AnswerKey {
  seed: string;
  counts: {
    runs: number;
    projects: number;
    equipment: number;
    seeded_problems: number;
    seeded_by_kind: Record<string, number>;
    findings: number;
    hard: number;
    soft: number;
    by_rule: Record<string, number>;
  };
  findings: ExpectedFinding[];
}

/** The identifying tuple of a finding as one string, for set comparison. */
export function findingKey(finding: ExpectedFinding): string {
  return JSON.stringify([finding.rule, finding.run_path, finding.offending_path, finding.offending_kind, finding.matched_token]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts findings by rule, run path, offending path, kind and token (code-unit order). */
export function sortFindings(findings: readonly ExpectedFinding[]): ExpectedFinding[] {
  return [...findings].sort(
    (x, y) =>
      compare(x.rule, y.rule) ||
      compare(x.run_path, y.run_path) ||
      compare(x.offending_path, y.offending_path) ||
      compare(x.offending_kind, y.offending_kind) ||
      compare(x.matched_token ?? '', y.matched_token ?? ''),
  );
}

/** True for a hard-tier rule. */
export function isHard(rule: ProblemClass): boolean {
  return (HARD_PROBLEM_CLASSES as readonly string[]).includes(rule);
}

/** Where a name or content problem sits: the run (or project) it belongs to and the file or folder. */
export interface FindingPlace {
  runPath: string;
  offendingPath: string;
}

/** §8.1.1 tokens in text: angle-bracket placeholders first, then Jinja expressions, then statements, each in order. */
export function tokenFindings(text: string, place: FindingPlace, kind: OffendingKind): ExpectedFinding[] {
  const findings: ExpectedFinding[] = [];
  const at = (rule: ProblemClass, token: string): ExpectedFinding => ({
    rule,
    run_path: place.runPath,
    offending_path: place.offendingPath,
    offending_kind: kind,
    matched_token: token,
  });
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) findings.push(at('unresolved_placeholder_token', match[0]));
  for (const match of text.matchAll(JINJA_EXPRESSION_PATTERN)) findings.push(at('leftover_jinja_marker', match[0]));
  for (const match of text.matchAll(JINJA_STATEMENT_PATTERN)) findings.push(at('leftover_jinja_marker', match[0]));
  return findings;
}

/**
 * The findings a file or folder name must raise (§8.1.1, §8.1.2; DECISIONS: Windows-illegal
 * characters and reserved names are flagged on every OS): tokens, one finding per distinct
 * illegal character, a trailing dot or space, and a reserved upper-cased stem.
 */
export function nameFindings(name: string, place: FindingPlace, kind: 'directory_segment' | 'file_name'): ExpectedFinding[] {
  const findings = tokenFindings(name, place, kind);
  const at = (rule: ProblemClass, token: string): ExpectedFinding => ({
    rule,
    run_path: place.runPath,
    offending_path: place.offendingPath,
    offending_kind: kind,
    matched_token: token,
  });
  const seen = new Set<string>();
  for (const ch of name) {
    const illegal = (ILLEGAL_FILENAME_CHARACTERS as readonly string[]).includes(ch) || (ch.codePointAt(0) ?? 0) < 0x20;
    if (illegal && !seen.has(ch)) {
      seen.add(ch);
      findings.push(at('illegal_filesystem_character', ch));
    }
  }
  if (name.endsWith('.') || name.endsWith(' ')) findings.push(at('illegal_filesystem_character', name.slice(-1)));
  const stem = (name.split('.')[0] ?? '').trim().toUpperCase();
  if ((RESERVED_FILENAMES as readonly string[]).includes(stem)) findings.push(at('reserved_filesystem_name', stem));
  return findings;
}

/** Tallies findings per rule, sorted by rule name. */
export function countByRule(findings: readonly ExpectedFinding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of sortFindings(findings)) counts[finding.rule] = (counts[finding.rule] ?? 0) + 1;
  return counts;
}
