import { close, constants, fstat, open, read, readdir, type Dirent } from 'node:fs';
import { LIMITS } from '../constants/index.js';

/** The errno code of a failed fs call (`EACCES`, `ENOENT`, ...), or `EIO` when it has none. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** The entries of a folder with their types from the listing itself (no per-entry stat). */
export function listDirectory(path: string): Promise<Dirent[]> {
  return new Promise((resolve, reject) => {
    readdir(path, { withFileTypes: true }, (error, entries) => (error ? reject(error) : resolve(entries)));
  });
}

/** Outcome of {@link readTextFile}. */
export type TextRead =
  { kind: 'text'; text: string } | { kind: 'binary' } | { kind: 'too_large' } | { kind: 'missing' } | { kind: 'failed'; code: string };

// The first read covers the §8.1.1 binary sniff and, for most text files, the whole file.
const CHUNK_BYTES = 2 * LIMITS.binarySniffBytes;
// O_NONBLOCK: a FIFO named like a text file must not block a pool thread (Windows has no such flag).
const OPEN_FLAGS = constants.O_RDONLY | ((constants as { O_NONBLOCK?: number }).O_NONBLOCK ?? 0);
const BINARY: TextRead = { kind: 'binary' };
const TOO_LARGE: TextRead = { kind: 'too_large' };
const MISSING: TextRead = { kind: 'missing' };
// First-read buffers, reused: at most one per read in flight.
const spareChunks: Buffer[] = [];

function ignoreCloseError(): void {
  // A failed close of a read-only descriptor loses nothing.
}

// §8.1.1 binary rule: a NUL byte in the first 8 KiB.
function hasNul(bytes: Buffer, length: number): boolean {
  return bytes.subarray(0, Math.min(length, LIMITS.binarySniffBytes)).includes(0);
}

function failed(error: unknown): TextRead {
  return { kind: 'failed', code: errorCode(error) };
}

// The rest of a file that filled the first read: measured on the open handle, then read whole.
function readWhole(fd: number, chunk: Buffer, first: number, maxBytes: number, done: (result: TextRead) => void): void {
  fstat(fd, (statError, stats) => {
    if (statError) return done(failed(statError));
    if (stats.size > maxBytes) return done(TOO_LARGE);
    const whole = Buffer.allocUnsafe(Math.max(stats.size, first));
    chunk.copy(whole, 0, 0, first);
    const next = (filled: number): void => {
      if (filled >= whole.length) return done({ kind: 'text', text: whole.toString('utf8', 0, filled) });
      read(fd, whole, filled, whole.length - filled, filled, (readError, n) => {
        if (readError) return done(failed(readError));
        if (n === 0) return done({ kind: 'text', text: whole.toString('utf8', 0, filled) });
        next(filled + n);
      });
    };
    next(first);
  });
}

/**
 * Reads a file as UTF-8 text (invalid sequences become U+FFFD) when it is at most `maxBytes`
 * and has no NUL byte in its first 8 KiB. A small file costs one open, one read and one close;
 * only a file that fills the first read is measured, with fstat on the open handle. Never rejects.
 */
export function readTextFile(path: string, maxBytes: number): Promise<TextRead> {
  return new Promise((resolve) => {
    open(path, OPEN_FLAGS, (openError, fd) => {
      if (openError) {
        const code = errorCode(openError);
        resolve(code === 'ENOENT' || code === 'ENOTDIR' ? MISSING : { kind: 'failed', code });
        return;
      }
      const chunk = spareChunks.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
      const done = (result: TextRead): void => {
        spareChunks.push(chunk);
        close(fd, ignoreCloseError);
        resolve(result);
      };
      read(fd, chunk, 0, CHUNK_BYTES, 0, (readError, first) => {
        if (readError) return done(failed(readError));
        if (hasNul(chunk, first)) return done(BINARY);
        if (first < CHUNK_BYTES) return done(first > maxBytes ? TOO_LARGE : { kind: 'text', text: chunk.toString('utf8', 0, first) });
        readWhole(fd, chunk, first, maxBytes, done);
      });
    });
  });
}
