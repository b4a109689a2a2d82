import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILE_NAMES } from '../../src/constants/index.js';
import { ExLabError } from '../../src/errors/index.js';
import {
  acquireInstanceLock,
  currentProcessStartToken,
  readLockInfo,
  readProcessStartToken,
  type LockInfo,
} from '../../src/process/index.js';
import { exited, killAllChildren, lineReader, PACKAGE_ROOT, pidOf, spawnSleeper, spawnTracked } from './child-processes.js';

const CONTENDER = join(PACKAGE_ROOT, 'test', 'process', 'fixtures', 'acquire-lock.ts');

let dir: string;
let lockPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-lock-'));
  lockPath = join(dir, FILE_NAMES.trayLock);
});

afterEach(async () => {
  await killAllChildren();
  await rm(dir, { recursive: true, force: true });
});

function lockText(info: LockInfo): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}

/** A lock as left behind by a process that has since exited. */
async function writeDeadHoldersLock(): Promise<LockInfo> {
  const child = spawnSleeper();
  const pid = pidOf(child);
  const pidStart = await readProcessStartToken(pid);
  child.stdin?.end();
  await exited(child);
  const info: LockInfo = { pid, pid_start: pidStart, started_at: '2026-01-01T00:00:00Z', instance_id: 'dead-instance' };
  await writeFile(lockPath, lockText(info));
  return info;
}

async function expectOnlyTheLock(): Promise<void> {
  expect(await readdir(dir)).toEqual([FILE_NAMES.trayLock]);
}

async function rejection(promise: Promise<unknown>): Promise<ExLabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('acquireInstanceLock', () => {
  it('writes pid, pid_start, started_at and instance_id with mode 0600', async () => {
    const lock = await acquireInstanceLock(lockPath, { instanceId: 'inst-a', now: () => new Date('2026-04-17T14:32:00.250Z') });
    const onDisk: unknown = JSON.parse(await readFile(lockPath, 'utf8'));
    expect(onDisk).toEqual({
      pid: process.pid,
      pid_start: await currentProcessStartToken(),
      started_at: '2026-04-17T14:32:00Z',
      instance_id: 'inst-a',
    });
    expect(lock.info).toEqual(onDisk);
    expect(await readLockInfo(lockPath)).toEqual(onDisk);
    if (process.platform !== 'win32') expect((await stat(lockPath)).mode & 0o777).toBe(0o600);
    await expectOnlyTheLock();
  });

  it('refuses a second acquire while the holder is alive, naming its pid and leaving the file byte-identical', async () => {
    await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    const before = await readFile(lockPath);

    const error = await rejection(acquireInstanceLock(lockPath, { instanceId: 'inst-b' }));
    expect(error.code).toBe('already_running');
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.details?.holder).toMatchObject({ pid: process.pid, instance_id: 'inst-a' });

    expect(await readFile(lockPath)).toEqual(before);
    await expectOnlyTheLock();
  });

  it('respects a lock held by another live process with a matching start token', async () => {
    const child = spawnSleeper();
    const pid = pidOf(child);
    const text = lockText({ pid, pid_start: await readProcessStartToken(pid), started_at: '2026-01-01T00:00:00Z', instance_id: 'other' });
    await writeFile(lockPath, text);

    const error = await rejection(acquireInstanceLock(lockPath, { instanceId: 'inst-a' }));
    expect(error.code).toBe('already_running');
    expect(error.message).toContain(`pid ${pid}`);
    expect(await readFile(lockPath, 'utf8')).toBe(text);
  });

  it('takes over a stale lock whose holder has exited', async () => {
    await writeDeadHoldersLock();
    const lock = await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    expect(lock.info.pid).toBe(process.pid);
    expect(await readLockInfo(lockPath)).toMatchObject({ pid: process.pid, instance_id: 'inst-a' });
    await expectOnlyTheLock();
  });

  it('takes over a lock whose pid is alive but has a different start token (pid reuse), without touching that process', async () => {
    const child = spawnSleeper();
    const pid = pidOf(child);
    await writeFile(lockPath, lockText({ pid, pid_start: 'another-boot:1', started_at: '2026-01-01T00:00:00Z', instance_id: 'old' }));

    await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    expect(await readLockInfo(lockPath)).toMatchObject({ pid: process.pid, instance_id: 'inst-a' });
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
  });

  it.each([
    ['garbage', 'not json {'],
    ['an empty file', ''],
    ['JSON that is not a lock', '{"hello": 1}\n'],
  ])('takes over %s', async (_label, content) => {
    await writeFile(lockPath, content);
    await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    expect(await readLockInfo(lockPath)).toMatchObject({ pid: process.pid, instance_id: 'inst-a' });
    await expectOnlyTheLock();
  });

  it('lets exactly one of 8 concurrent starters take over a stale lock', async () => {
    await writeDeadHoldersLock();
    const contenders = Array.from({ length: 8 }, (_, i) =>
      spawnTracked(process.execPath, ['--import', 'tsx', '--conditions=@exlab/source', CONTENDER, lockPath, `contender-${i}`], {
        cwd: PACKAGE_ROOT,
      }),
    );
    const readers = contenders.map(lineReader);
    expect(await Promise.all(readers.map((next) => next()))).toEqual(Array(8).fill('ready'));

    for (const child of contenders) child.stdin?.write('go\n');
    const results = await Promise.all(readers.map((next) => next()));

    const winners = results.flatMap((result, i) => (result === 'won' ? [contenders[i]] : []));
    expect(winners).toHaveLength(1);
    const winnerPid = pidOf(winners[0] ?? contenders[0]!);
    expect(results.filter((r) => r === `already_running ${winnerPid}` || r === 'already_running unknown')).toHaveLength(7);
    expect(await readLockInfo(lockPath)).toMatchObject({ pid: winnerPid });

    for (const child of contenders) child.stdin?.end();
    const codes = await Promise.all(contenders.map(exited));
    expect([...codes].sort()).toEqual([0, 3, 3, 3, 3, 3, 3, 3]);
    // The winner released its lock; no moved-aside or temporary files are left.
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('InstanceLock.release', () => {
  it('deletes our own lock, is idempotent, and lets the next start acquire', async () => {
    const lock = await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    await lock.release();
    await lock.release();
    lock.releaseSync();
    expect(await readdir(dir)).toEqual([]);
    await acquireInstanceLock(lockPath, { instanceId: 'inst-b' });
    expect(await readLockInfo(lockPath)).toMatchObject({ instance_id: 'inst-b' });
  });

  it('deletes our own lock synchronously', async () => {
    const lock = await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    lock.releaseSync();
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves a lock that another instance has written since', async () => {
    const lock = await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    const foreign = lockText({ ...lock.info, instance_id: 'inst-b' });
    await writeFile(lockPath, foreign);

    await lock.release();
    lock.releaseSync();
    expect(await readFile(lockPath, 'utf8')).toBe(foreign);
  });

  it('leaves a lock naming another pid with our instance id', async () => {
    const lock = await acquireInstanceLock(lockPath, { instanceId: 'inst-a' });
    const foreign = lockText({ ...lock.info, pid: lock.info.pid + 1 });
    await writeFile(lockPath, foreign);

    await lock.release();
    expect(await readFile(lockPath, 'utf8')).toBe(foreign);
  });
});

describe('readLockInfo', () => {
  it('returns null for a missing or unparseable lock', async () => {
    expect(await readLockInfo(lockPath)).toBeNull();
    await writeFile(lockPath, '{"pid": "x"}');
    expect(await readLockInfo(lockPath)).toBeNull();
  });
});
