import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExLabError } from '@exlab/core/errors';
import { withFileLock, writeFileAtomic } from '@exlab/core/io';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-lock-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A promise with its resolve function, to hold a lock until the test lets go. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('withFileLock', () => {
  it('serialises 20 concurrent read-increment-write cycles so none is lost', async () => {
    const counter = join(dir, 'counter.txt');
    await writeFile(counter, '0');
    const cycle = (): Promise<void> =>
      withFileLock(counter, async () => {
        const value = Number(await readFile(counter, 'utf8'));
        await writeFileAtomic(counter, String(value + 1));
      });
    await Promise.all(Array.from({ length: 20 }, cycle));
    expect(await readFile(counter, 'utf8')).toBe('20');
    expect(await readdir(dir)).toEqual(['counter.txt']);
  });

  it('returns the value of the work', async () => {
    expect(await withFileLock(join(dir, 'f.json'), async () => 42)).toBe(42);
  });

  it('works when the target file does not exist, and creates nothing but leaves the folder clean', async () => {
    const target = join(dir, 'not-yet.json');
    let heldLockDir = false;
    await withFileLock(target, async () => {
      heldLockDir = (await readdir(dir)).includes('not-yet.json.lock');
    });
    expect(heldLockDir).toBe(true);
    await expect(access(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with lock_timeout while another holder keeps the lock', async () => {
    const target = join(dir, 'creation.json');
    const holding = deferred();
    const release = deferred();
    const holder = withFileLock(target, async () => {
      holding.resolve();
      await release.promise;
    });
    await holding.promise;

    let ran = false;
    const error: unknown = await withFileLock(
      target,
      async () => {
        ran = true;
      },
      { timeoutMs: 150 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExLabError);
    expect(error).toMatchObject({ code: 'lock_timeout', status: 503, details: { path: target, timeout_ms: 150 } });
    expect(ran).toBe(false);

    release.resolve();
    await holder;
    expect(await withFileLock(target, async () => 'free again', { timeoutMs: 150 })).toBe('free again');
  });

  it('lets a waiter in as soon as the holder finishes', async () => {
    const target = join(dir, 'x.json');
    const order: string[] = [];
    const holding = deferred();
    const release = deferred();
    const holder = withFileLock(target, async () => {
      order.push('holder start');
      holding.resolve();
      await release.promise;
      order.push('holder end');
    });
    await holding.promise;
    const waiter = withFileLock(target, async () => {
      order.push('waiter');
    });
    release.resolve();
    await Promise.all([holder, waiter]);
    expect(order).toEqual(['holder start', 'holder end', 'waiter']);
  });

  it('releases the lock when the work throws and passes the error on', async () => {
    const target = join(dir, 'x.json');
    const boom = new ExLabError('validation_failed', 'bad input');
    await expect(
      withFileLock(target, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readdir(dir)).toEqual([]);
    expect(await withFileLock(target, async () => 'ok', { timeoutMs: 150 })).toBe('ok');
  });

  it('fails with ENOENT, not a timeout, when the folder of the target does not exist', async () => {
    await expect(withFileLock(join(dir, 'missing', 'x.json'), async () => 1, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
