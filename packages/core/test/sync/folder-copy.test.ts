import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFolder } from '../../src/sync/index.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-folder-copy-'));
  await mkdir(join(root, 'src', 'deep'), { recursive: true });
  await mkdir(join(root, 'src', 'Runs', 'Run_1'), { recursive: true });
  await writeFile(join(root, 'src', 'a.txt'), 'alpha\n');
  await writeFile(join(root, 'src', 'deep', 'b.bin'), Buffer.from([0, 1, 2, 3]));
  await writeFile(join(root, 'src', 'Runs', 'Run_1', 'x.txt'), 'x\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('copyFolder (the mounted-share push without rsync)', () => {
  it('copies every file into the destination, creating folders, leaving excluded ones and no temporary files', async () => {
    const destination = join(root, 'nas', 'EQ', 'run');
    expect(await copyFolder(join(root, 'src'), destination, { exclude: ['Runs'] })).toEqual({ copied: 2, unchanged: 0 });
    expect(await readFile(join(destination, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect([...(await readFile(join(destination, 'deep', 'b.bin')))]).toEqual([0, 1, 2, 3]);
    expect((await readdir(destination)).sort()).toEqual(['a.txt', 'deep']);
  });

  it('leaves identical files alone and replaces a changed one whole, deleting nothing', async () => {
    const destination = join(root, 'nas');
    await copyFolder(join(root, 'src'), destination);
    const before = await stat(join(destination, 'a.txt'));
    await writeFile(join(destination, 'deep', 'b.bin'), 'corrupt');
    await writeFile(join(destination, 'extra.txt'), 'only on the NAS\n');
    expect(await copyFolder(join(root, 'src'), destination)).toEqual({ copied: 1, unchanged: 2 });
    expect((await stat(join(destination, 'a.txt'))).ino).toBe(before.ino);
    expect([...(await readFile(join(destination, 'deep', 'b.bin')))]).toEqual([0, 1, 2, 3]);
    expect(await readFile(join(destination, 'extra.txt'), 'utf8')).toBe('only on the NAS\n');
  });
});
