import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_NAMES, RUN_SCOPES, type RunScope } from '../constants/index.js';
import { ExLabError, ValidationError } from '../errors/index.js';

/** Template types `exlab templates new` scaffolds (equipment templates have no wizard yet). */
export const SCAFFOLD_TYPES = ['run', 'project'] as const;
/** A type `exlab templates new` scaffolds. */
export type ScaffoldType = (typeof SCAFFOLD_TYPES)[number];

/** What to scaffold. */
export interface ScaffoldOptions {
  /** Run or project template. */
  type: ScaffoldType;
  /** Run scope of a run template; `both` when left out. Not allowed for project templates. */
  scope?: RunScope | undefined;
}

/** A template folder name: letters, digits, `_` and `-`, starting with a letter or digit, at most 64 characters. */
const TEMPLATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function manifestText(name: string, options: Required<ScaffoldOptions> | { type: 'project'; scope?: undefined }): string {
  const scope = options.type === 'run' ? `_exlab_run_scope: "${options.scope}"\n` : '';
  const what = options.type === 'run' ? 'run' : 'project';
  return `# ${name}: a ${what} template created by "exlab templates new".
# Format: ExLab-Wizard spec §5. Check it with: exlab templates lint <this folder>
_min_copier_version: "9.0"
_answers_file: "${FILE_NAMES.answers}"

_exlab_type: "${options.type}"
_exlab_version: "1.0"
${scope}_exlab_description: "Describe what this ${what} template is for; the wizard shows this text."

# README fields the wizard asks for besides the built-in label, operator and objective (§10).
# Types: string, text, choice (with options), date, boolean.
_exlab_readme:
  fields:
    - id: sample_id
      label: "Sample ID"
      type: string
      required: true
      hint: "As written on the tube or slide"

# Questions: every key without a leading underscore is a template variable.
# Files ending in .jinja are rendered (the suffix is dropped); other files are copied as they are.
# Built-in variables: label, operator, objective, project_name, project_short_id${options.type === 'run' ? ', run_kind' : ''}.
notes_heading:
  type: str
  default: "Notes"
  help: "Heading of notes.md"
`;
}

function notesText(type: ScaffoldType): string {
  const runLine = type === 'run' ? '- Run kind: {{ run_kind }}\n' : '';
  return `# {{ notes_heading }}: {{ label }}

- Project: {{ project_name }} ({{ project_short_id }})
${runLine}- Operator: {{ operator }}
- Created: {{ '%Y-%m-%d %H:%M UTC' | strftime }}

## Objective

{{ objective }}
`;
}

/**
 * Creates the template folder `<parentDir>/<name>` with a copier.yml (`_exlab_version: "1.0"`,
 * a README field, one question) and a `notes.md.jinja` that uses it: a starting point that
 * lints clean (core.md D, L). Refuses a bad name and an existing folder. Returns the folder.
 */
export async function scaffoldTemplate(parentDir: string, name: string, options: ScaffoldOptions): Promise<string> {
  if (!TEMPLATE_NAME_PATTERN.test(name)) {
    throw new ValidationError(
      `Template name "${name}" is not allowed: use letters, digits, "_" and "-", starting with a letter or digit, at most 64 characters.`,
      { field: 'name' },
    );
  }
  if (!(SCAFFOLD_TYPES as readonly string[]).includes(options.type)) {
    throw new ValidationError(`Template type "${String(options.type)}" is not allowed; allowed: ${SCAFFOLD_TYPES.join(', ')}.`, {
      field: 'type',
    });
  }
  if (options.type === 'project' && options.scope !== undefined) {
    throw new ValidationError('A run scope applies to run templates only; leave it out for a project template.', { field: 'scope' });
  }
  const scope = options.scope ?? 'both';
  if (!(RUN_SCOPES as readonly string[]).includes(scope)) {
    throw new ValidationError(`Run scope "${scope}" is not allowed; allowed: ${RUN_SCOPES.join(', ')}.`, { field: 'scope' });
  }
  const dir = join(parentDir, name);
  await mkdir(parentDir, { recursive: true });
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ExLabError('destination_exists', `${dir} already exists; choose another name or remove it first.`, {
        field: 'name',
        details: { path: dir },
      });
    }
    throw error;
  }
  const manifest = options.type === 'run' ? manifestText(name, { type: 'run', scope }) : manifestText(name, { type: 'project' });
  await writeFile(join(dir, FILE_NAMES.copierManifest), manifest, { flag: 'wx' });
  await writeFile(join(dir, `notes.md${FILE_NAMES.jinjaSuffix}`), notesText(options.type), { flag: 'wx' });
  return dir;
}
