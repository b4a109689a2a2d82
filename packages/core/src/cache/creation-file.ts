import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
import { ValidationError } from '../errors/index.js';
import { parseWithSchema } from '../io/index.js';
import { CreationJsonSchema, type CreationJson, type NewCreationJson } from '../schemas/index.js';
import { checkSchemaMajor, type WithoutSchemaVersion, isJsonObject, readJsonDocument, versionToWrite } from './schema-version.js';

/** `<dir>/.exlab-wizard/creation.json`. */
export function creationJsonPath(dir: string): string {
  return join(dir, FILE_NAMES.cacheDir, FILE_NAMES.creation);
}

/** What a new creation.json holds besides its version; the writer stamps the current one. */
export type CreationJsonBody = WithoutSchemaVersion<NewCreationJson>;

/** The only creation.json fields that may change after the initial write (§11.3, core.md F3). */
export const MUTABLE_CREATION_FIELDS = ['sync_status', 'validation_overrides'] as const;

/**
 * Reads a parsed creation.json (§11.9.2): a missing, malformed or non-1 major `schema_version`
 * is `schema_major_mismatch`; an older minor gets the §11.3 history defaults; a newer minor
 * parses with its unknown fields kept (top-level unknown keys survive a rewrite). A missing
 * required field is `cache_file_invalid` naming it. `schema_version` stays as written.
 */
export function parseCreationJson(raw: unknown, file: string): CreationJson {
  const { document, minor } = checkSchemaMajor(raw, file, SCHEMA_VERSIONS.creation_json);
  migrateOlderMinor(document, minor);
  return parseWithSchema(file, document, CreationJsonSchema);
}

/**
 * Reads `<dir>/.exlab-wizard/creation.json`. A snapshot read takes no lock: every writer
 * publishes by an atomic rename, so a reader sees the old file or the new one whole, never a
 * partial one. ENOENT passes through for a folder without the file.
 */
export async function readCreationJson(dir: string): Promise<CreationJson> {
  const path = creationJsonPath(dir);
  return parseCreationJson(await readJsonDocument(path), path);
}

// The §11.3 schema-version history, applied to a file written at minor `minor`. Each default
// fills only a field that did not exist yet at that minor; from then on its absence is an error.
function migrateOlderMinor(document: Record<string, unknown>, minor: number): void {
  if (minor < 1 && document.run_kind === undefined) document.run_kind = 'experimental';
  if (minor < 2 && document.validation_overrides === undefined) document.validation_overrides = [];
  // 1.4 briefly carried lims_status, retracted in v0.7: read as 1.3 and drop it.
  if (minor === 4) delete document.lims_status;
  // No LIMS link was recorded before 1.5; the reader says so with null.
  if (minor < 5 && document.lims_project === undefined) document.lims_project = null;
  if (Array.isArray(document.validation_overrides)) {
    document.validation_overrides = document.validation_overrides.flatMap((entry: unknown, index) =>
      migrateOverrideEntry(entry, index, minor),
    );
  }
  if (minor < 8 && isJsonObject(document.lims_project)) {
    const lims = { ...document.lims_project };
    if (lims.source === undefined) lims.source = 'live';
    if (lims.cache_freshness_at_use === undefined) lims.cache_freshness_at_use = null;
    document.lims_project = lims;
  }
  // Before 1.9 the block was absent in single-equipment mode (§11.3 of spec 1.8).
  if (minor < 9 && document.orchestrator === undefined) document.orchestrator = null;
}

// Entries before 1.6 had no id (core.md F4 gives any entry without one an id, whatever the
// minor, rather than refusing the file). Before 1.6 revoking set `revoked: true` on the override
// itself; such an entry becomes the override plus a tombstone naming it (the 1.6 shape).
function migrateOverrideEntry(entry: unknown, index: number, minor: number): unknown[] {
  if (!isJsonObject(entry)) return [entry];
  const withId = entry.id === undefined ? { id: derivedUuid(entry, index, 'override'), ...entry } : entry;
  if (minor >= 6 || withId.revoked !== true || withId.revokes !== undefined) return [withId];
  return [
    { ...withId, revoked: false },
    {
      id: derivedUuid(entry, index, 'tombstone'),
      revokes: withId.id,
      operator: withId.operator,
      recorded_at: withId.recorded_at,
      reason: 'Revoked in place before schema 1.6; the original record kept no separate revocation reason.',
      revoked: true,
    },
  ];
}

// A UUID in v4 layout derived from the entry, not random: every read of the same old file gives
// the same ids, so an id a client saw in a snapshot still names the entry when a revoke rewrites it.
function derivedUuid(entry: Record<string, unknown>, index: number, role: string): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([index, role, entry]))
    .digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Enforces core.md F3 on a mutation: every field other than `sync_status` and
 * `validation_overrides` (unknown keys and `schema_version` included) is unchanged, and the
 * overrides list only grew at its end. Throws `validation_failed` naming the field.
 */
export function assertCreationChangeAllowed(before: CreationJson, after: Record<string, unknown>, file: string): void {
  const mutable: readonly string[] = MUTABLE_CREATION_FIELDS;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (mutable.includes(key)) continue;
    if (!isDeepStrictEqual(before[key], after[key])) {
      throw new ValidationError(
        `${file}: "${key}" cannot change after creation; only ${MUTABLE_CREATION_FIELDS.join(' and ')} may (§11.3).`,
        { field: key, details: { file, mutable_fields: [...MUTABLE_CREATION_FIELDS] } },
      );
    }
  }
  const entries = after.validation_overrides;
  if (!Array.isArray(entries)) return; // the schema check names the field
  before.validation_overrides.forEach((entry, index) => {
    if (index >= entries.length || !isDeepStrictEqual(entry, entries[index])) {
      throw new ValidationError(
        `${file}: validation_overrides is append-only; entry ${index} was changed or removed. Revoke an override by appending a tombstone.`,
        { field: `validation_overrides[${index}]`, details: { file } },
      );
    }
  });
}

/**
 * The document a rewrite puts on disk: validated, at the version {@link versionToWrite} picks,
 * with every field present, `schema_version` first, then schema order, then unknown keys.
 * A value the schema refuses is `cache_file_invalid` naming the field; nothing is written.
 */
export function creationDocumentToWrite(document: Record<string, unknown>, onDiskVersion: string, file: string): CreationJson {
  const version = versionToWrite(onDiskVersion, SCHEMA_VERSIONS.creation_json);
  return parseWithSchema(file, { ...document, schema_version: version }, CreationJsonSchema);
}
