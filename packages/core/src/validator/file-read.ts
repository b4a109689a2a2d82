import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import { LIMITS } from '../constants/index.js';

/** The errno code of a failed fs call (`EACCES`, `ENOENT`, ...), or `EIO` when it has none. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/**
 * The entries of a folder with their types from the listing itself (no per-entry stat). Synchronous:
 * the audit runs in worker threads (or in-process for a tiny scope), where a blocking call costs
 * less than a round trip through libuv's pool.
 */
export function listDirectory(path: string): Dirent[] {
  return readdirSync(path, { withFileTypes: true });
}

/** Outcome of {@link readTextFile}. */
export type TextRead =
  { kind: 'text'; text: string } | { kind: 'binary' } | { kind: 'too_large' } | { kind: 'missing' } | { kind: 'failed'; code: string };

// The first read covers the §8.1.1 binary sniff and, for most text files, the whole file.
const CHUNK_BYTES = 2 * LIMITS.binarySniffBytes;
// O_NONBLOCK: a FIFO named like a text file must not block the walking thread (Windows has no such flag).
const OPEN_FLAGS = constants.O_RDONLY | ((constants as { O_NONBLOCK?: number }).O_NONBLOCK ?? 0);
const BINARY: TextRead = { kind: 'binary' };
const TOO_LARGE: TextRead = { kind: 'too_large' };
const MISSING: TextRead = { kind: 'missing' };
// The first-read buffer, reused: reads are synchronous, so one is ever in use.
const chunk = Buffer.allocUnsafe(CHUNK_BYTES);

// §8.1.1 binary rule: a NUL byte in the first 8 KiB.
function hasNul(bytes: Buffer, length: number): boolean {
  return bytes.subarray(0, Math.min(length, LIMITS.binarySniffBytes)).includes(0);
}

function failed(error: unknown): TextRead {
  return { kind: 'failed', code: errorCode(error) };
}

// The rest of a file that filled the first read: measured on the open handle, then read whole.
function readWhole(fd: number, first: number, maxBytes: number): TextRead {
  const size = fstatSync(fd).size;
  if (size > maxBytes) return TOO_LARGE;
  const whole = Buffer.allocUnsafe(Math.max(size, first));
  chunk.copy(whole, 0, 0, first);
  let filled = first;
  while (filled < whole.length) {
    const n = readSync(fd, whole, filled, whole.length - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return { kind: 'text', text: whole.toString('utf8', 0, filled) };
}

function readOpen(fd: number, maxBytes: number): TextRead {
  try {
    const first = readSync(fd, chunk, 0, CHUNK_BYTES, 0);
    if (hasNul(chunk, first)) return BINARY;
    if (first < CHUNK_BYTES) return first > maxBytes ? TOO_LARGE : { kind: 'text', text: chunk.toString('utf8', 0, first) };
    return readWhole(fd, first, maxBytes);
  } catch (error) {
    return failed(error);
  }
}

/**
 * Reads a file as UTF-8 text (invalid sequences become U+FFFD) when it is at most `maxBytes`
 * and has no NUL byte in its first 8 KiB. A small file costs one open, one read and one close;
 * only a file that fills the first read is measured, with fstat on the open handle. Never throws.
 */
export function readTextFile(path: string, maxBytes: number): TextRead {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? MISSING : { kind: 'failed', code };
  }
  try {
    return readOpen(fd, maxBytes);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // A failed close of a read-only descriptor loses nothing.
    }
  }
}
