/**
 * Snapshot of a run folder taken before a plugin runs (§6.1.5, requirements A11): what the
 * plugin changed, and restoring the paths plugins must not touch (README.md,
 * .exlab-answers.yml, anything under .exlab-wizard/).
 */
import { lstatSync, readdirSync, readFileSync, type Dirent, type Stats } from 'node:fs';
import { mkdir, rm, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { FILE_NAMES, PLUGIN_LIMITS } from '../constants/index.js';
import { writeFileAtomic } from '../io/index.js';

/** One file as it was. */
interface FileState {
  size: number;
  mtimeMs: number;
  mode: number;
  /** Bytes, for small files and for every forbidden path. */
  content: Buffer | null;
}

/** The state of every file under a folder, keyed by POSIX path relative to it. */
export interface TreeSnapshot {
  root: string;
  files: Map<string, FileState>;
}

/** The difference between a snapshot and the folder now. */
export interface TreeChanges {
  /** Created, changed or deleted paths, sorted. */
  changed: string[];
  /** The subset of `changed` that plugins must not touch, sorted. */
  violations: string[];
}

/** True for the control surface plugins must not touch (§6.1.5): exact README.md and answers file, anything in .exlab-wizard/. */
export function isForbiddenPath(relativePath: string): boolean {
  const path = relativePath.split(sep).join('/');
  return (
    path === FILE_NAMES.readme || path === FILE_NAMES.answers || path === FILE_NAMES.cacheDir || path.startsWith(`${FILE_NAMES.cacheDir}/`)
  );
}

/** POSIX path of `path` relative to `root`. */
export function relativePosix(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** Longest stretch of synchronous file-system work before the walk lets the event loop run. */
const WALK_SLICE_MS = 4;

/** Lets timers and I/O callbacks of the host run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolveYield) => setImmediate(resolveYield));
}

/**
 * Visits every file under `root` (anything that is not a folder, symlinks included, as lstat
 * sees it). The walk stats and reads with synchronous calls, which cost a few microseconds each
 * on a local disk where each promise-based call costs a thread-pool round trip and its promise,
 * and it yields to the event loop every few milliseconds so that a large tree or a slow disk does
 * not stall the host. It starts after a yield: the caller's synchronous work (spawning the
 * worker the snapshot runs beside) goes first.
 */
async function walk(root: string, visit: (relativePath: string, absolute: string) => void): Promise<void> {
  const folders = [root];
  await yieldToEventLoop();
  let sliceStart = performance.now();
  while (folders.length > 0) {
    const dir = folders.pop() as string;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) folders.push(absolute);
      else visit(relativePosix(root, absolute), absolute);
      if (performance.now() - sliceStart >= WALK_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
  }
}

/** lstat, or null when the path is gone or unreadable. */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** The bytes of a file, or null when it cannot be read. */
function bytesOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** Records every file under `root`: size, mtime, and the bytes of small and forbidden files. */
export async function takeSnapshot(root: string): Promise<TreeSnapshot> {
  const files = new Map<string, FileState>();
  await walk(root, (path, absolute) => {
    const stats = lstatOrNull(absolute);
    if (stats === null) return;
    const keepBytes = stats.isFile() && (stats.size <= PLUGIN_LIMITS.snapshotContentMaxBytes || isForbiddenPath(path));
    const content = keepBytes ? bytesOrNull(absolute) : null;
    files.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, mode: stats.mode, content });
  });
  return { root, files };
}

/** Paths created, changed or deleted since `snapshot`. */
export async function diffSnapshot(snapshot: TreeSnapshot): Promise<TreeChanges> {
  const changed = new Set<string>();
  const seen = new Set<string>();
  await walk(snapshot.root, (path, absolute) => {
    seen.add(path);
    const before = snapshot.files.get(path);
    if (before === undefined) {
      changed.add(path);
      return;
    }
    const stats = lstatOrNull(absolute);
    if (stats === null) return;
    if (stats.size !== before.size || stats.mtimeMs !== before.mtimeMs) {
      changed.add(path);
      return;
    }
    if (before.content !== null) {
      const now = bytesOrNull(absolute);
      if (now === null || !now.equals(before.content)) changed.add(path);
    }
  });
  for (const path of snapshot.files.keys()) if (!seen.has(path)) changed.add(path);
  const sorted = [...changed].sort();
  return { changed: sorted, violations: sorted.filter(isForbiddenPath) };
}

/**
 * Puts `paths` back as the snapshot had them: new files are deleted, kept bytes rewritten.
 * Returns the paths that could not be restored (changed files too large to have been kept).
 */
export async function restoreFromSnapshot(snapshot: TreeSnapshot, paths: readonly string[]): Promise<string[]> {
  const unrestorable: string[] = [];
  for (const path of paths) {
    const absolute = join(snapshot.root, ...path.split('/'));
    const before = snapshot.files.get(path);
    if (before === undefined) {
      await rm(absolute, { recursive: true, force: true });
      continue;
    }
    if (before.content === null) {
      unrestorable.push(path);
      continue;
    }
    await rm(absolute, { recursive: true, force: true }).catch(() => undefined);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFileAtomic(absolute, before.content, { mode: before.mode & 0o7777 });
    await utimes(absolute, new Date(), new Date(before.mtimeMs)).catch(() => undefined);
  }
  return unrestorable;
}
