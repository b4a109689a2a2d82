import { TemplateLoadError } from '../errors/index.js';

/** A filter's arguments after the piped value: positional ones, then Jinja keyword arguments. */
export interface FilterArguments {
  /** Positional arguments in order. */
  positional: unknown[];
  /** Keyword arguments (`indent=4`). */
  keywords: Record<string, unknown>;
}

/** Splits nunjucks filter arguments; nunjucks passes keyword arguments as a last object marked `__keywords`. */
export function splitFilterArguments(args: readonly unknown[]): FilterArguments {
  const last = args.at(-1);
  if (last !== null && typeof last === 'object' && Object.hasOwn(last, '__keywords')) {
    const keywords = { ...(last as Record<string, unknown>) };
    delete keywords.__keywords;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: [...args], keywords: {} };
}

/**
 * Binds Python-style parameters: `names[i]` takes the i-th positional argument or the keyword of
 * that name. An unknown keyword or too many arguments fail, naming the filter and its parameters.
 */
export function bindFilterArguments(filter: string, names: readonly string[], args: readonly unknown[]): Record<string, unknown> {
  const { positional, keywords } = splitFilterArguments(args);
  if (positional.length > names.length) {
    throw new TemplateLoadError(`${filter}: takes at most ${names.length} arguments (${names.join(', ')}); got ${positional.length}.`, {
      field: filter,
    });
  }
  const bound: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (i < positional.length) bound[name] = positional[i];
  });
  for (const [key, value] of Object.entries(keywords)) {
    if (!names.includes(key)) {
      throw new TemplateLoadError(`${filter}: unknown argument "${key}"; allowed: ${names.join(', ')}.`, { field: filter });
    }
    if (Object.hasOwn(bound, key)) throw new TemplateLoadError(`${filter}: "${key}" is given twice.`, { field: filter });
    bound[key] = value;
  }
  return bound;
}
