import nunjucks from 'nunjucks';
import { compiledProps } from './compiled-cache.js';
import { registerTemplateFilters, type TemplateFilterOptions } from './filters.js';

/** Options of {@link createTemplateEnvironment}. */
export type TemplateEnvironmentOptions = TemplateFilterOptions;

/**
 * Globals Jinja has and nunjucks lacks: Python's capitalised constants (nunjucks only knows
 * `true`, `false` and `none`, and would read `True` as an undefined variable).
 */
const JINJA_CONSTANT_GLOBALS: Readonly<Record<string, boolean | null>> = { True: true, False: false, None: null };

/**
 * A nunjucks environment configured as Copier configures Jinja: no autoescape, trailing
 * newlines kept, no file loader, and the Jinja filters Copier templates use (filters.ts).
 */
export function createTemplateEnvironment(options: TemplateEnvironmentOptions = {}): nunjucks.Environment {
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false, trimBlocks: false, lstripBlocks: false });
  registerTemplateFilters(env, options);
  for (const [name, value] of Object.entries(JINJA_CONSTANT_GLOBALS)) env.addGlobal(name, value);
  return env;
}

// nunjucks accepts compiled code in place of a source string; its type definitions do not say so.
const CompiledTemplate = nunjucks.Template as unknown as new (
  src: { type: 'code'; obj: object },
  env: nunjucks.Environment,
) => nunjucks.Template;

// Text without `{{`, `{%` or `{#` renders to itself, so most path names need no compiling.
const JINJA_MARKER = /\{[{%#]/;

/** Renders one template string with `context` in an environment made by {@link createTemplateEnvironment}. */
export function renderString(env: nunjucks.Environment, source: string, context: Record<string, unknown>): string {
  if (!JINJA_MARKER.test(source)) return source;
  const options = (env as unknown as { opts: unknown }).opts;
  return new CompiledTemplate({ type: 'code', obj: compiledProps(source, options) }, env).render(context);
}
