import nunjucks from 'nunjucks';

/** A nunjucks environment configured as Copier configures Jinja: no autoescape, trailing newlines kept, no file loader. */
export function createTemplateEnvironment(): nunjucks.Environment {
  return new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false, trimBlocks: false, lstripBlocks: false });
}

/** Renders one template string with `context`. */
export function renderString(env: nunjucks.Environment, source: string, context: Record<string, unknown>): string {
  return env.renderString(source, context);
}
