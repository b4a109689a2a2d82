import { hash } from 'node:crypto';

/**
 * A bounded memo of pure functions of file text, kept per thread between audits: an audit worker
 * lives on between audits (validator/audit.ts), and a periodic audit (§11.8: every 30 s) meets
 * mostly unchanged files, whose creation.json, readme_fields.json and scanned text then need no
 * second parse. Keyed by what else the result depends on (the file's path) and the text's
 * SHA-256, so a changed file is simply a miss: results are those of a fresh computation, and
 * the texts themselves are not kept. When the keys held pass {@link MEMO_MAX_CHARS} characters
 * the memo starts over, so memory stays bounded.
 */
export class TextMemo<T> {
  readonly #entries = new Map<string, T>();
  readonly #maxChars: number;
  #chars = 0;

  constructor(maxChars: number) {
    this.#maxChars = maxChars;
  }

  /** The value for `context` (e.g. a path) and `text`, computed by `compute` on a miss. */
  get(context: string, text: string, compute: () => T): T {
    const key = `${context}\n${hash('sha256', text, 'base64')}`;
    const hit = this.#entries.get(key);
    if (hit !== undefined || this.#entries.has(key)) return hit as T;
    const value = compute();
    if (this.#chars + key.length > this.#maxChars) {
      this.#entries.clear();
      this.#chars = 0;
    }
    if (key.length <= this.#maxChars) {
      this.#entries.set(key, value);
      this.#chars += key.length;
    }
    return value;
  }
}

/** Characters of keys one memo holds at most (UTF-16, so up to twice as many bytes). */
export const MEMO_MAX_CHARS = 16 * 1024 * 1024;
