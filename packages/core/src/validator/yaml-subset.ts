/**
 * A line-based check that proves a YAML text valid when it stays inside a plain subset: block
 * mappings and sequences indented with spaces, simple keys, one-line quoted or plain scalars,
 * multi-line plain and double-quoted scalars, block scalars, `{}`, `[]` and comments. It is
 * sound, not complete: `true` means the full parser accepts the text; `false` means "not
 * proven", and the caller parses it. README front matter is written in this subset, so the
 * audit parses YAML only for the rare file outside it (a full parse costs ~100x more, and the
 * audit meets one front matter per project and run).
 */

// Characters YAML forbids or treats specially (non-printables, C1, line separators, BOM,
// surrogates) and `\u`/`\U` escapes, which may spell a lone surrogate: all left to the parser.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]|\\[uU]/;

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const APOSTROPHE = 39;
const BACKSLASH = 92;
const COLON = 58;
const DASH = 45;

// Characters that may not start a plain scalar (YAML indicators), by char code.
const INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`'].map((c) => c.charCodeAt(0)));
// Single-character escapes of a double-quoted scalar kept in the subset (the JSON ones, plus `\0`).
const ESCAPES = new Set([...'"\\/bfnrt0'].map((c) => c.charCodeAt(0)));

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function leadingSpaces(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === SPACE) n += 1;
  return n;
}

function isBlankLine(line: string): boolean {
  return leadingSpaces(line) === line.length;
}

/** What may follow a complete scalar on its line: blanks, or blanks and a comment. */
function restIsEmpty(line: string, from: number): boolean {
  let i = from;
  while (isBlank(line.charCodeAt(i))) i += 1;
  return i === line.length || (line.charCodeAt(i) === HASH && i > from);
}

/**
 * Scans double-quoted content from `from`: the index after the closing quote, `OPEN` when the
 * line ends inside the string (a trailing `\` escapes the line break), or `INVALID` for an
 * escape outside the subset.
 */
const OPEN = -1;
const INVALID = -2;
function scanDoubleQuoted(line: string, from: number): number {
  for (let i = from; i < line.length; i += 1) {
    const code = line.charCodeAt(i);
    if (code === QUOTE) return i + 1;
    if (code !== BACKSLASH) continue;
    const next = line.charCodeAt(i + 1);
    if (Number.isNaN(next)) return OPEN;
    if (next === 120 /* x */) {
      if (!isHex(line.charCodeAt(i + 2)) || !isHex(line.charCodeAt(i + 3))) return INVALID;
      i += 3;
    } else if (ESCAPES.has(next)) i += 1;
    else return INVALID;
  }
  return OPEN;
}

/** A plain scalar (after its comment is cut): no indicator first (`-` only before a non-blank), no `: ` inside, no trailing `:`. */
function isPlain(text: string): boolean {
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  if (isBlank(first)) return false;
  if (INDICATORS.has(first) && !(first === DASH && text.length > 1 && !isBlank(text.charCodeAt(1)))) return false;
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) !== COLON) continue;
    const next = text.charCodeAt(i + 1);
    if (Number.isNaN(next) || isBlank(next)) return false;
  }
  return true;
}

/** Where a comment starts in a plain value (`#` after a blank), or -1. */
function commentStart(text: string): number {
  for (let i = 1; i < text.length; i += 1) if (text.charCodeAt(i) === HASH && isBlank(text.charCodeAt(i - 1))) return i;
  return -1;
}

function trimEndBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && isBlank(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

/** `key:` then a blank or the end of the line; the key an identifier or a `"`-quoted string without escapes (at most 1000 characters). */
function parseKeyLine(text: string): { key: string; value: string } | null {
  let end: number;
  let key: string;
  const first = text.charCodeAt(0);
  if (first === QUOTE) {
    end = text.indexOf('"', 1);
    if (end === -1 || text.lastIndexOf('\\', end) !== -1) return null;
    key = text.slice(1, end);
    end += 1;
  } else {
    const letter = (first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95;
    if (!letter) return null;
    end = 1;
    for (;;) {
      const code = text.charCodeAt(end);
      const word = (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95 || code === DASH;
      if (!word) break;
      end += 1;
    }
    key = text.slice(0, end);
  }
  if (end > 1000 || text.charCodeAt(end) !== COLON) return null;
  let i = end + 1;
  if (i < text.length && !isBlank(text.charCodeAt(i))) return null;
  while (isBlank(text.charCodeAt(i))) i += 1;
  return { key, value: text.slice(i) };
}

// Keys the core schema reads as booleans or null, where two spellings could collide.
const SCALAR_KEYS = /^(?:true|false|null)$/i;

interface Frame {
  indent: number;
  kind: 'map' | 'seq';
  keys: Set<string>;
}

type Pending =
  | { kind: 'none' }
  /** A key or item with nothing after it: its value follows, more indented (or a sequence at the key's indent). */
  | { kind: 'child'; indent: number; compactSequence: boolean }
  /** `contentIndent` is -1 until the first content line; `blankWidth` is the widest blank line before it. */
  | { kind: 'block'; indent: number; contentIndent: number; blankWidth: number }
  | { kind: 'plain'; indent: number }
  | { kind: 'quoted'; indent: number };

const NONE: Pending = { kind: 'none' };

function isSequenceItem(rest: string): boolean {
  return rest.charCodeAt(0) === DASH && (rest.length === 1 || rest.charCodeAt(1) === SPACE);
}

function isBlockHeader(value: string): boolean {
  let i = 1;
  const chomp = value.charCodeAt(1);
  if (chomp === 43 /* + */ || chomp === DASH) i = 2;
  return restIsEmpty(value, i) && (i === value.length || isBlank(value.charCodeAt(i)));
}

/** The state after a value that starts on a key's (or item's) line; null when the value is outside the subset. */
function valueState(value: string, indent: number, compactSequence: boolean): Pending | null {
  const first = value.charCodeAt(0);
  if (value.length === 0 || first === HASH) return { kind: 'child', indent, compactSequence };
  if (first === 124 /* | */ || first === 62 /* > */)
    return isBlockHeader(value) ? { kind: 'block', indent, contentIndent: -1, blankWidth: 0 } : null;
  if (first === QUOTE) {
    const end = scanDoubleQuoted(value, 1);
    if (end === OPEN) return { kind: 'quoted', indent };
    return end !== INVALID && restIsEmpty(value, end) ? NONE : null;
  }
  if (first === APOSTROPHE) {
    let i = 1;
    for (;;) {
      const close = value.indexOf("'", i);
      if (close === -1) return null;
      if (value.charCodeAt(close + 1) !== APOSTROPHE) return restIsEmpty(value, close + 1) ? NONE : null;
      i = close + 2;
    }
  }
  if (value.startsWith('{}') || value.startsWith('[]')) return restIsEmpty(value, 2) ? NONE : null;
  const cut = commentStart(value);
  if (!isPlain(trimEndBlanks(cut === -1 ? value : value.slice(0, cut)))) return null;
  // A comment ends the scalar: no continuation line may follow it.
  return cut === -1 ? { kind: 'plain', indent } : NONE;
}

/** True when `text` is proven valid YAML by the subset rules above; false means "parse it to know". */
export function isSimpleYaml(text: string): boolean {
  if (UNSAFE.test(text)) return false;
  const stack: Frame[] = [];
  let pending: Pending = NONE;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.includes('\r')) return false;

    // Continuation of a multi-line value opened on an earlier line.
    if (pending.kind === 'block') {
      const n = leadingSpaces(line);
      if (n === line.length) {
        if (pending.contentIndent === -1) pending.blankWidth = Math.max(pending.blankWidth, n);
        continue;
      }
      if (n > pending.indent) {
        // The first content line sets the indentation; a wider blank line before it is an error.
        if (pending.contentIndent === -1) {
          if (pending.blankWidth > n) return false;
          pending.contentIndent = n;
        } else if (n < pending.contentIndent) return false;
        continue;
      }
      pending = NONE;
    } else if (pending.kind === 'quoted') {
      if (isBlankLine(line)) continue;
      const n = leadingSpaces(line);
      if (n <= pending.indent || line.charCodeAt(n) === TAB) return false;
      const close = scanDoubleQuoted(line, n);
      if (close === OPEN) continue;
      if (close === INVALID || !restIsEmpty(line, close)) return false;
      pending = NONE;
      continue;
    } else if (pending.kind === 'plain') {
      const n = leadingSpaces(line);
      if (n === line.length) continue;
      if (n > pending.indent) {
        const rest = line.slice(n);
        if (!isPlain(rest) || commentStart(rest) !== -1) return false;
        continue;
      }
      pending = NONE;
    }

    if (isBlankLine(line)) continue;
    const n = leadingSpaces(line);
    const rest = line.slice(n);
    if (rest.charCodeAt(0) === TAB) return false;
    if (rest.charCodeAt(0) === HASH) continue;

    if (pending.kind === 'child') {
      // Every path below sets `pending` again before the next line.
      const parent = pending;
      if (n > parent.indent) stack.push({ indent: n, kind: isSequenceItem(rest) ? 'seq' : 'map', keys: new Set() });
      else if (n === parent.indent && parent.compactSequence && isSequenceItem(rest))
        stack.push({ indent: n, kind: 'seq', keys: new Set() });
      // Otherwise the value was empty (null) and this line continues an enclosing collection.
    }
    // Leave the collections this line is not part of; a compact sequence shares its key's indent.
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) break;
      if (top.indent > n) stack.pop();
      else if (top.kind === 'seq' && top.indent === n && !isSequenceItem(rest) && stack.at(-2)?.indent === n) stack.pop();
      else break;
    }
    let top = stack.at(-1);
    if (top === undefined) {
      if (n !== 0 || isSequenceItem(rest)) return false;
      top = { indent: 0, kind: 'map', keys: new Set() };
      stack.push(top);
    }
    if (top.indent !== n) return false;

    let keyText = rest;
    let keyIndent = n;
    if (top.kind === 'seq') {
      if (!isSequenceItem(rest)) return false;
      const spaces = leadingSpaces(rest.slice(1));
      const item = rest.slice(1 + spaces);
      if (item.length === 0 || item.charCodeAt(0) === HASH) {
        pending = { kind: 'child', indent: n, compactSequence: false };
        continue;
      }
      if (item.charCodeAt(0) === TAB || isSequenceItem(item)) return false;
      if (parseKeyLine(item) === null) {
        const state = valueState(item, n, false);
        if (state === null) return false;
        pending = state;
        continue;
      }
      // `- key: value` opens a mapping at the key's column.
      keyIndent = n + 1 + spaces;
      keyText = item;
      stack.push({ indent: keyIndent, kind: 'map', keys: new Set() });
    }
    const frame = stack.at(-1);
    const parsed = parseKeyLine(keyText);
    if (frame === undefined || parsed === null) return false;
    if (SCALAR_KEYS.test(parsed.key) || frame.keys.has(parsed.key)) return false;
    frame.keys.add(parsed.key);
    const state = valueState(parsed.value, keyIndent, true);
    if (state === null) return false;
    pending = state;
  }
  return pending.kind !== 'quoted';
}
