import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProcStat, parsePsLine, probeWithPs } from '../../src/process/process-probe.js';
import { exited, killAllChildren, pidOf, spawnSleeper, spawnTracked } from './child-processes.js';

afterEach(async () => {
  await killAllChildren();
});

// 52 fields as in Linux 6.x; field 22 (starttime) is 987654.
const statTail =
  'S 1 100 100 0 -1 4194560 1000 0 0 0 10 5 0 0 20 0 1 0 987654 1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0';

function hasPs(): boolean {
  try {
    execFileSync('ps', ['-o', 'pid=', '-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('parseProcStat', () => {
  it('reads starttime after the last parenthesis when the command name contains spaces and parentheses', () => {
    expect(parseProcStat(`4242 (my (odd) name) ${statTail}`, 'boot-1')).toEqual({ startToken: 'boot-1:987654', zombie: false });
  });

  it('uses starttime alone when the boot id is unknown', () => {
    expect(parseProcStat(`4242 (node) ${statTail}`, null)?.startToken).toBe('987654');
  });

  it('flags the zombie and dead states', () => {
    expect(parseProcStat(`4242 (node) Z${statTail.slice(1)}`, 'b')?.zombie).toBe(true);
    expect(parseProcStat(`4242 (node) X${statTail.slice(1)}`, 'b')?.zombie).toBe(true);
  });

  it('returns null for text that is not a stat line', () => {
    expect(parseProcStat('garbage', 'b')).toBeNull();
  });
});

describe('parsePsLine', () => {
  it('splits the state from lstart and normalises spacing', () => {
    expect(parsePsLine('Ss   Tue Apr  7 10:00:00 2026\n')).toEqual({ startToken: 'Tue Apr 7 10:00:00 2026', zombie: false });
    expect(parsePsLine('Z+ Tue Apr 14 10:00:00 2026')?.zombie).toBe(true);
  });

  it('returns null for empty output', () => {
    expect(parsePsLine('')).toBeNull();
  });
});

describe.runIf(process.platform !== 'win32' && hasPs())('probeWithPs (the macOS path, run with the local ps)', () => {
  it('gives a live process the same token twice and another process a different one', async () => {
    const child = spawnSleeper();
    const first = await probeWithPs(pidOf(child));
    expect(first?.startToken).toBeTruthy();
    expect((await probeWithPs(pidOf(child)))?.startToken).toBe(first?.startToken);
    expect(first?.zombie).toBe(false);
  });

  it('returns null for a process that has exited', async () => {
    const child = spawnTracked(process.execPath, ['-e', '']);
    await exited(child);
    expect(await probeWithPs(pidOf(child))).toBeNull();
  });
});
