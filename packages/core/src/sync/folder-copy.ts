import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { sha256File } from './manifest.js';

/** What {@link copyFolder} did. */
export interface FolderCopyReport {
  copied: number;
  /** Files already there with the same content. */
  unchanged: number;
}

/**
 * Copies the files of `source` into `destination` the way `rsync -a --checksum` would for a
 * mounted share, for machines without rsync (Windows, a bare workstation): a file already there
 * with the same size and SHA-256 is left alone; any other is copied to a temporary name beside
 * its target and renamed over it, so the share never holds a half-written file. Nothing is
 * deleted. Top-level folders in `exclude` are left out.
 */
export async function copyFolder(
  source: string,
  destination: string,
  options: { exclude?: readonly string[]; signal?: AbortSignal } = {},
): Promise<FolderCopyReport> {
  const excluded = new Set(options.exclude ?? []);
  const entries = await readdir(source, { recursive: true, withFileTypes: true });
  const report: FolderCopyReport = { copied: 0, unchanged: 0 };
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const from = join(entry.parentPath, entry.name);
    const rel = relative(source, from);
    if (excluded.has(rel.split(sep, 1)[0] ?? '')) continue;
    options.signal?.throwIfAborted();
    const to = join(destination, rel);
    if (await sameContent(from, to)) {
      report.unchanged += 1;
      continue;
    }
    await mkdir(dirname(to), { recursive: true });
    const temporary = join(dirname(to), `.${entry.name}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    try {
      await copyFile(from, temporary);
      await rename(temporary, to);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    report.copied += 1;
  }
  return report;
}

/** Suffix of the temporary files a copy writes (never left behind on success). */
const TEMP_SUFFIX = '.exlab-copy';

async function sameContent(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([stat(a), stat(b).catch(() => null)]);
  if (right === null || !right.isFile() || right.size !== left.size) return false;
  const [x, y] = await Promise.all([sha256File(a), sha256File(b)]);
  return x === y;
}
