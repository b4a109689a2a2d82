import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExLabError } from '../../src/errors/index.js';
import { ensureWritableDir } from '../../src/process/index.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-state-dir-'));
});

afterEach(async () => {
  await chmod(root, 0o700).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function expectUnwritable(dir: string): Promise<ExLabError> {
  const error = await ensureWritableDir(dir).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExLabError);
  expect(error).toMatchObject({ code: 'state_dir_unwritable', details: { dir } });
  expect((error as ExLabError).message).toContain(dir);
  return error as ExLabError;
}

const isRoot = process.getuid?.() === 0;

describe('ensureWritableDir', () => {
  it('creates a missing nested directory with mode 0700 and leaves no probe file', async () => {
    const dir = join(root, 'a', 'b', 'state');
    await ensureWritableDir(dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    if (process.platform !== 'win32') expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts an existing writable directory and keeps its contents', async () => {
    await writeFile(join(root, 'server.json'), '{}');
    await ensureWritableDir(root);
    expect(await readdir(root)).toEqual(['server.json']);
  });

  it('fails with state_dir_unwritable, naming the OS error, when the path is a regular file', async () => {
    const file = join(root, 'state');
    await writeFile(file, 'not a directory');
    const error = await expectUnwritable(file);
    expect(error.details?.os_error).toMatch(/^E[A-Z]+$/);
    expect(error.message).toMatch(/E[A-Z]+/);
  });

  it('fails with state_dir_unwritable when a parent is a regular file', async () => {
    await writeFile(join(root, 'file'), 'x');
    await expectUnwritable(join(root, 'file', 'state'));
  });

  it.skipIf(process.platform === 'win32' || isRoot)('fails with state_dir_unwritable for a read-only (0500) directory', async () => {
    const dir = join(root, 'readonly');
    await mkdir(dir, { mode: 0o500 });
    await chmod(dir, 0o500);
    const error = await expectUnwritable(dir);
    expect(error.details?.os_error).toBe('EACCES');
  });
});
