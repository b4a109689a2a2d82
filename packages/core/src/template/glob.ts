/** Compiles a Copier/gitignore-style glob (`*`, `?`, `**`, `[...]`, trailing `/`) into a matcher of relative POSIX paths. */
export function compileGlob(pattern: string): (relativePath: string) => boolean {
  const anchored = pattern.startsWith('/');
  let body = anchored ? pattern.slice(1) : pattern;
  if (body.endsWith('/')) body = body.slice(0, -1);
  let source = '';
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i] as string;
    if (ch === '*') {
      if (body[i + 1] === '*') {
        i += 1;
        // `**/` spans zero or more whole folders, so `a/**/b` matches `a/b` and `a/x/b` but not `a/xb`.
        if (body[i + 1] === '/') {
          source += '(?:.*/)?';
          i += 1;
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '[' && body.indexOf(']', i + 2) !== -1) {
      // A character class such as `[co]` in Copier's default `*.py[co]`; `[!...]` negates.
      const end = body.indexOf(']', i + 2);
      let set = body.slice(i + 1, end);
      const negated = set.startsWith('!') || set.startsWith('^');
      if (negated) set = set.slice(1);
      source += `[${negated ? '^/' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  // A pattern without a slash matches a name at any depth, like .gitignore.
  const prefix = anchored || body.includes('/') ? '^' : '^(?:.*/)?';
  const regex = new RegExp(`${prefix}${source}(?:/.*)?$`);
  return (relativePath) => regex.test(relativePath);
}

/** True when any of `patterns` matches `relativePath`. */
export function matchesAny(patterns: readonly ((path: string) => boolean)[], relativePath: string): boolean {
  return patterns.some((match) => match(relativePath));
}
