import { TemplateLoadError } from '../errors/index.js';
import { filterText } from './case-filters.js';
import { bindFilterArguments } from './filter-arguments.js';

function fail(message: string): never {
  throw new TemplateLoadError(`regex_replace: ${message}`, { field: 'regex_replace' });
}

const END_OF_INPUT = '(?![\\s\\S])';

/**
 * Translates a Python `re` pattern into a JavaScript one: named groups `(?P<n>...)` and
 * `(?P=n)`, `\A` and `\Z`, Python's `$` (which also matches before a final newline), and
 * leading inline flags `(?i)`, `(?m)`, `(?s)`. Returns the source and the flags found.
 */
export function translatePythonRegex(pattern: string, multiline: boolean): { source: string; flags: string } {
  let flags = '';
  let body = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (inline) {
    for (const flag of inline[1] as string) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags += flags.includes(flag) ? '' : flag;
      else if (flag === 'x' || flag === 'L') fail(`the inline flag (?${flag}) is not supported`);
    }
    body = body.slice(inline[0].length);
  }
  const isMultiline = multiline || flags.includes('m');
  let source = '';
  let inClass = false;
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i] as string;
    if (ch === '\\') {
      const next = body[i + 1] ?? '';
      i += 1;
      if (!inClass && next === 'A') source += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') source += END_OF_INPUT;
      else source += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      source += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      source += ch;
      // A `]` right after `[` or `[^` is a literal in Python.
      if (body[i + 1] === '^') source += body[++i] as string;
      if (body[i + 1] === ']') source += `\\${body[++i] as string}`;
      continue;
    }
    if (body.startsWith('(?P<', i)) {
      source += '(?<';
      i += 3;
      continue;
    }
    if (body.startsWith('(?P=', i)) {
      const end = body.indexOf(')', i);
      if (end === -1) fail(`unterminated (?P= in ${JSON.stringify(pattern)}`);
      source += `\\k<${body.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    if (ch === '$' && !isMultiline) {
      source += `(?=\\n?${END_OF_INPUT})`;
      continue;
    }
    source += ch;
  }
  return { source, flags };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/** Expands a Python `re.sub` replacement: `\1`..`\99`, `\g<1>`, `\g<name>`, `\n` and friends; an unmatched group is empty. */
export function expandPythonReplacement(
  replacement: string,
  groups: readonly (string | undefined)[],
  named: Record<string, string | undefined>,
): string {
  let out = '';
  for (let i = 0; i < replacement.length; i += 1) {
    const ch = replacement[i] as string;
    if (ch !== '\\' || i === replacement.length - 1) {
      out += ch;
      continue;
    }
    const next = replacement[i + 1] as string;
    if (next === 'g') {
      const close = replacement.indexOf('>', i);
      if (replacement[i + 2] !== '<' || close === -1) fail(`bad \\g reference in replacement ${JSON.stringify(replacement)}`);
      const ref = replacement.slice(i + 3, close);
      if (/^\d+$/.test(ref)) {
        const index = Number(ref);
        if (index >= groups.length) fail(`replacement refers to group ${index}, but the pattern has ${groups.length - 1}`);
        out += groups[index] ?? '';
      } else {
        if (!Object.hasOwn(named, ref)) fail(`replacement refers to the unknown group name "${ref}"`);
        out += named[ref] ?? '';
      }
      i = close;
    } else if (next === '0') {
      const octal = /^[0-7]{1,3}/.exec(replacement.slice(i + 1))?.[0] ?? '0';
      out += String.fromCharCode(parseInt(octal, 8));
      i += octal.length;
    } else if (/\d/.test(next)) {
      // Python reads up to two digits when the pattern has that many groups.
      const two = replacement.slice(i + 1, i + 3);
      const ref = /^\d\d$/.test(two) && Number(two) < groups.length ? two : next;
      const index = Number(ref);
      if (index >= groups.length) fail(`replacement refers to group ${index}, but the pattern has ${groups.length - 1}`);
      out += groups[index] ?? '';
      i += ref.length;
    } else if (Object.hasOwn(SIMPLE_ESCAPES, next)) {
      out += SIMPLE_ESCAPES[next] as string;
      i += 1;
    } else if (/[A-Za-z]/.test(next)) {
      fail(`bad escape \\${next} in replacement ${JSON.stringify(replacement)}`);
    } else {
      out += `\\${next}`;
      i += 1;
    }
  }
  return out;
}

/**
 * Ansible's `regex_replace(pattern, replacement='', ignorecase=False, multiline=False)`:
 * Python's `re.sub` over the whole text, every match replaced, `\1` and `\g<name>` back-references.
 */
export function regexReplaceFilter(value: unknown, ...args: unknown[]): string {
  const bound = bindFilterArguments('regex_replace', ['pattern', 'replacement', 'ignorecase', 'multiline'], args);
  if (typeof bound.pattern !== 'string') fail(`the pattern must be text (got ${JSON.stringify(bound.pattern ?? null)})`);
  const replacement = filterText(bound.replacement);
  const { source, flags } = translatePythonRegex(bound.pattern, bound.multiline === true);
  let regex: RegExp;
  try {
    regex = new RegExp(
      source,
      `g${flags}${bound.ignorecase === true && !flags.includes('i') ? 'i' : ''}${bound.multiline === true && !flags.includes('m') ? 'm' : ''}`,
    );
  } catch (error) {
    fail(`${JSON.stringify(bound.pattern)} is not a valid pattern: ${(error as Error).message}`);
  }
  return filterText(value).replace(regex, (...match: unknown[]) => {
    const hasNamed = typeof match.at(-1) === 'object' && match.at(-1) !== null;
    const named = (hasNamed ? match.at(-1) : {}) as Record<string, string | undefined>;
    const groups = match.slice(0, hasNamed ? -3 : -2) as (string | undefined)[];
    return expandPythonReplacement(replacement, groups, named);
  });
}
