import { join } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '../constants/index.js';
import { parseWithSchema } from '../io/index.js';
import { IngestJsonSchema, type IngestJson } from '../schemas/index.js';
import { checkSchemaMajor, readJsonDocument } from './schema-version.js';

/** `<runDir>/.exlab-wizard/ingest.json`. */
export function ingestJsonPath(runDirectory: string): string {
  return join(runDirectory, FILE_NAMES.cacheDir, FILE_NAMES.ingest);
}

/** What ingest.json records about a staged run besides its lifecycle (§13.4). */
export type IngestHeader = Pick<IngestJson, 'project_name' | 'equipment_id' | 'run_kind' | 'run_path' | 'transport'>;

/** Details a lifecycle step may carry (§13.4): counts at `complete`, the NAS copy at `sync_verified`. */
export interface IngestStepDetails {
  /** Files received by `complete`. */
  files_received?: number;
  /** Bytes received by `complete`. */
  bytes_received?: number;
  /** Where the NAS copy lives, at `sync_verified`. */
  nas_path?: string;
  /** The checksum manifest, relative to the run, at `sync_verified`. */
  checksum_file?: string;
}

/** Reads a parsed ingest.json: major 1 only (§11.9.2), any minor, unknown keys kept; a history that moves backward is `cache_file_invalid`. */
export function parseIngestJson(raw: unknown, file: string): IngestJson {
  const { document } = checkSchemaMajor(raw, file, SCHEMA_VERSIONS.ingest_json);
  return parseWithSchema(file, document, IngestJsonSchema);
}

/** Reads `<runDir>/.exlab-wizard/ingest.json` (a snapshot read; writers publish by atomic rename). */
export async function readIngestJson(runDirectory: string): Promise<IngestJson> {
  const path = ingestJsonPath(runDirectory);
  return parseIngestJson(await readJsonDocument(path), path);
}
