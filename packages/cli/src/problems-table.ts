import { isAbsolute, relative, sep } from 'node:path';
import type { Finding } from '@exlab/core/schemas';

/** `path` relative to the first root that holds it (`/`-separated), else as given. */
export function relativeToRoots(path: string, roots: readonly string[]): string {
  for (const root of roots) {
    const rel = relative(root, path);
    if (rel === '') return '.';
    if (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return path;
}

/** A token as people should see it: quoted so a space or an empty token stays visible; `-` for none. */
function showToken(token: string | null): string {
  return token === null ? '-' : JSON.stringify(token);
}

function note(finding: Finding): string {
  const notes: string[] = [];
  if (finding.override_active) notes.push('overridden');
  if (finding.synced_under_prior_policy) notes.push('synced under prior policy');
  return notes.join(', ');
}

/** Findings as an aligned table (tier, rule, path relative to the lab roots, token, note), one row per finding. */
export function problemsTable(findings: readonly Finding[], roots: readonly string[]): string[] {
  const header = ['TIER', 'RULE', 'PATH', 'TOKEN', 'NOTE'];
  const rows = findings.map((f) => [f.tier, f.rule, relativeToRoots(f.offending_path, roots), showToken(f.matched_token), note(f)]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The one-line summary under the table. */
export function problemsSummary(findings: readonly Finding[], scopeLabel: string): string {
  if (findings.length === 0) return `No problems in ${scopeLabel}.`;
  const hard = findings.filter((f) => f.tier === 'hard');
  const overridden = hard.filter((f) => f.override_active).length;
  const soft = findings.length - hard.length;
  const blocking = hard.length - overridden;
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const hardPart = overridden > 0 ? `${hard.length} hard (${overridden} overridden)` : `${hard.length} hard`;
  const verdict =
    blocking === 0 ? 'nothing blocks sync' : blocking === 1 ? '1 hard finding blocks sync' : `${blocking} hard findings block sync`;
  return `${count(findings.length, 'problem')} in ${scopeLabel}: ${hardPart}, ${soft} soft; ${verdict}.`;
}
