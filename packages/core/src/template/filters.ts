import type nunjucks from 'nunjucks';
import { lowerFilter, titleFilter, upperFilter } from './case-filters.js';
import { regexReplaceFilter } from './regex-replace.js';
import { toJsonFilter, toNiceJsonFilter, toNiceYamlFilter } from './serialize-filters.js';
import { strftimeFilter } from './strftime.js';

/** Options of the filters that read the time. */
export interface TemplateFilterOptions {
  /** Clock read by `strftime` for "now"; defaults to the system clock. */
  clock?: () => Date;
}

/**
 * The Jinja filters nunjucks lacks or implements differently, as Copier templates know them
 * (§5.6: Jinja2 plus jinja2-ansible-filters): strftime, to_json, to_nice_json, to_nice_yaml,
 * regex_replace, and Jinja's own lower, upper and title.
 */
export const TEMPLATE_FILTER_NAMES = [
  'strftime',
  'to_json',
  'to_nice_json',
  'to_nice_yaml',
  'regex_replace',
  'lower',
  'upper',
  'title',
] as const;

/** Adds the filters of {@link TEMPLATE_FILTER_NAMES} to `env`, replacing nunjucks' versions. */
export function registerTemplateFilters(env: nunjucks.Environment, options: TemplateFilterOptions = {}): void {
  const clock = options.clock ?? (() => new Date());
  env.addFilter('strftime', strftimeFilter(clock));
  env.addFilter('to_json', toJsonFilter);
  env.addFilter('to_nice_json', toNiceJsonFilter);
  env.addFilter('to_nice_yaml', toNiceYamlFilter);
  env.addFilter('regex_replace', regexReplaceFilter);
  env.addFilter('lower', lowerFilter);
  env.addFilter('upper', upperFilter);
  env.addFilter('title', titleFilter);
}
