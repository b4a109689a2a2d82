import { readFile } from 'node:fs/promises';
import { type Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentProcessStartToken, isProcessAlive, readProcessStartToken } from '../../src/process/index.js';
import { exited, killAllChildren, lineReader, pidOf, spawnSleeper, spawnTracked } from './child-processes.js';

afterEach(async () => {
  await killAllChildren();
});

describe('readProcessStartToken', () => {
  it('reads a stable token for this process that currentProcessStartToken repeats', async () => {
    const token = await readProcessStartToken(process.pid);
    expect(token).not.toBeNull();
    expect(await readProcessStartToken(process.pid)).toBe(token);
    expect(await currentProcessStartToken()).toBe(token);
  });

  it.runIf(process.platform === 'linux')('joins the boot id and the /proc starttime on Linux', async () => {
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    const token = await readProcessStartToken(process.pid);
    expect(token).toMatch(new RegExp(`^${bootId}:\\d+$`));
  });

  it('gives two live processes different tokens', async () => {
    const child = spawnSleeper();
    expect(await readProcessStartToken(pidOf(child))).not.toBe(await readProcessStartToken(process.pid));
  });

  it('returns null for a process that has exited', async () => {
    const child = spawnTracked(process.execPath, ['-e', '']);
    await exited(child);
    expect(await readProcessStartToken(pidOf(child))).toBeNull();
  });

  it('returns null for values that are not a single pid', async () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(await readProcessStartToken(pid)).toBeNull();
  });
});

describe('isProcessAlive', () => {
  it('reports this process alive, with and without its own start token', async () => {
    const token = await currentProcessStartToken();
    expect(await isProcessAlive(process.pid)).toBe(true);
    expect(await isProcessAlive(process.pid, null)).toBe(true);
    expect(await isProcessAlive(process.pid, token)).toBe(true);
  });

  it('reports a spawned child alive with its token while it runs', async () => {
    const child = spawnSleeper();
    const pid = pidOf(child);
    const token = await readProcessStartToken(pid);
    expect(await isProcessAlive(pid, token)).toBe(true);
  });

  it('reports a child that has exited as dead', async () => {
    const child = spawnSleeper();
    const pid = pidOf(child);
    const token = await readProcessStartToken(pid);
    child.stdin?.end();
    expect(await exited(child)).toBe(0);
    expect(await isProcessAlive(pid)).toBe(false);
    expect(await isProcessAlive(pid, token)).toBe(false);
  });

  it('reports a live pid with a different start token as dead (pid reuse)', async () => {
    const child = spawnSleeper();
    expect(await isProcessAlive(pidOf(child), 'some-other-boot:12345')).toBe(false);
    expect(await isProcessAlive(process.pid, `${await currentProcessStartToken()}0`)).toBe(false);
  });

  it('never treats 0, negative or fractional pids as alive (signal 0 would reach a whole group)', async () => {
    for (const pid of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(await isProcessAlive(pid)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('reports an exited but unreaped child (zombie) as dead', async () => {
    // The shell starts `head`, then becomes `sleep`, which never reaps: once `head` reads its
    // byte on fd 3 and exits, it stays a zombie whose pid still answers signal 0.
    const parent = spawnTracked('sh', ['-c', 'head -c 1 <&3 >/dev/null & echo $!; exec 3<&-; exec sleep 60'], {
      stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    });
    const zombiePid = Number(await lineReader(parent)());
    expect(await isProcessAlive(zombiePid)).toBe(true);

    (parent.stdio[3] as Writable).write('x');
    await vi.waitFor(
      async () => {
        const stat = await readFile(`/proc/${zombiePid}/stat`, 'utf8');
        expect(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)).toBe('Z');
      },
      { timeout: 10_000, interval: 5 },
    );
    expect(() => process.kill(zombiePid, 0)).not.toThrow();
    expect(await isProcessAlive(zombiePid)).toBe(false);
  });
});
