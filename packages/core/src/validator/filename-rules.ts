import { ILLEGAL_FILENAME_CHARACTERS, RESERVED_FILENAMES } from '../constants/index.js';

/** One §8.1.2 problem with a single file or folder name. */
export interface NameProblemHit {
  rule: 'illegal_filesystem_character' | 'reserved_filesystem_name';
  /** The offending character, the trailing `.` or space, or the upper-cased reserved stem. */
  token: string;
  /** A sentence fragment saying what is wrong, completed by the caller with what to rename. */
  problem: string;
}

const ILLEGAL: ReadonlySet<string> = new Set(ILLEGAL_FILENAME_CHARACTERS);
const RESERVED: ReadonlySet<string> = new Set(RESERVED_FILENAMES);
// Fast rejection: no illegal character, no control character. Built from the constant so the two never drift.
const ANY_ILLEGAL = new RegExp(`[\\u0000-\\u001f${ILLEGAL_FILENAME_CHARACTERS.map((c) => `\\${c}`).join('')}]`);
// Every reserved name is 3 or 4 letters and digits; a stem of another length or shape cannot be one.
const MAYBE_RESERVED = /^\s*[A-Za-z]{3}[0-9]?\s*(?:\.|$)/;
/** Shared result for the common case of a clean name. */
const NO_HITS: readonly NameProblemHit[] = Object.freeze([]);

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * §8.1.2 problems of one name, flagged on every OS (DECISIONS.md: runs travel to SMB shares):
 * one per distinct Windows-illegal or control character (code point < 32) in first-seen order,
 * then a trailing dot or space, then a reserved device name (the upper-cased stem before the
 * first dot, trimmed: `CON`, `lpt9.dat` hit; `CONsole.txt`, `COM10` do not).
 */
export function nameProblems(name: string): readonly NameProblemHit[] {
  const last = name.charCodeAt(name.length - 1);
  // Fast path: most names have no illegal character, no trailing dot or space, and no reserved-looking stem.
  if (last !== 46 && last !== 32 && !ANY_ILLEGAL.test(name) && !MAYBE_RESERVED.test(name)) return NO_HITS;
  const hits: NameProblemHit[] = [];
  if (ANY_ILLEGAL.test(name)) {
    const seen = new Set<string>();
    for (const ch of name) {
      if (seen.has(ch)) continue;
      const control = (ch.codePointAt(0) ?? 0) < 0x20;
      if (!control && !ILLEGAL.has(ch)) continue;
      seen.add(ch);
      hits.push({
        rule: 'illegal_filesystem_character',
        token: ch,
        problem: control
          ? `Control character ${codePoint(ch)} is not allowed in file and folder names`
          : `Character "${ch}" is not allowed in file and folder names on Windows and SMB shares`,
      });
    }
  }
  if (name.endsWith('.')) {
    hits.push({ rule: 'illegal_filesystem_character', token: '.', problem: 'The name ends with a dot, which Windows and SMB shares drop' });
  } else if (name.endsWith(' ')) {
    hits.push({
      rule: 'illegal_filesystem_character',
      token: ' ',
      problem: 'The name ends with a space, which Windows and SMB shares drop',
    });
  }
  const dot = name.indexOf('.');
  const stem = (dot === -1 ? name : name.slice(0, dot)).trim().toUpperCase();
  if (RESERVED.has(stem)) {
    hits.push({
      rule: 'reserved_filesystem_name',
      token: stem,
      problem: `"${name}" uses the reserved Windows device name ${stem}, which Windows and SMB shares cannot hold`,
    });
  }
  return hits;
}
