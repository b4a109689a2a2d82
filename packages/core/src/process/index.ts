/**
 * Process primitives of the tray and the CLI: liveness by pid and start token (lifecycle.md P4),
 * the single-instance lock (T2, T3), the server.json discovery file (P3), the state-dir check,
 * process-group termination and detached runs (D1-D6, the ox_proc model).
 */
export { currentProcessStartToken, isProcessAlive, readProcessStartToken } from './liveness.js';
export { acquireInstanceLock, readLockInfo, type InstanceLock, type InstanceLockOptions } from './instance-lock.js';
export { readServerInfo, removeServerInfoIfOwned, removeServerInfoIfOwnedSync, writeServerInfo } from './discovery-file.js';
export { type StateFileOwner } from './owned-file.js';
export { ensureWritableDir } from './writable-dir.js';
export { loadProcessFileSchemas } from './file-schemas.js';
export { findExecutable, type FindExecutableOptions } from './executable.js';
export { nodeRuntimeFlags } from './node-flags.js';
export { BROWSER_NAMES, findBrowser, wellKnownBrowserPaths, type BrowserLookup } from './browser-lookup.js';
export {
  groupHasLiveMembers,
  processGroupExists,
  processGroupOf,
  terminateProcessTree,
  type TerminateOptions,
  type TerminateOutcome,
  type TreeSignal,
} from './process-group.js';
export {
  assertValidSlug,
  cleanupRuns,
  countLiveRuns,
  generateRunId,
  getRunInfo,
  isRunAlive,
  killRun,
  launchDetached,
  listRunDirs,
  newestRunDir,
  readRunStatus,
  refreshRunStatus,
  runDirFor,
  runsDirOf,
  slugOfRunId,
  tailFile,
  type CleanupOptions,
  type CleanupReport,
  type LaunchedRun,
  type LaunchOptions,
  type RunInfo,
} from './detached-run.js';
export { currentRunDir, postRunMessage, postRunMessageSync, writeRunResult, writeRunResultSync } from './run-child.js';
// The schemas themselves are in @exlab/core/schemas: re-exported here, they would make every
// bundled user of this module load zod up front (see file-schemas.ts).
export type { LockInfo, ServerInfo } from '../schemas/server-info.js';
export type { RunStatus } from '../schemas/run-status.js';
