import { chmod, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runShareOp, scanFolder, shareFailureKind, ShareOpError } from '../../src/sync/index.js';

let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'exlab-share-ops-')));
  await mkdir(join(root, 'run', 'data'), { recursive: true });
  await mkdir(join(root, 'run', '.exlab-wizard'), { recursive: true });
  await mkdir(join(root, 'run', 'Runs', 'Run_1'), { recursive: true });
  await writeFile(join(root, 'run', 'README.md'), '# Run\n');
  await writeFile(join(root, 'run', 'data', 'plate 01.csv'), 'well,value\nA1,0.42\n');
  await writeFile(join(root, 'run', 'data', 'odd\\name.txt'), 'backslash\n');
  await writeFile(join(root, 'run', '.exlab-wizard', 'creation.json'), '{}\n');
  await writeFile(join(root, 'run', 'Runs', 'Run_1', 'x.txt'), 'x\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A program that stands in for node and hangs as a dead share would: it stops itself, recording its pid. */
async function hangingNode(): Promise<{ node: string; pidFile: string }> {
  const pidFile = join(root, 'hung.pid');
  const node = join(root, 'hanging-node');
  await writeFile(node, `#!/bin/sh\necho $$ > '${pidFile}'\nkill -STOP $$\nexec '${process.execPath}' "$@"\n`);
  await chmod(node, 0o755);
  return { node, pidFile };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('share operations run in a share process (mounted NAS share)', () => {
  it('hashes a folder as scanFolder does, honouring skipped folders and the cache folder', async () => {
    const answer = await runShareOp({ op: 'hash', root: join(root, 'run'), skip: ['Runs'], includeCache: false });
    const expected = (await scanFolder(join(root, 'run'), { skip: ['Runs'] })).digests;
    expect(new Map(answer.digests)).toEqual(expected);
    expect(answer.digests.map(([path]) => path).sort()).toEqual(['README.md', 'data/odd\\name.txt', 'data/plate 01.csv']);
    const withCache = await runShareOp({ op: 'hash', root: join(root, 'run'), skip: [], includeCache: true });
    expect(withCache.digests.map(([path]) => path)).toEqual(expect.arrayContaining(['.exlab-wizard/creation.json', 'Runs/Run_1/x.txt']));
  });

  it('answers no files for a folder that is not there', async () => {
    expect(await runShareOp({ op: 'hash', root: join(root, 'nas', 'missing'), skip: [], includeCache: false })).toEqual({
      op: 'hash',
      digests: [],
    });
  });

  it('copies a folder onto the share, leaving excluded folders and no temporary files', async () => {
    const destination = join(root, 'nas', 'EQ', 'run');
    const report = await runShareOp({ op: 'copy', source: join(root, 'run'), destination, exclude: ['Runs'] });
    expect(report).toEqual({ op: 'copy', copied: 4, unchanged: 0 });
    expect(await readFile(join(destination, 'data', 'plate 01.csv'), 'utf8')).toBe('well,value\nA1,0.42\n');
    expect((await readdir(destination)).sort()).toEqual(['.exlab-wizard', 'README.md', 'data']);
    expect(await runShareOp({ op: 'copy', source: join(root, 'run'), destination, exclude: ['Runs'] })).toEqual({
      op: 'copy',
      copied: 0,
      unchanged: 4,
    });
  });

  it('probes a path: where it really is, whether it is an empty folder, and its device', async () => {
    await mkdir(join(root, 'empty'));
    const probe = await runShareOp({ op: 'probe', path: join(root, 'empty'), checkEmpty: true });
    expect(probe).toEqual({ op: 'probe', real: join(root, 'empty'), directory: true, empty: true, dev: (await stat(root)).dev });
    expect(await runShareOp({ op: 'probe', path: join(root, 'empty'), checkEmpty: false })).toMatchObject({ directory: true, empty: null });
    expect(await runShareOp({ op: 'probe', path: join(root, 'run', 'README.md'), checkEmpty: true })).toMatchObject({
      directory: false,
      empty: null,
    });
    expect(await runShareOp({ op: 'probe', path: join(root, 'absent'), checkEmpty: true })).toEqual({
      op: 'probe',
      real: null,
      directory: false,
      empty: null,
      dev: null,
    });
  });

  it('reports the OS error of a failed operation with its code, as a retryable failure', async () => {
    await writeFile(join(root, 'nas-file'), 'not a folder\n');
    const error = await runShareOp({
      op: 'copy',
      source: join(root, 'run'),
      destination: join(root, 'nas-file', 'run'),
      exclude: [],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShareOpError);
    expect((error as ShareOpError).code).toBe('ENOTDIR');
    expect((error as ShareOpError).message).toContain('nas-file');
    expect(shareFailureKind(error as ShareOpError, 'copy')).toBe('network');
    expect(shareFailureKind(new ShareOpError('EROFS', 'read-only file system'), 'copy')).toBe('auth');
    // A read refused while hashing is retried (a Kerberos ticket of the mount may come back).
    expect(shareFailureKind(new ShareOpError('EACCES', 'permission denied'), 'hash')).toBe('network');
    const missing = await runShareOp({ op: 'probe', path: root, checkEmpty: false }, { node: join(root, 'no-such-node') }).catch(
      (e: unknown) => e,
    );
    expect((missing as ShareOpError).code).toBe('ESHARESPAWN');
    expect(shareFailureKind(missing as ShareOpError, 'probe')).toBe('transport_unavailable');
  });

  it('stops a share process that shows no progress (a hung share) and says so', async () => {
    const { node, pidFile } = await hangingNode();
    const error = await runShareOp({ op: 'hash', root: join(root, 'run'), skip: [], includeCache: false }, { node, stallMs: 1_500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShareOpError);
    expect((error as ShareOpError).code).toBe('ESTALLED');
    expect((error as ShareOpError).message).toContain(`${join(root, 'run')} showed no progress`);
    expect(alive(Number((await readFile(pidFile, 'utf8')).trim()))).toBe(false);
  });

  it('stops the share process when aborted', async () => {
    const { node, pidFile } = await hangingNode();
    const controller = new AbortController();
    const running = runShareOp({ op: 'probe', path: root, checkEmpty: true }, { node, signal: controller.signal });
    for (;;) {
      const pid = await readFile(pidFile, 'utf8').catch(() => '');
      if (pid.trim() !== '') break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort(new Error('stopping'));
    await expect(running).rejects.toThrow('stopping');
    expect(alive(Number((await readFile(pidFile, 'utf8')).trim()))).toBe(false);
  });
  it('keeps the permissions of the files it copies', async () => {
    await chmod(join(root, 'run', 'README.md'), 0o750);
    const destination = join(root, 'nas', 'run');
    await runShareOp({ op: 'copy', source: join(root, 'run'), destination, exclude: [] });
    expect((await stat(join(destination, 'README.md'))).mode & 0o777).toBe(0o750);
  });

  it('removes its temporary file when stopped in the middle of a copy', async () => {
    // A 2 GiB sparse file: reading it costs no disk, and its copy takes long enough to be stopped half-way.
    const source = join(root, 'endless');
    await mkdir(source);
    await writeFile(join(source, 'big.bin'), '');
    await truncate(join(source, 'big.bin'), 2 * 1024 ** 3);
    const destination = join(root, 'nas', 'endless');
    const controller = new AbortController();
    const copying = runShareOp({ op: 'copy', source, destination, exclude: [] }, { signal: controller.signal });
    try {
      // The temporary file appears and grows: the copy is under way.
      for (;;) {
        const names = await readdir(destination).catch(() => [] as string[]);
        const partial = names.find((name) => name.endsWith('.exlab-copy'));
        if (partial !== undefined && (await stat(join(destination, partial))).size > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      controller.abort(new Error('quit'));
      await expect(copying).rejects.toThrow('quit');
      expect(await readdir(destination)).toEqual([]);
    } finally {
      await rm(destination, { recursive: true, force: true });
    }
  });
});
