import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInside, resolveInsideRoots } from '@exlab/core/paths';

describe('isInside', () => {
  it('counts the root itself and anything below it as inside', () => {
    expect(isInside('/data/lab', '/data/lab')).toBe(true);
    expect(isInside('/data/lab', '/data/lab/')).toBe(true);
    expect(isInside('/data/lab', '/data/lab/CONFOCAL_01/P/Runs')).toBe(true);
  });

  it('resolves .. before deciding', () => {
    expect(isInside('/data/lab', '/data/lab/a/../b')).toBe(true);
    expect(isInside('/data/lab', '/data/lab/../other')).toBe(false);
    expect(isInside('/data/lab', '/data/lab/a/../../lab/b')).toBe(true);
    expect(isInside('/data/lab', '/data/lab/..')).toBe(false);
  });

  it('refuses a sibling whose name starts with the root name', () => {
    expect(isInside('/data/lab', '/data/lab2')).toBe(false);
    expect(isInside('/data/lab', '/data/lab-archive/x')).toBe(false);
  });

  it('counts a child whose name starts with two dots as inside', () => {
    expect(isInside('/data/lab', '/data/lab/..hidden')).toBe(true);
    expect(isInside('/data/lab', '/data/lab/...')).toBe(true);
  });

  it('refuses the parent and unrelated paths', () => {
    expect(isInside('/data/lab', '/data')).toBe(false);
    expect(isInside('/data/lab', '/')).toBe(false);
    expect(isInside('/data/lab', '/etc/passwd')).toBe(false);
  });
});

describe('resolveInsideRoots', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'exlab-inside-')));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(join(root, 'CONFOCAL_01', 'Runs'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await writeFile(join(root, 'CONFOCAL_01', 'Runs', 'data.txt'), 'data');
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('returns the real path of a file inside a root', async () => {
    expect(await resolveInsideRoots([root], join(root, 'CONFOCAL_01', 'Runs', 'data.txt'))).toBe(
      join(root, 'CONFOCAL_01', 'Runs', 'data.txt'),
    );
  });

  it('returns the real path of a .. path that stays inside', async () => {
    expect(await resolveInsideRoots([root], join(root, 'CONFOCAL_01', 'Runs', '..', 'Runs'))).toBe(join(root, 'CONFOCAL_01', 'Runs'));
  });

  it('returns null for a .. path that leaves the root', async () => {
    expect(await resolveInsideRoots([root], join(root, '..', 'outside', 'secret.txt'))).toBeNull();
  });

  it('returns null for a symlink inside the root that points outside it', async () => {
    await symlink(outside, join(root, 'escape'), 'dir');
    expect(await resolveInsideRoots([root], join(root, 'escape', 'secret.txt'))).toBeNull();
    expect(await resolveInsideRoots([root], join(root, 'escape'))).toBeNull();
  });

  it('follows a symlink that stays inside the root to its target', async () => {
    await symlink(join(root, 'CONFOCAL_01'), join(root, 'alias'), 'dir');
    expect(await resolveInsideRoots([root], join(root, 'alias', 'Runs', 'data.txt'))).toBe(join(root, 'CONFOCAL_01', 'Runs', 'data.txt'));
  });

  it('accepts a path reached through a root that is itself a symlink', async () => {
    const rootAlias = join(base, 'root-alias');
    await symlink(root, rootAlias, 'dir');
    expect(await resolveInsideRoots([rootAlias], join(root, 'CONFOCAL_01'))).toBe(join(root, 'CONFOCAL_01'));
  });

  it('tries every root and accepts a match in any of them', async () => {
    expect(await resolveInsideRoots([root, outside], join(outside, 'secret.txt'))).toBe(join(outside, 'secret.txt'));
    expect(await resolveInsideRoots([], join(outside, 'secret.txt'))).toBeNull();
  });

  it('fails with ENOENT for a path that does not exist', async () => {
    await expect(resolveInsideRoots([root], join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
