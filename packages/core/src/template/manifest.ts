import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isScalar, parseDocument, type Document, type Tags } from 'yaml';
import { CORE_FIELD_IDS, FILE_NAMES, RUN_SCOPES, TEMPLATE_TYPES, type RunScope, type TemplateType } from '../constants/index.js';
import { TemplateCoreFieldRedeclaredError, TemplateLoadError } from '../errors/index.js';

/** Types a template question may declare (§5, Copier). */
export const QUESTION_TYPES = ['str', 'int', 'float', 'bool', 'yaml', 'json'] as const;
/** A question type. */
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** One template question (every manifest key not starting with `_`). */
export interface TemplateQuestion {
  /** The answer's variable name. */
  name: string;
  /** Declared or inferred type. */
  type: QuestionType;
  /** Default value; a string default may itself be a template. */
  default: unknown;
  /** Allowed values, when the question is a choice. */
  choices: unknown[] | undefined;
  /** Help text. */
  help: string | undefined;
  /** Secret answers never reach the answers file. */
  secret: boolean;
}

/** A resolved template manifest (core.md D2). */
export interface TemplateManifest {
  /** Folder name of the template. */
  name: string;
  /** Absolute folder of the template. */
  path: string;
  /** `_exlab_type`. */
  type: TemplateType;
  /** `_exlab_version`, always a non-empty string. */
  version: string;
  /** `_exlab_run_scope` of a run template, else null. */
  runScope: RunScope | null;
  /** `_exlab_description` or "". */
  description: string;
  /** `_exlab_plugins` order. */
  pluginOrder: string[];
  /** Paths matched by `_exclude` (Copier). */
  exclude: string[];
  /** Paths matched by `_skip_if_exists` (Copier). */
  skipIfExists: string[];
  /** Template questions in manifest order. */
  questions: TemplateQuestion[];
  /** True when the manifest has `_tasks` (never run). */
  hasTasks: boolean;
  /** The parsed manifest. */
  raw: Record<string, unknown>;
}

// PyYAML, which Copier uses, reads only yes/no, true/false and on/off as booleans; YAML 1.1's y and n stay strings.
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
// Dates stay text: a Date object would be mistaken for a long-form question and lose its default.
function manifestTags(tags: Tags): Tags {
  return tags
    .filter((tag) => typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:timestamp')
    .map((tag) => {
      if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:bool' || !('test' in tag) || tag.test === undefined) return tag;
      return { ...tag, test: tag.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE };
    });
}

function inferType(value: unknown, floatLiteral = false): QuestionType {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) && !floatLiteral ? 'int' : 'float';
  if (value !== null && typeof value === 'object') return 'yaml';
  return 'str';
}

// `5.0` parses to the integer 5; Copier still infers float from it, so look at how the default was written.
function writtenAsFloat(document: Document, path: readonly string[]): boolean {
  const node = document.getIn(path, true);
  return isScalar(node) && typeof node.value === 'number' && (node.minFractionDigits !== undefined || node.format === 'EXP');
}

/** Reads one question of a manifest (core.md D3); a type outside {@link QUESTION_TYPES} is a TemplateLoadError naming `<name>.type`. */
export function parseQuestion(name: string, spec: unknown, template: string, document: Document): TemplateQuestion {
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const long = spec as Record<string, unknown>;
    const type = long.type ?? inferType(long.default, writtenAsFloat(document, [name, 'default']));
    if (typeof type !== 'string' || !(QUESTION_TYPES as readonly string[]).includes(type)) {
      throw new TemplateLoadError(
        `Template "${template}": question "${name}" has type ${JSON.stringify(type)}; allowed: ${QUESTION_TYPES.join(', ')}.`,
        {
          field: `${name}.type`,
          details: { template, allowed: QUESTION_TYPES },
        },
      );
    }
    let choices: unknown[] | undefined;
    if (Array.isArray(long.choices)) choices = long.choices;
    else if (long.choices !== null && typeof long.choices === 'object') choices = Object.values(long.choices as Record<string, unknown>);
    return {
      name,
      type: type as QuestionType,
      default: long.default,
      choices,
      help: typeof long.help === 'string' ? long.help : undefined,
      secret: long.secret === true,
    };
  }
  return {
    name,
    type: inferType(spec, writtenAsFloat(document, [name])),
    default: spec,
    choices: undefined,
    help: undefined,
    secret: false,
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The manifest file of a template folder and its text; undefined when neither copier.yml nor copier.yaml can be read. */
export async function readManifestSource(dir: string): Promise<{ file: string; text: string } | undefined> {
  for (const file of [FILE_NAMES.copierManifest, FILE_NAMES.copierManifestAlt]) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => undefined);
    if (text !== undefined) return { file, text };
  }
  return undefined;
}

