import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { LIMITS } from '../constants/index.js';
import { isSimpleYaml } from './yaml-subset.js';

/** The YAML front matter of a Markdown file (§8.1.1). */
export type FrontMatter =
  /** Line 1 is not `---`: the whole file is prose, exempt from scanning. */
  | { kind: 'none' }
  /** Line 1 is `---` but no closing `---` follows within the line limit: malformed, not scanned. */
  | { kind: 'unterminated' }
  /** The text between the two `---` lines; `offset` is where it starts in the file's text (line 2). */
  | { kind: 'block'; text: string; offset: number };

const FENCE = /^---[ \t]*\r?$/;

/**
 * Extracts the front matter: line 1 must be `---` (after an optional BOM), and the block ends
 * at the next `---` line, which must be within the first {@link LIMITS.frontMatterMaxLines}
 * lines of the file.
 */
export function extractFrontMatter(text: string): FrontMatter {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let end = text.indexOf('\n', start);
  if (end === -1 || !FENCE.test(text.slice(start, end))) return { kind: 'none' };
  const offset = end + 1;
  let lineStart = offset;
  for (let line = 2; line <= LIMITS.frontMatterMaxLines && lineStart <= text.length; line += 1) {
    end = text.indexOf('\n', lineStart);
    const lineEnd = end === -1 ? text.length : end;
    if (FENCE.test(text.slice(lineStart, lineEnd))) return { kind: 'block', text: text.slice(offset, lineStart), offset };
    if (end === -1) break;
    lineStart = end + 1;
  }
  return { kind: 'unterminated' };
}

/**
 * Why a front matter block is not valid YAML (the parser's error code and the file line), or
 * null when it is. Blocks in the plain subset are proven valid without a full parse.
 */
export function frontMatterYamlProblem(block: string): string | null {
  if (isSimpleYaml(block)) return null;
  const error = parseDocument(block).errors[0];
  if (error === undefined) return null;
  // The block starts on line 2 of the file.
  const line = error.linePos?.[0].line;
  return line === undefined ? error.code : `${error.code} at line ${line + 1}`;
}

/**
 * Parses a front matter block once and returns a lookup of the key path
 * (`template_fields.sample_type`, `custom_fields[0].value`) holding the key or value at an
 * offset in the block; the lookup gives null when the block does not parse or nothing holds it.
 */
export function frontMatterKeyPaths(block: string): (offset: number) => string | null {
  const document = parseDocument(block);
  if (document.errors.length > 0) return () => null;
  return (offset) => keyPathIn(document.contents, offset, '');
}

function keyPathIn(node: Node | null | undefined, offset: number, path: string): string | null {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const keyPath = path === '' ? key : `${path}.${key}`;
      const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
      if (keyRange && offset >= keyRange[0] && offset < keyRange[2]) return keyPath;
      const value = pair.value as Node | null;
      if (value?.range && offset >= value.range[0] && offset < value.range[2]) return keyPathIn(value, offset, keyPath) ?? keyPath;
    }
    return null;
  }
  if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const child = item as Node | null;
      if (child?.range && offset >= child.range[0] && offset < child.range[2]) {
        return keyPathIn(child, offset, `${path}[${index}]`) ?? `${path}[${index}]`;
      }
    }
  }
  return null;
}
