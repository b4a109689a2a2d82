import type { FindingDraft } from './finding-draft.js';
import { nameProblems } from './filename-rules.js';
import { describeToken, findTemplateTokens } from './placeholder-rule.js';

const NO_DRAFTS: readonly FindingDraft[] = Object.freeze([]);

/**
 * Every §8.1.1 and §8.1.2 finding of one folder or file name, shared by both modes: template
 * tokens, then illegal characters, a trailing dot or space, and a reserved device name.
 */
export function nameFindings(name: string, path: string, kind: 'directory_segment' | 'file_name'): readonly FindingDraft[] {
  const problems = nameProblems(name);
  if (problems.length === 0 && !name.includes('<') && !name.includes('{')) return NO_DRAFTS;
  const what = kind === 'directory_segment' ? 'segment' : 'file name';
  const drafts: FindingDraft[] = [];
  for (const token of findTemplateTokens(name)) {
    drafts.push({
      rule: token.rule,
      offending_path: path,
      offending_kind: kind,
      matched_token: token.token,
      rule_detail:
        token.rule === 'unresolved_placeholder_token'
          ? `${describeToken(token)}; this ${what} was not rendered.`
          : `${describeToken(token)}; the template renderer was bypassed for this ${what}.`,
    });
  }
  for (const hit of problems) {
    drafts.push({
      rule: hit.rule,
      offending_path: path,
      offending_kind: kind,
      matched_token: hit.token,
      rule_detail: `${hit.problem}; rename this ${kind === 'directory_segment' ? 'folder' : 'file'}.`,
    });
  }
  return drafts;
}