/**
 * Parses manifest text as Copier does (YAML 1.1 as PyYAML reads it: `yes` and `on` are booleans,
 * dates stay text). A document that is not a mapping counts as `{}` (core.md D2). Throws the
 * first YAML error.
 */
export function parseManifestYaml(text: string): { document: Document; raw: Record<string, unknown> } {
  const document = parseDocument(text, { version: '1.1', customTags: manifestTags });
  const firstError = document.errors[0];
  if (firstError) throw firstError;
  const parsed: unknown = document.toJS();
  const raw = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  return { document, raw };
}

/**
 * Reads and checks `<dir>/copier.yml` (core.md D2). Every problem is a TemplateLoadError naming
 * the template, the key and the allowed values; `expectedType` also checks `_exlab_type`.
 */
export async function loadTemplateManifest(dir: string, expectedType?: TemplateType): Promise<TemplateManifest> {
  const name = basename(dir);
  const source = await readManifestSource(dir);
  if (source === undefined) {
    throw new TemplateLoadError(`Template "${name}" has no readable ${FILE_NAMES.copierManifest} in ${dir}.`, {
      field: 'copier.yml',
      details: { template: name, path: dir },
    });
  }
  let raw: Record<string, unknown>;
  let document: Document;
  try {
    ({ document, raw } = parseManifestYaml(source.text));
  } catch (error) {
    throw new TemplateLoadError(`Template "${name}": copier.yml is not valid YAML: ${(error as Error).message}`, {
      field: 'copier.yml',
      details: { template: name },
      cause: error,
    });
  }

  const type = raw._exlab_type;
  if (typeof type !== 'string' || !(TEMPLATE_TYPES as readonly string[]).includes(type)) {
    throw new TemplateLoadError(
      `Template "${name}": _exlab_type is ${JSON.stringify(type ?? null)}; allowed: ${TEMPLATE_TYPES.join(', ')}.`,
      {
        field: '_exlab_type',
        details: { template: name, allowed: TEMPLATE_TYPES },
      },
    );
  }
  if (expectedType !== undefined && type !== expectedType) {
    throw new TemplateLoadError(`Template "${name}" is a ${type} template; a ${expectedType} template is needed here.`, {
      field: '_exlab_type',
      details: { template: name, expected: expectedType, found: type },
    });
  }
  const version = raw._exlab_version;
  if (typeof version !== 'string' || version.trim() === '') {
    throw new TemplateLoadError(
      `Template "${name}": _exlab_version must be a non-empty quoted string such as "1.0" (found ${JSON.stringify(version ?? null)}).`,
      {
        field: '_exlab_version',
        details: { template: name },
      },
    );
  }
  let runScope: RunScope | null = null;
  if (type === 'run') {
    const scope = raw._exlab_run_scope;
    if (typeof scope !== 'string' || !(RUN_SCOPES as readonly string[]).includes(scope)) {
      throw new TemplateLoadError(
        `Template "${name}": _exlab_run_scope is ${JSON.stringify(scope ?? null)}; allowed: ${RUN_SCOPES.join(', ')}.`,
        {
          field: '_exlab_run_scope',
          details: { template: name, allowed: RUN_SCOPES },
        },
      );
    }
    runScope = scope as RunScope;
  }
  const readme = raw._exlab_readme;
  const fields =
    readme !== null && typeof readme === 'object' && Array.isArray((readme as Record<string, unknown>).fields)
      ? ((readme as Record<string, unknown>).fields as unknown[])
      : [];
  for (const field of fields) {
    const id = field !== null && typeof field === 'object' ? (field as Record<string, unknown>).id : undefined;
    if (typeof id === 'string' && (CORE_FIELD_IDS as readonly string[]).includes(id))
      throw new TemplateCoreFieldRedeclaredError(name, version, id);
  }

  const questions: TemplateQuestion[] = [];
  for (const [key, spec] of Object.entries(raw)) {
    if (!key.startsWith('_')) questions.push(parseQuestion(key, spec, name, document));
  }
  return {
    name,
    path: dir,
    type: type as TemplateType,
    version,
    runScope,
    description: typeof raw._exlab_description === 'string' ? raw._exlab_description : '',
    pluginOrder: stringList(raw._exlab_plugins),
    exclude: stringList(raw._exclude),
    skipIfExists: stringList(raw._skip_if_exists),
    questions,
    hasTasks: raw._tasks !== undefined,
    raw,
  };
}

/** True when a run template of `scope` may create runs of `runKind` (core.md D1). */
export function scopeAllows(scope: RunScope | null, runKind: 'experimental' | 'test'): boolean {
  return scope === 'both' || scope === runKind;
}
