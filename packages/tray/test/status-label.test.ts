import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { StatusTicker, formatStatusLabel, statusLabelOf } from '../src/status-label.js';
import { buildTrayMenu } from '../src/tray-icon.js';
import { createNullLogger } from '@exlab/core/logging';

describe('status label (I2)', () => {
  it('says Idle, the sync jobs, and the plugins waiting, joined with "; "', () => {
    expect(formatStatusLabel(0, 0)).toBe('Idle');
    expect(formatStatusLabel(1, 0)).toBe('Sync: 1 job');
    expect(formatStatusLabel(3, 0)).toBe('Sync: 3 jobs');
    expect(formatStatusLabel(0, 1)).toBe('1 plugin needs input');
    expect(formatStatusLabel(2, 2)).toBe('Sync: 2 jobs; 2 plugins need input');
    expect(statusLabelOf({ syncJobs: () => null, pluginsNeedingInput: () => 'x' })).toBe('Idle');
  });

  it('recomputes every 5 s and reports only changes', async () => {
    const clock = new ManualClock();
    let jobs = 0;
    const labels: string[] = [];
    const ticker = new StatusTicker({ source: { syncJobs: () => jobs }, clock, onChange: (label) => labels.push(label) });
    ticker.start();
    await clock.advance(5_000);
    jobs = 2;
    await clock.advance(4_999);
    expect(labels).toEqual(['Idle']);
    await clock.advance(1);
    await clock.advance(10_000);
    expect(labels).toEqual(['Idle', 'Sync: 2 jobs']);
    ticker.stop();
    jobs = 5;
    await clock.advance(10_000);
    expect(labels).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});

describe('tray menu (I1)', () => {
  it('has Open (default), a disabled status line, a separator and Quit; callback errors are swallowed', async () => {
    const calls: string[] = [];
    const menu = buildTrayMenu(
      'Idle',
      {
        open: () => {
          calls.push('open');
          throw new Error('no window');
        },
        quit: async () => {
          calls.push('quit');
          throw new Error('late');
        },
      },
      createNullLogger(),
    );
    expect(menu.map((item) => (item.kind === 'separator' ? '---' : item.label))).toEqual([
      'Open',
      'Status: Idle',
      '---',
      'Quit ExLab-Wizard',
    ]);
    expect(menu[0]).toMatchObject({ default: true });
    expect(menu[1]?.kind).toBe('status');
    for (const item of menu) if (item.kind === 'action') item.run();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['open', 'quit']);
  });
});
