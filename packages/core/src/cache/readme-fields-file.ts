import { join } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
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
