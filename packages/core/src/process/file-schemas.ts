import type * as ServerInfoModule from '../schemas/server-info.js';
import type * as RunStatusModule from '../schemas/run-status.js';

// The zod schemas of the process files, imported on first use. The lifecycle commands decide
// their common cases without them (no server.json, no lock, only runs that ended), and zod is the
// largest part of what `exlab start` would otherwise load before it launches the tray.

/** The schemas of server.json and tray.lock. */
export function serverInfoSchemas(): Promise<typeof ServerInfoModule> {
  return import('../schemas/server-info.js');
}

/** The schema of a run's status.json. */
export function runStatusSchemas(): Promise<typeof RunStatusModule> {
  return import('../schemas/run-status.js');
}

/** Loads the schemas of every process file now: a launcher waiting for its child has the time. */
export async function loadProcessFileSchemas(): Promise<void> {
  await Promise.all([serverInfoSchemas(), runStatusSchemas()]);
}
