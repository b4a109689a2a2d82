import { isAbsolute, join, resolve } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
import type { Config, CreationJson } from '../schemas/index.js';
import { loadTemplateManifest } from '../template/index.js';
import type { FindingDraft } from './finding-draft.js';
import { readTextFile } from './file-read.js';
import { MEMO_MAX_CHARS, TextMemo } from './memo.js';

/** A README field some layer requires, and the layer that requires it (§8.1.5). */
export interface RequiredField {
  id: string;
  /** Named in rule_detail, e.g. `config.yaml readme.defaults`. */
  source: string;
}

/** True when a README field value counts as missing (core.md H8): absent, null or "". */
export function isMissingValue(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** The missing-field finding of one required id; `source` is left out where the caller does not know it (creation mode). */
export function missingFieldDraft(readmeFieldsPath: string, id: string, source: string | null): FindingDraft {
  return {
    rule: 'missing_required_field',
    offending_path: readmeFieldsPath,
    offending_kind: 'file_content',
    matched_token: id,
    rule_detail: `Required README field "${id}"${source === null ? '' : ` (required by ${source})`} has no value in readme_fields.json.`,
  };
}

function requiredTemplateIds(raw: Record<string, unknown>): string[] {
  const readme = raw._exlab_readme;
  const fields = readme !== null && typeof readme === 'object' ? (readme as Record<string, unknown>).fields : undefined;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((field: unknown) => {
    if (field === null || typeof field !== 'object') return [];
    const { id, required } = field as Record<string, unknown>;
    return typeof id === 'string' && required === true ? [id] : [];
  });
}

/**
 * Which README fields a folder must have values for: config.yaml `readme.defaults` marked
 * required, plus the required `_exlab_readme.fields` of the template its creation.json records,
 * when that template (same name and version) can still be loaded. Each template is loaded once.
 */
export class RequiredFieldResolver {
  readonly #config: readonly RequiredField[];
  readonly #templatesDir: string;
  readonly #templates = new Map<string, Promise<RequiredField[]>>();

  constructor(config: Config) {
    this.#config = config.readme.defaults
      .filter((field) => field.required)
      .map((field) => ({ id: field.id, source: 'config.yaml readme.defaults' }));
    this.#templatesDir = config.paths.templates_dir;
  }

  /** The required fields for a folder created from `template`, template layer first, each id once. */
  async requiredFor(template: CreationJson['template']): Promise<RequiredField[]> {
    const fromTemplate = await this.#templateFields(template);
    const seen = new Set(fromTemplate.map((field) => field.id));
    return [...fromTemplate, ...this.#config.filter((field) => !seen.has(field.id))];
  }

  #templateFields(template: CreationJson['template']): Promise<RequiredField[]> {
    const key = JSON.stringify([template.source_path, template.name, template.version]);
    let fields = this.#templates.get(key);
    if (fields === undefined) {
      fields = this.#loadTemplateFields(template);
      this.#templates.set(key, fields);
    }
    return fields;
  }

  // Best effort: the recorded source path, else the template of that name in the templates folder.
  async #loadTemplateFields(template: CreationJson['template']): Promise<RequiredField[]> {
    const candidates: string[] = [];
    if (isAbsolute(template.source_path)) candidates.push(template.source_path);
    else if (this.#templatesDir !== '' && template.source_path !== '') candidates.push(resolve(this.#templatesDir, template.source_path));
    if (this.#templatesDir !== '') candidates.push(join(this.#templatesDir, template.name));
    for (const dir of candidates) {
      const manifest = await loadTemplateManifest(dir).catch(() => null);
      // Another version may require other fields; only the recorded one speaks for this folder.
      if (manifest === null || manifest.name !== template.name || manifest.version !== template.version) continue;
      const source = `template ${template.name} ${template.version}`;
      return requiredTemplateIds(manifest.raw).map((id) => ({ id, source }));
    }
    return [];
  }
}

// readme_fields.json of the major this reader knows (§11.9.2); other majors are not read.
const READABLE_VERSION = new RegExp(`^${SCHEMA_VERSIONS.readme_fields_json.split('.')[0] ?? '1'}\\.\\d+$`);
const VALUE_LAYERS = ['core_fields', 'template_fields', 'config_fields'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The value layers of a readme_fields.json, core, then template, then config (§8.1.5, core.md
 * H8); null when the file is not a readme_fields.json of a major this reader knows. Only these
 * three blocks are consulted, so they are read as they are rather than through the full schema
 * (which would double the audit's CPU per run for fields this rule never looks at).
 */
function valueLayers(raw: unknown): Record<string, unknown>[] | null {
  if (!isRecord(raw) || typeof raw.schema_version !== 'string' || !READABLE_VERSION.test(raw.schema_version)) return null;
  return VALUE_LAYERS.map((name) => raw[name]).filter(isRecord);
}

/** The ids some value layer gives a usable value (the first layer with one satisfies the field); null when unreadable. */
function valuedIds(text: string): ReadonlySet<string> | null {
  let layers: Record<string, unknown>[] | null;
  try {
    layers = valueLayers(JSON.parse(text));
  } catch {
    return null;
  }
  if (layers === null) return null;
  const ids = new Set<string>();
  for (const layer of layers) for (const [id, value] of Object.entries(layer)) if (!isMissingValue(value)) ids.add(id);
  return ids;
}

// Valued ids by readme_fields.json text: a periodic audit re-reads mostly unchanged files. The sets are never mutated.
const valuedIdMemo = new TextMemo<ReadonlySet<string> | null>(MEMO_MAX_CHARS);

/**
 * §8.1.5 findings of one project or run folder. When readme_fields.json is absent, unreadable or
 * not a readme_fields.json this reader knows, nothing is reported: there is no record of what
 * the README holds to compare against (the folder's other findings still stand).
 */
export function missingFieldDrafts(dir: string, required: readonly RequiredField[]): FindingDraft[] {
  if (required.length === 0) return [];
  const file = join(dir, FILE_NAMES.cacheDir, FILE_NAMES.readmeFields);
  const read = readTextFile(file, Number.POSITIVE_INFINITY);
  if (read.kind !== 'text') return [];
  const valued = valuedIdMemo.get('', read.text, () => valuedIds(read.text));
  if (valued === null) return [];
  const hasValue = (id: string): boolean => valued.has(id);
  return required.filter((field) => !hasValue(field.id)).map((field) => missingFieldDraft(file, field.id, field.source));
}
