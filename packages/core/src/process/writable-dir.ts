import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ExLabError } from '../errors/index.js';
import { errnoCode } from './errno.js';

/**
 * Creates `dir` (and its parents) with `mode` when missing and proves it writable by creating
 * and deleting a probe file (lifecycle.md T1, P2). An existing directory keeps its mode. Any
 * failure, including `dir` being a regular file, is `state_dir_unwritable` naming the directory
 * and the OS error.
 */
export async function ensureWritableDir(dir: string, mode = 0o700): Promise<void> {
  const probe = join(dir, `.exlab-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true, mode });
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.writeFile('probe\n');
    } finally {
      await handle.close();
    }
    await unlink(probe);
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ExLabError('state_dir_unwritable', `Cannot write to the state directory ${dir}: ${reason}`, {
      details: { dir, os_error: errnoCode(error) ?? null },
      cause: error,
    });
  }
}
