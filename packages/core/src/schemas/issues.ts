import type { z } from 'zod';

/** One schema problem, located by a dotted path such as `equipment[1].transport.type`. */
export interface FieldIssue {
  /** Dotted path of the offending value; empty for the document root. */
  path: string;
  /** What is wrong, naming the allowed values where zod knows them. */
  message: string;
  /** zod's issue code, e.g. `invalid_type`, `unrecognized_keys`. */
  code: string;
  /** The raw path segments. */
  loc: (string | number)[];
}

/** Renders path segments as a dotted path: `['equipment', 1, 'id']` becomes `equipment[1].id`. */
export function formatFieldPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Flattens a zod error into located issues; an unknown key is reported at its own path. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const loc = issue.path.map((s) => (typeof s === 'symbol' ? String(s) : s));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyLoc = [...loc, key];
        issues.push({ path: formatFieldPath(keyLoc), loc: keyLoc, code: issue.code, message: `unknown field "${key}"` });
      }
      continue;
    }
    issues.push({ path: formatFieldPath(loc), loc, code: issue.code, message: issue.message });
  }
  return issues;
}
