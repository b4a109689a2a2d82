import { join } from 'node:path';
import { FILE_NAMES, RUN_KIND_FOLDER, RUN_KIND_MARKER, SCHEMA_VERSIONS, type RunKind } from '../constants/index.js';
import { parseWithSchema } from '../io/index.js';
import { RunKindMarkerSchema, type RunKindMarker } from '../schemas/index.js';
import { checkSchemaMajor, readJsonDocument } from './schema-version.js';

/** `<projectDir>/Runs/.exlab-wizard/runs.json` or `<projectDir>/TestRuns/.exlab-wizard/test_runs.json`. */
export function runKindMarkerPath(projectDirectory: string, kind: RunKind): string {
  return join(projectDirectory, RUN_KIND_FOLDER[kind], FILE_NAMES.cacheDir, RUN_KIND_MARKER[kind]);
}

/** Reads a parsed runs.json / test_runs.json: major 1 only (§11.9.2), any minor, unknown keys kept. */
export function parseRunKindMarker(raw: unknown, file: string): RunKindMarker {
  const { document } = checkSchemaMajor(raw, file, SCHEMA_VERSIONS.runs_json);
  return parseWithSchema(file, document, RunKindMarkerSchema);
}

/** Reads the run-kind marker of `kind` under a project folder (a snapshot read; the marker is written once). */
export async function readRunKindMarker(projectDirectory: string, kind: RunKind): Promise<RunKindMarker> {
  const path = runKindMarkerPath(projectDirectory, kind);
  return parseRunKindMarker(await readJsonDocument(path), path);
}
