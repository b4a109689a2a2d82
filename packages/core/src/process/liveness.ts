import { errnoCode } from './errno.js';
import { probeProcess } from './process-probe.js';

/** True for a value that can name a single process; 0 and negatives would signal whole process groups. */
function isPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0;
}

/** Signal 0 checks for existence without touching the process; EPERM means it exists but is not ours. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * The start token of `pid` (lifecycle.md P4): Linux `<boot_id>:<starttime>` from /proc, macOS
 * `ps -o lstart=`, Windows the creation FILETIME. A reused pid gets a different token. Null
 * when the process does not exist or the token cannot be read.
 */
export async function readProcessStartToken(pid: number): Promise<string | null> {
  if (!isPid(pid) || !pidExists(pid)) return null;
  const probe = await probeProcess(pid);
  return probe?.startToken ?? null;
}

let ownTokenPromise: Promise<string | null> | undefined;

/** The start token of this process, read once. */
export function currentProcessStartToken(): Promise<string | null> {
  ownTokenPromise ??= readProcessStartToken(process.pid);
  return ownTokenPromise;
}

/**
 * True when `pid` exists, is not a zombie, and, when `expectedStartToken` is a string, still has
 * that start token (a reused pid reads as dead). Without an expected token only existence counts.
 */
export async function isProcessAlive(pid: number, expectedStartToken?: string | null): Promise<boolean> {
  if (!isPid(pid) || !pidExists(pid)) return false;
  const probe = await probeProcess(pid);
  const expectsToken = typeof expectedStartToken === 'string';
  if (probe === null) {
    // It existed a moment ago but the OS would not describe it: gone since, or not inspectable.
    return expectsToken ? false : pidExists(pid);
  }
  if (probe.zombie) return false;
  return !expectsToken || probe.startToken === expectedStartToken;
}
