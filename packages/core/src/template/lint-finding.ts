import { z } from 'zod';

/**
 * Every check of `exlab templates lint` (§5.8) and its severity. An error means the template
 * is refused at load time or fails at render time; a warning means it works, perhaps not as
 * its author expects.
 */
export const TEMPLATE_LINT_CHECKS = {
  /** The folder has no copier.yml (or copier.yaml). */
  manifest_missing: 'error',
  /** copier.yml is not valid YAML. */
  manifest_invalid_yaml: 'error',
  /** copier.yml is valid YAML but not a mapping. */
  manifest_not_mapping: 'error',
  /** `_exlab_type` is missing or not project, equipment or run. */
  type_invalid: 'error',
  /** `_exlab_version` is missing, empty or not a quoted string (§5.7). */
  version_missing: 'error',
  /** A run template's `_exlab_run_scope` is missing or not experimental, test or both. */
  run_scope_invalid: 'error',
  /** `_exlab_run_scope` on a template that is not a run template. */
  run_scope_ignored: 'warning',
  /** A question's type is not a Copier type. */
  question_type_invalid: 'error',
  /** A question's choices are not a non-empty list or mapping of valid answers. */
  question_choices_invalid: 'error',
  /** A question's default is not a valid answer (wrong type, not among the choices, broken template). */
  question_default_invalid: 'error',
  /** A question name breaks the `^[a-z][a-z0-9_]*$` convention. */
  question_name_convention: 'warning',
  /** `_exlab_readme.fields` redeclares label, operator or objective (§10.3). */
  core_field_redeclared: 'error',
  /** An `_exlab_readme.fields` declaration is malformed. */
  readme_field_invalid: 'error',
  /** A `.jinja` file, a templated path name or a templated default does not parse. */
  jinja_syntax_error: 'error',
  /** A filter the render environment does not have. */
  filter_unknown: 'error',
  /** A test (`is ...`) the render environment does not have. */
  test_unknown: 'error',
  /** `include`, `import`, `from` or `extends`: rendering has no template loader. */
  loader_tag_unsupported: 'error',
  /** A `.jinja` file that is not UTF-8 text. */
  jinja_not_utf8: 'error',
  /** Two template entries render to the same path, or a file to a folder another entry needs. */
  path_clash: 'error',
  /** The template still fails to load for a reason the other checks did not name. */
  load_error: 'error',
  /** A backslash escape in a template string that nunjucks reads differently from Jinja (`'\d'` is `d`). */
  string_escape: 'warning',
  /** A variable that is neither a question nor in the built-in context; it renders empty. */
  variable_unknown: 'warning',
  /** `_min_copier_version` is missing or below 9.0. */
  min_copier_version: 'warning',
  /** `_answers_file` is not `.exlab-answers.yml`. */
  answers_file: 'warning',
  /** A shipped answers-file template; ExLab-Wizard writes `.exlab-answers.yml` itself. */
  answers_template_ignored: 'warning',
  /** `_tasks` is declared; tasks are never run (§5.5). */
  tasks_ignored: 'warning',
  /** A file mentions `unsafe=True`; Copier-style rendering here is always safe mode. */
  unsafe_reference: 'warning',
  /** A README.md at the template root: the README generator owns its front matter; the file's prose is kept as the body. */
  readme_generated: 'warning',
  /** A Copier setting ExLab-Wizard does not implement, or an unknown `_` key; it is ignored. */
  setting_unsupported: 'warning',
  /** An `_exlab_` key that is not one ExLab-Wizard reads (a typo?). */
  exlab_key_unknown: 'warning',
  /** A setting with the wrong shape, silently ignored at load time. */
  setting_invalid: 'warning',
  /** A symbolic link; rendering skips it. */
  symlink_ignored: 'warning',
} as const satisfies Record<string, 'error' | 'warning'>;

/** A lint check's code. */
export type TemplateLintCode = keyof typeof TEMPLATE_LINT_CHECKS;

/** Severity of a lint finding. */
export const TEMPLATE_LINT_SEVERITIES = ['error', 'warning'] as const;

/** One problem `lintTemplate` found. */
export const TemplateLintFindingSchema = z.strictObject({
  severity: z.enum(TEMPLATE_LINT_SEVERITIES),
  code: z.enum(Object.keys(TEMPLATE_LINT_CHECKS) as [TemplateLintCode, ...TemplateLintCode[]]),
  message: z.string(),
  /** File or folder inside the template, POSIX separators (copier.yml for manifest problems). */
  file: z.string().optional(),
  /** Dotted manifest key, e.g. `_exlab_readme.fields[1].type` or `sample_id.default`. */
  key: z.string().optional(),
  /** 1-based line in `file`, when known. */
  line: z.number().int().positive().optional(),
  /** 1-based column in `file`, when known. */
  column: z.number().int().positive().optional(),
});
/** A lint finding. */
export type TemplateLintFinding = z.infer<typeof TemplateLintFindingSchema>;

/** The lint result of one template folder. */
export const TemplateLintResultSchema = z.strictObject({
  /** The template folder. */
  path: z.string(),
  /** Its folder name. */
  name: z.string(),
  findings: z.array(TemplateLintFindingSchema),
});
/** The lint result of one template folder. */
export type TemplateLintResult = z.infer<typeof TemplateLintResultSchema>;

/** `exlab templates lint --json` output. */
export const TemplateLintReportSchema = z.strictObject({ templates: z.array(TemplateLintResultSchema) });
/** A lint report. */
export type TemplateLintReport = z.infer<typeof TemplateLintReportSchema>;
