import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { APP_DISPLAY_NAME } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { fsyncDirectory } from '../io/atomic-write.js';
import type { LockInfo } from '../schemas/server-info.js';
import { formatUtcTimestamp } from '../schemas/timestamp.js';
import { errnoCode } from './errno.js';
import { serverInfoSchemas } from './file-schemas.js';
import { currentProcessStartToken, isProcessAlive } from './liveness.js';
import { removeIfOwned, removeIfOwnedSync } from './owned-file.js';

/** Options of {@link acquireInstanceLock}. */
export interface InstanceLockOptions {
  /** Random id of this launch; recorded in the lock and checked before it is deleted. */
  instanceId: string;
  /** Clock for `started_at` (default: the system clock). */
  now?: () => Date;
}

/** A held single-instance lock (lifecycle.md T2). */
export interface InstanceLock {
  /** Path of the lock file. */
  readonly path: string;
  /** What the lock file says about this process. */
  readonly info: LockInfo;
  /** Deletes the lock file if it still names our pid and instance_id (T3); idempotent. */
  release(): Promise<void>;
  /** Synchronous {@link InstanceLock.release} for `process.on('exit')`: best effort, never throws. */
  releaseSync(): void;
}

// link(2) is missing on some file systems (FAT, some network shares); there we fall back to open(wx).
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Takes the single-instance lock at `lockPath` (lifecycle.md T2). The file is created
 * exclusively, mode 0600, with this process's {@link LockInfo}. When it exists and its holder
 * is alive (pid and start token, P4) this throws `already_running` with `details.holder`. A
 * dead holder's lock, or a file that is not a lock, is deleted by whichever starter holds the
 * `<lockPath>.takeover` file, then the create is retried once; a starter that loses any of
 * these steps to another gets `already_running` too.
 */
export async function acquireInstanceLock(lockPath: string, options: InstanceLockOptions): Promise<InstanceLock> {
  const info: LockInfo = {
    pid: process.pid,
    pid_start: await currentProcessStartToken(),
    started_at: formatUtcTimestamp((options.now ?? (() => new Date()))()),
    instance_id: options.instanceId,
  };
  const text = `${JSON.stringify(info, null, 2)}\n`;
  if (await createLockFile(lockPath, text)) return heldLock(lockPath, info);

  const judged = await readLockText(lockPath);
  if (judged === null) {
    // Gone between our create and our read: its holder quit, or another starter is taking it over.
    if (await createLockFile(lockPath, text)) return heldLock(lockPath, info);
    throw await alreadyRunning(lockPath);
  }
  const holder = await parseLockText(judged);
  if (holder !== null && (await isProcessAlive(holder.pid, holder.pid_start))) throw alreadyRunningError(lockPath, holder);

  // The liveness probe may take a while (ps, PowerShell): make sure nobody replaced the file meanwhile.
  const current = await readLockText(lockPath);
  if (current !== judged) throw alreadyRunningError(lockPath, current === null ? null : await parseLockText(current));

  // Only one starter at a time may delete a stale lock: it must hold the takeover file, created
  // exclusively. With deletion serialized and creation exclusive, one lock file at most exists,
  // so exactly one of many concurrent starters wins (lifecycle.md T2, F6).
  const takeover = `${lockPath}.takeover`;
  if (!(await acquireTakeover(takeover, text))) throw await alreadyRunningAfterTakeover(lockPath, judged);
  try {
    const now = await readLockText(lockPath);
    if (now !== null) {
      if (now !== judged) throw alreadyRunningError(lockPath, await parseLockText(now));
      await unlink(lockPath);
    }
    if (await createLockFile(lockPath, text)) return heldLock(lockPath, info);
    throw await alreadyRunning(lockPath);
  } finally {
    await unlink(takeover).catch(() => undefined);
  }
}

// A takeover takes milliseconds; a takeover file this old belongs to a starter that crashed mid-way.
const TAKEOVER_STALE_MS = 30_000;

/** Creates the takeover file; false while another starter holds it. A crashed starter's file is cleared once. */
async function acquireTakeover(path: string, text: string): Promise<boolean> {
  if (await createLockFile(path, text)) return true;
  const info = await stat(path).catch(() => null);
  if (info === null || Date.now() - info.mtimeMs < TAKEOVER_STALE_MS) return false;
  await unlink(path).catch(() => undefined);
  return createLockFile(path, text);
}

/** The lock file's content, or null when it is missing, empty or not a lock. */
export async function readLockInfo(lockPath: string): Promise<LockInfo | null> {
  const text = await readLockText(lockPath);
  return text === null ? null : parseLockText(text);
}

function heldLock(path: string, info: LockInfo): InstanceLock {
  const owner = { pid: info.pid, instance_id: info.instance_id };
  return {
    path,
    info,
    release: async () => {
      await removeIfOwned(path, owner);
    },
    releaseSync: () => {
      removeIfOwnedSync(path, owner);
    },
  };
}

/**
 * Creates `path` holding `text` only if it does not exist; false when it does. The content is
 * written and fsynced in a temporary file first and published with link(2), so no reader ever
 * sees an empty lock and mistakes it for a stale one.
 */
async function createLockFile(path: string, text: string): Promise<boolean> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeNewFile(tmp, text);
    try {
      await link(tmp, path);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return false;
      if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw error;
      try {
        await writeNewFile(path, text);
      } catch (fallbackError) {
        if (errnoCode(fallbackError) === 'EEXIST') return false;
        throw fallbackError;
      }
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDirectory(dir);
  return true;
}

/** Creates `path` exclusively (mode 0600), writes and fsyncs `text`; removes it again if the write fails. */
async function writeNewFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

async function readLockText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

async function parseLockText(text: string): Promise<LockInfo | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const result = (await serverInfoSchemas()).LockInfoSchema.safeParse(raw);
  return result.success ? result.data : null;
}

// How long a starter that lost the takeover waits for the winner's lock before it reports.
const TAKEOVER_WAIT_MS = 2_000;
const TAKEOVER_POLL_MS = 10;

/**
 * `already_running` for a starter that lost the takeover of the stale lock `stale`: it waits
 * (briefly) until the winner's lock replaces it, so it names the new holder, never the dead one.
 */
async function alreadyRunningAfterTakeover(lockPath: string, stale: string): Promise<ExLabError> {
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    const now = await readLockText(lockPath).catch(() => null);
    if (now !== null && now !== stale) return alreadyRunningError(lockPath, await parseLockText(now));
    if (Date.now() >= deadline) return alreadyRunningError(lockPath, null);
    await new Promise((resolve) => setTimeout(resolve, TAKEOVER_POLL_MS));
  }
}

/** `already_running` naming whoever holds the lock now. */
async function alreadyRunning(lockPath: string): Promise<ExLabError> {
  return alreadyRunningError(lockPath, await readLockInfo(lockPath).catch(() => null));
}

function alreadyRunningError(lockPath: string, holder: LockInfo | null): ExLabError {
  const who = holder === null ? 'another instance is starting' : `pid ${holder.pid}`;
  return new ExLabError('already_running', `${APP_DISPLAY_NAME} already running (${who}); it holds ${lockPath}.`, {
    details: { holder, lock_path: lockPath },
  });
}
