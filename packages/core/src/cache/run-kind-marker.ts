import { join } from 'node:path';
import { FILE_NAMES, RUN_KIND_FOLDER, RUN_KIND_MARKER, SCHEMA_VERSIONS, type RunKind } from '../constants/index.js';
import { writeJsonAtomic } from '../io/index.js';
import { formatUtcTimestamp, type RunKindMarker } from '../schemas/index.js';

/** `<projectDir>/Runs/.exlab-wizard/runs.json` or `<projectDir>/TestRuns/.exlab-wizard/test_runs.json`. */
export function runKindMarkerPath(projectDirectory: string, kind: RunKind): string {
  return join(projectDirectory, RUN_KIND_FOLDER[kind], FILE_NAMES.cacheDir, RUN_KIND_MARKER[kind]);
}

/** Writes the run-kind marker once (§11.4.2-3); returns false when it already existed and was left alone. */
export async function writeRunKindMarkerOnce(
  projectDirectory: string,
  kind: RunKind,
  project: string,
  equipment: string,
  now: Date,
): Promise<boolean> {
  const marker: RunKindMarker = {
    schema_version: SCHEMA_VERSIONS.runs_json,
    run_kind: kind,
    created_at: formatUtcTimestamp(now),
    project,
    equipment,
  };
  try {
    await writeJsonAtomic(runKindMarkerPath(projectDirectory, kind), marker, { exclusive: true });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
