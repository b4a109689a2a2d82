/** Copier-style templates: manifests, discovery, answers, rendering, Jinja filters and lint. */
export {
  loadTemplateManifest,
  parseManifestYaml,
  readManifestSource,
  scopeAllows,
  QUESTION_TYPES,
  type TemplateManifest,
  type TemplateQuestion,
  type QuestionType,
} from './manifest.js';
export { listTemplates, resolveTemplate, type RejectedTemplate } from './discover.js';
export {
  listTemplatesFor,
  resolveTemplateFor,
  templateRoots,
  equipmentTemplatesDir,
  type TemplateSource,
  type TemplateLocationsConfig,
  type TemplateRoot,
  type LocatedTemplate,
  type LocatedRejection,
  type TemplateListing,
  type TemplateQuery,
} from './locations.js';
export { resolveAnswers } from './answers.js';
export { renderTemplate, writeAnswersFile, DEFAULT_TEMPLATE_EXCLUDES, type RenderResult } from './render.js';
export { createTemplateEnvironment, renderString, type TemplateEnvironmentOptions } from './environment.js';
export { TEMPLATE_FILTER_NAMES, type TemplateFilterOptions } from './filters.js';
export { formatStrftime } from './strftime.js';
export { CORE_CONTEXT_VARIABLES, contextVariables } from './context-variables.js';
export { analyzeJinja, type JinjaAnalysis, type JinjaUse, type JinjaSyntaxError } from './jinja-analysis.js';
export { lintTemplate, lintTemplatesAt, findTemplateDirs, type TemplateLintOptions } from './lint.js';
export {
  TEMPLATE_LINT_CHECKS,
  TEMPLATE_LINT_SEVERITIES,
  TemplateLintFindingSchema,
  TemplateLintResultSchema,
  TemplateLintReportSchema,
  type TemplateLintCode,
  type TemplateLintFinding,
  type TemplateLintResult,
  type TemplateLintReport,
} from './lint-finding.js';
export { scaffoldTemplate, SCAFFOLD_TYPES, type ScaffoldType, type ScaffoldOptions } from './scaffold.js';
export { compileGlob } from './glob.js';
