import { z } from 'zod';
import { ExLabError, SchemaMajorMismatchError } from '../errors/index.js';
import { readJsonFile } from '../io/index.js';

/** A parsed cache file whose major version this reader knows, with its minor for migration. */
export interface VersionedDocument {
  /** A shallow copy of the file's top-level object, safe to migrate in place. */
  document: Record<string, unknown>;
  /** The file's `schema_version` as written. */
  version: string;
  /** The minor part of `version`. */
  minor: number;
}

/**
 * `T` without `schema_version`, keeping its other fields typed. (`Omit` would widen them all to
 * `unknown`, since the loose cache schemas carry a string index signature.)
 */
export type WithoutSchemaVersion<T> = { [K in keyof T as K extends 'schema_version' ? never : K]: T[K] };

const VERSION_PATTERN = /^(\d+)\.(\d+)$/;

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a parsed cache file's `schema_version` against the major of `current` (§11.9.2 rule 3):
 * a missing, malformed or other-major version is {@link SchemaMajorMismatchError}, never a
 * partial parse. A document that is not a JSON object is `cache_file_invalid`.
 */
export function checkSchemaMajor(raw: unknown, file: string, current: string): VersionedDocument {
  if (!isJsonObject(raw)) {
    throw new ExLabError('cache_file_invalid', `${file}: expected a JSON object`, { details: { file } });
  }
  const expectedMajor = Number(VERSION_PATTERN.exec(current)?.[1]);
  const found = raw.schema_version;
  const match = typeof found === 'string' ? VERSION_PATTERN.exec(found) : null;
  if (match === null || Number(match[1]) !== expectedMajor || typeof found !== 'string') {
    throw new SchemaMajorMismatchError(file, expectedMajor, describeVersion(found));
  }
  return { document: { ...raw }, version: found, minor: Number(match[2]) };
}

// `found` in the error is the version as written; a non-string value is shown as its JSON.
function describeVersion(found: unknown): string | null {
  if (found === undefined) return null;
  return typeof found === 'string' ? found : JSON.stringify(found);
}

/**
 * The version a rewrite stamps: the writer's current version (§11.9.3 rule 3 upgrades older
 * files), or the file's own when a newer minor wrote it, since its unknown fields are kept and
 * a lower number would misdescribe them (§11.9.3 rule 1: no downgrade writes).
 */
export function versionToWrite(onDisk: string, current: string): string {
  const disk = VERSION_PATTERN.exec(onDisk);
  const mine = VERSION_PATTERN.exec(current);
  if (disk === null || mine === null || disk[1] !== mine[1]) return current;
  return Number(disk[2]) > Number(mine[2]) ? onDisk : current;
}

/** Reads a JSON file without a schema; a syntax error is `cache_file_invalid` naming the file. ENOENT passes through. */
export async function readJsonDocument(path: string): Promise<unknown> {
  return readJsonFile(path, z.unknown());
}
