/**
 * NAS sync (§7.1): the durable queue (`sync_queue.db`), the transports (rclone, rsync over ssh, a
 * mounted share), SHA-256 verification, retry with back-off, bandwidth windows and the pre-sync
 * gate (§7.3), driven by {@link NasSync}.
 */
export {
  NasSync,
  type NasSyncOptions,
  type EnqueueRequest,
  type EnqueueOptions,
  type EnqueueResult,
  type SyncStats,
  type SyncTimers,
} from './nas-sync.js';
export { SyncJobStore, type NewSyncJob, type SyncJobPatch, type SyncJobCounts } from './job-store.js';
export {
  pushCommand,
  remoteHashCommand,
  remoteRootProbe,
  remoteLocation,
  remotePath,
  classifyFailure,
  expandHome,
  shellQuote,
  DEFAULT_SYNC_COMMANDS,
  type SyncCommands,
  type Command,
  type PushRequest,
} from './transport.js';
export {
  scanFolder,
  localManifest,
  formatChecksums,
  parseChecksums,
  compareManifests,
  sha256File,
  type HashManifest,
  type ManifestComparison,
  type ScannedFolder,
  type ScanOptions,
  type FileIdentity,
} from './manifest.js';
export { uploadLimitAt, bwlimitKiB } from './bandwidth.js';
export { cleanupHold, removeVerifiedFiles, type CleanupHold, type CleanupReport } from './cleanup.js';
export { copyFolder, type FolderCopyReport } from './folder-copy.js';
export { runShareOp, shareOpCommand, shareFailureKind, ShareOpError, SHARE_STALL_MS, type ShareOpOptions } from './share-ops.js';
export type { ShareOpRequest, ShareOpAnswer } from './share-protocol.js';
export { runCommand, describeOutcome, type CommandOutcome, type RunCommandOptions } from './run-command.js';
