/** Text of a filter input as Jinja sees it: undefined and none are empty, everything else is its string form. */
export function filterText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

/** Jinja's `lower`. */
export function lowerFilter(value: unknown): string {
  return filterText(value).toLowerCase();
}

/** Jinja's `upper`. */
export function upperFilter(value: unknown): string {
  return filterText(value).toUpperCase();
}

// Jinja2's `do_title` splits before each run of whitespace, hyphens and opening brackets.
const WORD_BEGINNING = /([-\s({[<]+)/u;

/**
 * Jinja2's `title` (the filter Copier templates get, not Python's `str.title`): each word starts
 * upper case and continues lower case, where a word begins after whitespace, `-`, `(`, `{`, `[`
 * or `<`. So "o'neil-smith lab" becomes "O'neil-Smith Lab"; nunjucks' own `title` splits on
 * spaces only and fails on numbers.
 */
export function titleFilter(value: unknown): string {
  return filterText(value)
    .split(WORD_BEGINNING)
    .filter((part) => part !== '')
    .map((part) => {
      const [first = '', ...rest] = part;
      return first.toUpperCase() + rest.join('').toLowerCase();
    })
    .join('');
}
