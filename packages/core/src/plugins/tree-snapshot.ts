/**
 * Snapshot of a run folder taken before a plugin runs (§6.1.5, requirements A11): what the
 * plugin changed, and restoring the paths plugins must not touch (README.md,
 * .exlab-answers.yml, anything under .exlab-wizard/).
 */
import { lstat, mkdir, readdir, readFile, rm, utimes } from 'node:fs/promises';
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

/**
 * Visits every file under `dir`. The entries of a folder are visited side by side (the visits
 * only stat and read), so a run of a few hundred small files costs a few fs round trips, not one
 * per file in a row.
 */
async function walk(root: string, dir: string, visit: (relativePath: string, absolute: string) => Promise<void>): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries.map((entry) => {
      const absolute = join(dir, entry.name);
      return entry.isDirectory() ? walk(root, absolute, visit) : visit(relativePosix(root, absolute), absolute);
    }),
  );
}

/** Records every file under `root`: size, mtime, and the bytes of small and forbidden files. */
export async function takeSnapshot(root: string): Promise<TreeSnapshot> {
  const files = new Map<string, FileState>();
  await walk(root, root, async (path, absolute) => {
    const stats = await lstat(absolute).catch(() => null);
    if (stats === null) return;
    const keepBytes = stats.isFile() && (stats.size <= PLUGIN_LIMITS.snapshotContentMaxBytes || isForbiddenPath(path));
    const content = keepBytes ? await readFile(absolute).catch(() => null) : null;
    files.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, mode: stats.mode, content });
  });
  return { root, files };
}

/** Paths created, changed or deleted since `snapshot`. */
export async function diffSnapshot(snapshot: TreeSnapshot): Promise<TreeChanges> {
  const changed = new Set<string>();
  const seen = new Set<string>();
  await walk(snapshot.root, snapshot.root, async (path, absolute) => {
    seen.add(path);
    const before = snapshot.files.get(path);
    if (before === undefined) {
      changed.add(path);
      return;
    }
    const stats = await lstat(absolute).catch(() => null);
    if (stats === null) return;
    if (stats.size !== before.size || stats.mtimeMs !== before.mtimeMs) {
      changed.add(path);
      return;
    }
    if (before.content !== null) {
      const now = await readFile(absolute).catch(() => null);
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
