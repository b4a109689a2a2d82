/** Copier-style templates: manifests, discovery, answers and rendering. */
export {
  loadTemplateManifest,
  scopeAllows,
  QUESTION_TYPES,
  type TemplateManifest,
  type TemplateQuestion,
  type QuestionType,
} from './manifest.js';
export { listTemplates, resolveTemplate, type RejectedTemplate } from './discover.js';
export { resolveAnswers } from './answers.js';
export { renderTemplate, writeAnswersFile, DEFAULT_TEMPLATE_EXCLUDES, type RenderResult } from './render.js';
export { createTemplateEnvironment, renderString } from './environment.js';
export { compileGlob } from './glob.js';
