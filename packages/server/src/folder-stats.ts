import { existsSync, stat } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * What a stat of a folder gave: its identity and timestamps, or the code of the error; a path
 * with no folder (ENOENT, or ENOTDIR when a parent is a file) is `ENOENT` either way.
 */
export type FolderStat = { dev: number; ino: number; mode: number; mtimeMs: number; ctimeMs: number } | { code: string };

/** The numbers the worker answers per path (see tree-stat-worker.ts). */
const FIELDS = 5;

/** Idle workers stop after this long, so a server nobody browses does not keep a thread. */
const WORKER_IDLE_MS = 60_000;

/** After this many workers in a row died, folders are stat'ed in-process for good. */
const MAX_WORKER_FAILURES = 3;

/** What the worker answers. */
interface FolderStatResponse {
  id: number;
  values: Float64Array;
  failures: [number, string][];
}

/** Stats folders on the main thread through libuv's pool, side by side: the fallback when no worker runs. */
export function statInProcess(paths: readonly string[]): Promise<FolderStat[]> {
  const results = new Array<FolderStat>(paths.length);
  if (paths.length === 0) return Promise.resolve(results);
  return new Promise((resolve) => {
    let pending = paths.length;
    paths.forEach((path, index) => {
      stat(path, (error, stats) => {
        results[index] =
          error === null
            ? { dev: stats.dev, ino: stats.ino, mode: stats.mode, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs }
            : { code: error.code === 'ENOTDIR' ? 'ENOENT' : (error.code ?? error.message) };
        pending -= 1;
        if (pending === 0) resolve(results);
      });
    });
  });
}

/** The worker entry beside this module: `.ts` next to the sources, `.js` next to the build; null when missing. */
function workerEntry(): URL | null {
  const here = import.meta.url;
  if (!here.startsWith('file:')) return null;
  const url = new URL(here.endsWith('.ts') ? './tree-stat-worker.ts' : './tree-stat-worker.js', here);
  return existsSync(fileURLToPath(url)) ? url : null;
}

function decode(response: FolderStatResponse, count: number): FolderStat[] {
  const results = new Array<FolderStat>(count);
  const { values } = response;
  for (let index = 0; index < count; index += 1) {
    const at = index * FIELDS;
    results[index] = {
      dev: values[at] ?? 0,
      ino: values[at + 1] ?? 0,
      mode: values[at + 2] ?? 0,
      mtimeMs: values[at + 3] ?? 0,
      ctimeMs: values[at + 4] ?? 0,
    };
  }
  for (const [index, code] of response.failures) results[index] = { code };
  return results;
}

/**
 * Stats lists of folders (synchronously, one system call each) in a worker thread: the thousand
 * stats of a `/tree` check on a 10k-run lab cost the main thread one message instead of a
 * thread-pool round trip each, and a folder on a hung network mount blocks the worker, not the
 * server. The worker starts on first use, keeps the last path list (a repeated list is not sent
 * again), and stops when idle; if it cannot run, folders are stat'ed in-process instead.
 */
export class FolderStats {
  #worker: Worker | null = null;
  /** The path list the worker holds. */
  #sent: readonly string[] | null = null;
  readonly #pending = new Map<number, { paths: readonly string[]; resolve: (stats: Promise<FolderStat[]> | FolderStat[]) => void }>();
  #nextId = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  /** The stat of every path, in order. */
  stat(paths: readonly string[]): Promise<FolderStat[]> {
    if (paths.length === 0) return Promise.resolve([]);
    const worker = this.#running();
    if (worker === null) return statInProcess(paths);
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    worker.ref();
    const id = this.#nextId;
    this.#nextId += 1;
    const fresh = paths !== this.#sent;
    this.#sent = paths;
    return new Promise((resolve) => {
      this.#pending.set(id, { paths, resolve });
      worker.postMessage({ id, paths: fresh ? paths : null });
    });
  }

  /** Stops the worker; later calls stat in-process. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    this.#worker = null;
    this.#fallBack();
    await worker?.terminate();
  }

  #running(): Worker | null {
    if (this.#worker !== null) return this.#worker;
    if (this.#closed || this.#failures >= MAX_WORKER_FAILURES) return null;
    const entry = workerEntry();
    if (entry === null) return null;
    const worker = new Worker(entry);
    worker.unref();
    worker.on('message', (response: FolderStatResponse) => {
      const job = this.#pending.get(response.id);
      if (job === undefined) return;
      this.#pending.delete(response.id);
      this.#failures = 0;
      job.resolve(decode(response, job.paths.length));
      this.#settle(worker);
    });
    const die = (): void => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#sent = null;
      this.#failures += 1;
      this.#fallBack();
    };
    worker.on('error', die);
    worker.on('exit', die);
    this.#worker = worker;
    this.#sent = null;
    return worker;
  }

  /** Answers every pending request in-process (the worker stopped before answering). */
  #fallBack(): void {
    for (const job of this.#pending.values()) job.resolve(statInProcess(job.paths));
    this.#pending.clear();
  }

  #settle(worker: Worker): void {
    if (this.#pending.size > 0) return;
    worker.unref();
    this.#idleTimer = setTimeout(() => {
      if (this.#worker !== worker || this.#pending.size > 0) return;
      this.#worker = null;
      this.#sent = null;
      void worker.terminate();
    }, WORKER_IDLE_MS);
    this.#idleTimer.unref();
  }
}
