import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
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
  options: { exclude?: readonly string[]; signal?: AbortSignal; onBytes?: (count: number) => void } = {},
): Promise<FolderCopyReport> {
  const excluded = new Set(options.exclude ?? []);
  const entries = await readdir(source, { recursive: true, withFileTypes: true });
  options.onBytes?.(0);
  const report: FolderCopyReport = { copied: 0, unchanged: 0 };
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const from = join(entry.parentPath, entry.name);
    const rel = relative(source, from);
    if (excluded.has(rel.split(sep, 1)[0] ?? '')) continue;
    options.signal?.throwIfAborted();
    const to = join(destination, rel);
    const original = await stat(from);
    if (await sameContent(from, original.size, to, options)) {
      report.unchanged += 1;
      options.onBytes?.(0);
      continue;
    }
    await mkdir(dirname(to), { recursive: true });
    const temporary = join(dirname(to), `.${entry.name}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    try {
      await copyStreamed(from, temporary, options.signal, options.onBytes);
      // As rsync -a and copyFile do: the copy keeps the file's permissions.
      await chmod(temporary, original.mode & 0o7777);
      await rename(temporary, to);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    report.copied += 1;
    options.onBytes?.(0);
  }
  return report;
}

/** Suffix of the temporary files a copy writes (never left behind on success). */
const TEMP_SUFFIX = '.exlab-copy';

async function sameContent(
  from: string,
  size: number,
  to: string,
  options: { signal?: AbortSignal; onBytes?: (count: number) => void },
): Promise<boolean> {
  const there = await stat(to).catch(() => null);
  if (there === null || !there.isFile() || there.size !== size) return false;
  const [x, y] = await Promise.all([sha256File(from, options.signal, options.onBytes), sha256File(to, options.signal, options.onBytes)]);
  return x === y;
}

/** Copies one file as a stream, so a large file on a slow share reports its progress. */
async function copyStreamed(from: string, to: string, signal?: AbortSignal, onBytes?: (count: number) => void): Promise<void> {
  const input = createReadStream(from);
  if (onBytes) input.on('data', (chunk: Buffer | string) => onBytes(chunk.length));
  await pipeline(input, createWriteStream(to, { flags: 'wx' }), signal ? { signal } : {});
}
