/**
 * Process primitives of the tray and the CLI: liveness by pid and start token (lifecycle.md P4),
 * the single-instance lock (T2, T3), the server.json discovery file (P3) and the state-dir check.
 */
export { currentProcessStartToken, isProcessAlive, readProcessStartToken } from './liveness.js';
export { acquireInstanceLock, readLockInfo, type InstanceLock, type InstanceLockOptions } from './instance-lock.js';
export { readServerInfo, removeServerInfoIfOwned, removeServerInfoIfOwnedSync, writeServerInfo } from './discovery-file.js';
export { type StateFileOwner } from './owned-file.js';
export { ensureWritableDir } from './writable-dir.js';
export { LockInfoSchema, ServerInfoSchema, type LockInfo, type ServerInfo } from '../schemas/server-info.js';
