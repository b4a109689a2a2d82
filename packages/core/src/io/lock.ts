import { TIMINGS } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for the lock before failing with `lock_timeout` (default 30 s). */
  timeoutMs?: number;
  /** A lock not refreshed for this long belongs to a dead holder and is taken over (default 10 s). */
  staleMs?: number;
  /** Called when the lock was lost while held (e.g. its directory was removed); the work still finishes. */
  onCompromised?: (error: Error) => void;
}

/**
 * Runs `fn` while holding an exclusive cross-process lock on `path` (a `<path>.lock`
 * directory beside it). The target file need not exist. Stale locks of crashed holders are
 * taken over; a compromised lock is reported, never thrown into the event loop.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? TIMINGS.cacheLockTimeoutMs;
  const staleMs = Math.max(options.staleMs ?? 10_000, 2_000);
  const deadline = Date.now() + timeoutMs;
  let release: (() => Promise<void>) | undefined;
  let delay = 5;
  // Loaded on the first lock, not with the module: the tray's start takes no file lock, and
  // proper-lockfile brings graceful-fs, which patches fs when it loads.
  const { default: lockfile } = await import('proper-lockfile');
  for (;;) {
    try {
      release = await lockfile.lock(path, {
        realpath: false,
        stale: staleMs,
        update: Math.floor(staleMs / 2),
        onCompromised: (error) => options.onCompromised?.(error),
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) {
        throw new ExLabError('lock_timeout', `Could not lock ${path} within ${timeoutMs} ms; another process holds it.`, {
          details: { path, timeout_ms: timeoutMs },
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
