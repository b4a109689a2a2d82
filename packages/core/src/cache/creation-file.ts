import { join } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { parseWithSchema, readJsonFile, writeJsonAtomic } from '../io/index.js';
import { CreationJsonSchema, type CreationJson } from '../schemas/index.js';

/** `<dir>/.exlab-wizard/creation.json`. */
export function creationJsonPath(dir: string): string {
  return join(dir, FILE_NAMES.cacheDir, FILE_NAMES.creation);
}

/** creation.json without its version; the writer stamps the current one. */
export type CreationJsonBody = Omit<CreationJson, 'schema_version'>;

/**
 * Writes a new creation.json for `dir` at the current schema version. The write is atomic and
 * exclusive: a second creator gets `cache_file_exists` and the first file is untouched.
 */
export async function writeNewCreationJson(dir: string, body: CreationJsonBody): Promise<CreationJson> {
  const document = parseWithSchema(creationJsonPath(dir), { ...body, schema_version: SCHEMA_VERSIONS.creation_json }, CreationJsonSchema);
  // Every field is written at the current version, schema_version first (§11.9.3).
  const { schema_version: version, ...rest } = document;
  const ordered: CreationJson = { schema_version: version, ...rest };
  try {
    await writeJsonAtomic(creationJsonPath(dir), ordered, { exclusive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ExLabError('cache_file_exists', `${creationJsonPath(dir)} already exists; creation.json is written once per folder.`, {
        details: { path: creationJsonPath(dir) },
      });
    }
    throw error;
  }
  return ordered;
}

/** Reads a creation.json at the current major version. Older-minor migration arrives with the cache step. */
export async function readCreationJson(dir: string): Promise<CreationJson> {
  return readJsonFile(creationJsonPath(dir), CreationJsonSchema);
}
