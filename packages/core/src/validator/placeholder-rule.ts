import { JINJA_EXPRESSION_PATTERN, JINJA_STATEMENT_PATTERN, PLACEHOLDER_PATTERN } from '../constants/index.js';

/** One §8.1.1 token found in a name or a text. */
export interface TemplateToken {
  rule: 'unresolved_placeholder_token' | 'leftover_jinja_marker';
  /** The matched text, e.g. `<run_date>` or `{{ a }}`. */
  token: string;
  /** UTF-16 offset of the match in the scanned text. */
  index: number;
}

/**
 * Every §8.1.1 match in `text`, one per match: angle-bracket placeholders, then Jinja
 * expressions, then Jinja statements, each in text order. The patterns are global, so they are
 * used with matchAll only (it clones the regex; the shared lastIndex is never touched).
 */
export function findTemplateTokens(text: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  // Cheap pre-checks: most names and texts hold neither opening character.
  if (text.includes('<')) {
    for (const match of text.matchAll(PLACEHOLDER_PATTERN)) {
      tokens.push({ rule: 'unresolved_placeholder_token', token: match[0], index: match.index });
    }
  }
  if (text.includes('{')) {
    for (const match of text.matchAll(JINJA_EXPRESSION_PATTERN)) {
      tokens.push({ rule: 'leftover_jinja_marker', token: match[0], index: match.index });
    }
    for (const match of text.matchAll(JINJA_STATEMENT_PATTERN)) {
      tokens.push({ rule: 'leftover_jinja_marker', token: match[0], index: match.index });
    }
  }
  return tokens;
}

/** The first half of a token's rule_detail: what survived, named by its text. */
export function describeToken(token: TemplateToken): string {
  return token.rule === 'unresolved_placeholder_token'
    ? `Angle-bracket identifier token ${token.token} survived templating`
    : `Jinja marker ${token.token} was left over`;
}
