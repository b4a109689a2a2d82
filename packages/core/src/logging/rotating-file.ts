import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CONFIG_DEFAULTS } from '../constants/index.js';

const MIB = 1024 * 1024;

/** Options of {@link RotatingFileSink}. */
export interface RotatingFileSinkOptions {
  /** The active log file, e.g. `<log dir>/app.log`; its directory is created when missing. */
  path: string;
  /** Rotate before a write would take the file past this size (default `central_log_max_mb`, 10 MiB). */
  maxBytes?: number | undefined;
  /** Rotated files kept as `<path>.1` (newest) to `<path>.<keep>` (default `central_log_keep`, 5). */
  keep?: number | undefined;
  /** Called once when the file cannot be opened or written; the sink then drops everything (L6). */
  onFailure?: ((error: unknown) => void) | undefined;
}

/**
 * The central app log sink (L5, §16.6): lines are queued and written in order by one background
 * drain, so a log call never waits on the disk (L6). Before a write would take the file past
 * `maxBytes` it is rotated to `<path>.1`, shifting older files up and dropping the one past `keep`.
 * It never throws: an unusable file is reported once through `onFailure` and later lines are dropped.
 */
export class RotatingFileSink {
  /** The active log file. */
  readonly path: string;
  /** Rotation threshold in bytes. */
  readonly maxBytes: number;
  /** Number of rotated files kept. */
  readonly keep: number;
  readonly #onFailure: ((error: unknown) => void) | undefined;
  #queue: string[] = [];
  #draining: Promise<void> | undefined;
  #handle: FileHandle | undefined;
  #size = 0;
  #failed = false;
  #closed = false;

  constructor(options: RotatingFileSinkOptions) {
    this.path = options.path;
    this.maxBytes = Math.max(1, options.maxBytes ?? CONFIG_DEFAULTS.logging.centralLogMaxMb * MIB);
    this.keep = Math.max(0, Math.floor(options.keep ?? CONFIG_DEFAULTS.logging.centralLogKeep));
    this.#onFailure = options.onFailure;
  }

  /** True once the file proved unusable; later lines are dropped. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Queues one line (a newline is appended); returns at once. Ignored after a failure or {@link close}. */
  write(line: string): void {
    if (this.#failed || this.#closed) return;
    this.#queue.push(`${line}\n`);
    this.#startDrain();
  }

  /** Resolves when every line queued so far is on disk (or dropped after a failure). */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /** Drains the queue and closes the file; later writes are ignored (clean quit, L6). */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  #startDrain(): void {
    if (this.#draining !== undefined || this.#failed) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // A line queued after the loop saw an empty queue but before this callback still gets written.
      if (this.#queue.length > 0) this.#startDrain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#failed) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#writeBatch(batch);
      } catch (error) {
        this.#fail(error);
      }
    }
  }

  async #writeBatch(lines: readonly string[]): Promise<void> {
    await this.#open();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.from(line, 'utf8');
      // Rotate before the write that would pass the limit; an empty file takes even an oversized line.
      if (this.#size + pendingBytes > 0 && this.#size + pendingBytes + bytes.length > this.maxBytes) {
        await this.#writeAll(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await this.#rotate();
      }
      pending.push(bytes);
      pendingBytes += bytes.length;
    }
    await this.#writeAll(pending, pendingBytes);
  }

  async #writeAll(chunks: readonly Buffer[], length: number): Promise<void> {
    if (length === 0) return;
    const handle = await this.#open();
    const data = Buffer.concat(chunks, length);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset);
      offset += bytesWritten;
    }
    this.#size += data.length;
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, 'a');
    this.#handle = handle;
    this.#size = (await handle.stat()).size;
    return handle;
  }

  async #rotate(): Promise<void> {
    // Closed first: Windows refuses to rename a file this process holds open.
    await this.#handle?.close();
    this.#handle = undefined;
    try {
      if (this.keep === 0) {
        await unlink(this.path);
      } else {
        await removeIfPresent(`${this.path}.${this.keep}`);
        for (let index = this.keep - 1; index >= 1; index -= 1) {
          await renameIfPresent(`${this.path}.${index}`, `${this.path}.${index + 1}`);
        }
        await rename(this.path, `${this.path}.1`);
      }
    } catch {
      // A reader holding a rotated file open (Windows) blocks the shift; keep appending to the
      // active file and try again at the next threshold rather than losing lines.
    }
    await this.#open();
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#queue = [];
    const handle = this.#handle;
    this.#handle = undefined;
    void handle?.close().catch(() => undefined);
    try {
      this.#onFailure?.(error);
    } catch {
      // The failure report itself must never crash the process (L6).
    }
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
