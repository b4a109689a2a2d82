import type { TemplateType } from '../constants/index.js';

/** Variables every project and run creation puts into the render context, each only when no answer has the name (core.md D4). */
export const CORE_CONTEXT_VARIABLES = ['label', 'operator', 'objective', 'project_name', 'project_short_id'] as const;

/** The built-in context of a template of `type`: the core variables, plus `run_kind` for run templates (core.md D4). */
export function contextVariables(type: TemplateType): readonly string[] {
  return type === 'run' ? [...CORE_CONTEXT_VARIABLES, 'run_kind'] : CORE_CONTEXT_VARIABLES;
}
