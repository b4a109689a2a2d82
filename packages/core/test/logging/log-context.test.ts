import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { getLogContext, withLogContext } from '../../src/logging/index.js';

describe('withLogContext', () => {
  it('is empty outside any scope', () => {
    expect(getLogContext()).toEqual({});
  });

  it('merges nested scopes and restores the outer values when the inner one ends', async () => {
    await withLogContext({ equip: 'CONFOCAL_01', proj: 'PROJ-0042' }, async () => {
      expect(getLogContext()).toEqual({ equip: 'CONFOCAL_01', proj: 'PROJ-0042' });
      await withLogContext({ proj: 'PROJ-0099', run: 'Run_1' }, async () => {
        await sleep(1);
        expect(getLogContext()).toEqual({ equip: 'CONFOCAL_01', proj: 'PROJ-0099', run: 'Run_1' });
      });
      expect(getLogContext()).toEqual({ equip: 'CONFOCAL_01', proj: 'PROJ-0042' });
    });
    expect(getLogContext()).toEqual({});
  });

  it('keeps an outer value when the inner scope passes it as undefined', () => {
    withLogContext({ equip: 'E1' }, () => {
      withLogContext({ equip: undefined, run: 'R' }, () => {
        expect(getLogContext()).toEqual({ equip: 'E1', run: 'R' });
      });
    });
  });

  it('returns the value of the function it runs', () => {
    expect(withLogContext({ run: 'R' }, () => 42)).toBe(42);
  });

  it('never mixes the tags of concurrent tasks', async () => {
    const task = (equip: string, delays: number[]) =>
      withLogContext({ equip }, async () => {
        const seen: string[] = [];
        for (const delay of delays) {
          await sleep(delay);
          seen.push(getLogContext().equip ?? '-');
        }
        return seen;
      });
    const [a, b] = await Promise.all([task('A', [5, 1, 5, 1]), task('B', [1, 5, 1, 5])]);
    expect(a).toEqual(['A', 'A', 'A', 'A']);
    expect(b).toEqual(['B', 'B', 'B', 'B']);
  });
});
