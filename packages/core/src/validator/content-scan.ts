import { LIMITS } from '../constants/index.js';
import type { FindingDraft } from './finding-draft.js';
import { extractFrontMatter, frontMatterKeyPaths, frontMatterYamlProblem } from './front-matter.js';
import { describeToken, findTemplateTokens } from './placeholder-rule.js';

/** Which files get their text scanned (§8.1.1, config.yaml `validator.*`). */
export interface ContentScanLimits {
  /** Largest file scanned, in bytes. */
  maxBytes: number;
  /** Lower-cased extensions with their dot, e.g. `.txt`. */
  extensions: ReadonlySet<string>;
}

/** Scan limits from `validator.content_scan_max_mib` and `validator.content_scan_extensions`. */
export function contentScanLimits(maxMib: number, extensions: readonly string[]): ContentScanLimits {
  return { maxBytes: maxMib * 1024 * 1024, extensions: new Set(extensions.map((e) => e.toLowerCase())) };
}

/** The lower-cased extension of a file name (`.md` for `README.MD`), or '' for none or a dot file such as `.bashrc`. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** True when a file's extension is on the allowlist (size and binary checks come later). */
export function isScanCandidate(name: string, limits: ContentScanLimits): boolean {
  return limits.extensions.has(extensionOf(name));
}

/** Where a scanned text sits and which rules apply to it. */
export interface TextScanTarget {
  /** The file, as findings name it. */
  path: string;
  /** `.md`: scan the front matter only. */
  markdown: boolean;
  /** Report malformed front matter (audit: every `.md`; creation: README.md only). */
  reportMalformed: boolean;
}

function lineOf(text: string, index: number, from: { index: number; line: number }): number {
  let line = from.line;
  for (let i = text.indexOf('\n', from.index); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  from.index = index;
  from.line = line;
  return line;
}

function malformed(path: string, reason: string): FindingDraft {
  return {
    rule: 'malformed_yaml_front_matter',
    offending_path: path,
    offending_kind: 'file_content',
    matched_token: null,
    rule_detail: reason,
  };
}

/**
 * §8.1.1 findings in a file's text: every placeholder and Jinja marker with its line (and, in
 * Markdown front matter, its YAML key path); for Markdown only the front matter is read, and
 * an unterminated or unparsable one is a soft `malformed_yaml_front_matter` finding.
 */
export function scanText(text: string, target: TextScanTarget): FindingDraft[] {
  let scanned = text;
  let firstLine = 1;
  const drafts: FindingDraft[] = [];
  let block: string | undefined;
  if (target.markdown) {
    const front = extractFrontMatter(text);
    if (front.kind === 'none') return [];
    if (front.kind === 'unterminated') {
      return target.reportMalformed
        ? [
            malformed(
              target.path,
              `Front matter opens with --- on line 1 but has no closing --- within ${LIMITS.frontMatterMaxLines} lines; it was not scanned.`,
            ),
          ]
        : [];
    }
    block = front.text;
    scanned = front.text;
    firstLine = 2;
    if (target.reportMalformed) {
      const problem = frontMatterYamlProblem(block);
      if (problem !== null) drafts.push(malformed(target.path, `Front matter is not valid YAML (${problem}).`));
    }
  }
  const tokens = findTemplateTokens(scanned);
  if (tokens.length === 0) return drafts;
  tokens.sort((a, b) => a.index - b.index);
  const cursor = { index: 0, line: firstLine };
  const keyPathAt = block === undefined ? null : frontMatterKeyPaths(block);
  for (const token of tokens) {
    const line = lineOf(scanned, token.index, cursor);
    const key = keyPathAt === null ? null : keyPathAt(token.index);
    const where = keyPathAt === null ? `at line ${line}` : `at line ${line} in the front matter${key === null ? '' : ` (key ${key})`}`;
    const tail = token.rule === 'unresolved_placeholder_token' ? 'this text was not rendered.' : 'the template renderer was bypassed.';
    drafts.push({
      rule: token.rule,
      offending_path: target.path,
      offending_kind: 'file_content',
      matched_token: token.token,
      rule_detail: `${describeToken(token)} ${where}; ${tail}`,
    });
  }
  return drafts;
}
