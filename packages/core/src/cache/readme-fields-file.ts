import { join } from 'node:path';
import { FILE_NAMES, LIMITS, SCHEMA_VERSIONS } from '../constants/index.js';
import { FieldTooLongError, ValidationError } from '../errors/index.js';
import { parseWithSchema } from '../io/index.js';
import { ReadmeFieldsJsonSchema, type ReadmeFieldsJson } from '../schemas/index.js';
import { checkSchemaMajor, type WithoutSchemaVersion, readJsonDocument } from './schema-version.js';

/** `<dir>/.exlab-wizard/readme_fields.json`. */
export function readmeFieldsPath(dir: string): string {
  return join(dir, FILE_NAMES.cacheDir, FILE_NAMES.readmeFields);
}

/** What readme_fields.json holds besides its version; the writer stamps the current one. */
export type ReadmeFieldsBody = WithoutSchemaVersion<ReadmeFieldsJson>;

/**
 * The readme_fields.json document {@link CacheWriter.writeReadmeFields} writes for `body`, checked:
 * core fields non-empty after trimming, label at most 100 and objective at most 2000 characters.
 */
export function readmeFieldsDocument(dir: string, body: ReadmeFieldsBody): ReadmeFieldsJson {
  const document = parseWithSchema(
    readmeFieldsPath(dir),
    { ...body, schema_version: SCHEMA_VERSIONS.readme_fields_json },
    ReadmeFieldsJsonSchema,
  );
  checkCoreField('core_fields.label', document.core_fields.label, LIMITS.labelMaxLength);
  checkCoreField('core_fields.operator', document.core_fields.operator, undefined);
  checkCoreField('core_fields.objective', document.core_fields.objective, LIMITS.objectiveMaxLength);
  return document;
}

function checkCoreField(field: string, value: string, maxLength: number | undefined): void {
  const trimmed = value.trim();
  if (trimmed === '') throw new ValidationError(`${field} must not be empty.`, { field });
  if (maxLength !== undefined && trimmed.length > maxLength) throw new FieldTooLongError(field, maxLength, trimmed.length);
}

/**
 * Reads a parsed readme_fields.json (§11.4, §11.9.2): major 1 only; a 1.0 file, which predates
 * the config and custom layers, reads them as empty; newer minors parse with unknown keys kept.
 */
export function parseReadmeFieldsJson(raw: unknown, file: string): ReadmeFieldsJson {
  const { document, minor } = checkSchemaMajor(raw, file, SCHEMA_VERSIONS.readme_fields_json);
  if (minor < 1) {
    if (document.config_fields === undefined) document.config_fields = {};
    if (document.custom_fields === undefined) document.custom_fields = [];
  }
  return parseWithSchema(file, document, ReadmeFieldsJsonSchema);
}

/** Reads `<dir>/.exlab-wizard/readme_fields.json` (a snapshot read; writers publish by atomic rename). */
export async function readReadmeFieldsJson(dir: string): Promise<ReadmeFieldsJson> {
  const path = readmeFieldsPath(dir);
  return parseReadmeFieldsJson(await readJsonDocument(path), path);
}
