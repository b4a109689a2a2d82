import { describe, expect, it } from 'vitest';
import { createLogger } from '@exlab/core/logging';
import { PassThrough } from 'node:stream';
import { ManualClock } from '../src/clock.js';
import {
  NotificationCenter,
  coalescedMessage,
  detectNotificationBackend,
  type NotificationBackend,
  type OsNotification,
} from '../src/notifications.js';

function recorder(): NotificationBackend & { shown: (OsNotification & { at: number })[]; clock?: ManualClock } {
  const shown: (OsNotification & { at: number })[] = [];
  const backend = {
    name: 'recorder',
    shown,
    clock: undefined as ManualClock | undefined,
    show: async (n: OsNotification) => {
      shown.push({ ...n, at: backend.clock?.now() ?? -1 });
    },
  };
  return backend;
}

function captureLog(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ stderr: stream, stderrLevel: 'DEBUG', level: 'DEBUG' }), lines };
}

describe('NotificationCenter', () => {
  it('turns 3 escalations within 1 s into one notification about 5 s after the first (N2)', async () => {
    const clock = new ManualClock();
    const backend = recorder();
    backend.clock = clock;
    const center = new NotificationCenter({ backend, clock });
    center.pluginNeedsInput();
    await clock.advance(400);
    center.pluginNeedsInput();
    await clock.advance(400);
    center.pluginNeedsInput();
    await clock.advance(4_199);
    expect(backend.shown).toEqual([]);
    await clock.advance(1);
    expect(backend.shown).toEqual([{ title: 'ExLab-Wizard', body: '3 plugins need input', timeoutMs: 10_000, at: 5_000 }]);
  });

  it('shows a single event with its original text, and keeps kinds apart', async () => {
    const clock = new ManualClock();
    const backend = recorder();
    const center = new NotificationCenter({ backend, clock });
    center.syncFailed('Run_2026-04-17T14-32');
    center.pluginNeedsInput();
    await clock.advance(5_000);
    expect(backend.shown.map((n) => n.body).sort()).toEqual(['1 plugin needs input', 'Sync failed for Run_2026-04-17T14-32']);
    center.syncFailed('a');
    center.syncFailed('b');
    await clock.advance(5_000);
    expect(backend.shown.at(-1)?.body).toBe('2 sync failures');
  });

  it('drops notifications while the window is in the foreground', async () => {
    const clock = new ManualClock();
    const backend = recorder();
    let foreground = true;
    const center = new NotificationCenter({ backend, clock, isForeground: () => foreground });
    center.pluginNeedsInput();
    await clock.advance(5_000);
    expect(backend.shown).toEqual([]);
    foreground = false;
    center.pluginNeedsInput();
    foreground = true;
    await clock.advance(5_000);
    expect(backend.shown).toEqual([]);
  });

  it('drops pending buckets at quit and takes no new events', async () => {
    const clock = new ManualClock();
    const backend = recorder();
    const center = new NotificationCenter({ backend, clock });
    center.pluginNeedsInput();
    center.close();
    center.pluginNeedsInput();
    await clock.advance(10_000);
    expect(backend.shown).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('logs one WARN when there is no backend, and then only logs', async () => {
    const clock = new ManualClock();
    const { logger, lines } = captureLog();
    const center = new NotificationCenter({ backend: null, clock, logger });
    center.pluginNeedsInput();
    await clock.advance(5_000);
    center.syncFailed('x');
    await clock.advance(5_000);
    expect(lines.filter((l) => l.includes('[WARN ]'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('notification: '))).toHaveLength(2);
  });

  it('names coalesced events of other kinds by count', () => {
    expect(coalescedMessage('audit', 4, 'x')).toBe('4 audit events');
    expect(coalescedMessage('audit', 1, 'x')).toBe('x');
  });
});

describe('detectNotificationBackend', () => {
  it('finds none on a PATH without notify-send', async () => {
    expect(await detectNotificationBackend({ platform: 'linux', env: { PATH: '/nonexistent' } })).toBeNull();
  });
});
