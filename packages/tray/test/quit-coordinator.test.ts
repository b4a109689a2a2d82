import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, systemClock } from '../src/clock.js';
import { QuitCoordinator, forceQuitMessage, safeCount, type ForceQuitAnswer, type QuitWorkload } from '../src/quit-coordinator.js';

/** A workload whose counts the test sets. */
function busy(active: number, inFlight = 0): QuitWorkload & { active: number; inFlight: number } {
  const state = { active, inFlight };
  return Object.assign(state, { activeSessions: () => state.active, inFlightSyncJobs: () => state.inFlight });
}

function coordinator(options: {
  workload?: QuitWorkload | null;
  prompt?: (message: string, signal: AbortSignal) => Promise<ForceQuitAnswer> | ForceQuitAnswer;
  clock?: ManualClock;
}) {
  const clock = options.clock ?? new ManualClock();
  const events: string[] = [];
  const quit = new QuitCoordinator({
    workload: options.workload,
    prompt: options.prompt,
    clock,
    onQuitStarted: () => events.push('refusing new sessions'),
    teardown: () =>
      ['window', 'ticker', 'notifications', 'server', 'server.json', 'logs', 'result.json', 'lock'].map((name) => ({
        name,
        run: () => {
          events.push(`${name}@${clock.now()}`);
        },
      })),
  });
  return { quit, clock, events };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('QuitCoordinator', () => {
  it('quits at once when idle, refusing new sessions first and tearing down in order', async () => {
    const { quit, events } = coordinator({ workload: busy(0) });
    const outcome = await quit.quit({ reason: 'operator' });
    expect(outcome).toEqual({ forced: false, prompts: 0, operationsLeft: 0, failedSteps: [] });
    expect(events).toEqual([
      'refusing new sessions',
      'window@0',
      'ticker@0',
      'notifications@0',
      'server@0',
      'server.json@0',
      'logs@0',
      'result.json@0',
      'lock@0',
    ]);
  });

  it('waits for the work to finish within the 30 s window, polling every 100 ms', async () => {
    const work = busy(1, 1);
    const { quit, clock, events } = coordinator({ workload: work, prompt: () => 'force' });
    const done = quit.quit({ reason: 'operator' });
    await clock.advance(10_000);
    work.active = 0;
    await clock.advance(5_000);
    expect(events).toEqual(['refusing new sessions']);
    work.inFlight = 0;
    await clock.advance(100);
    const outcome = await done;
    expect(outcome.forced).toBe(false);
    expect(outcome.prompts).toBe(0);
    expect(events[1]).toBe('window@15100');
  });

  it('asks once after 30 s; Wait gives one more window, then forces without asking again', async () => {
    const prompts: string[] = [];
    const { quit, clock, events } = coordinator({
      workload: busy(2),
      prompt: (message) => {
        prompts.push(`${message}@${clock.now()}`);
        return 'wait';
      },
    });
    const done = quit.quit({ reason: 'operator' });
    await clock.advance(61_000);
    const outcome = await done;
    expect(prompts).toEqual(['2 operations still running. Force quit anyway?@30000']);
    expect(outcome).toMatchObject({ forced: true, prompts: 1, operationsLeft: 2 });
    expect(events[1]).toBe('window@60000');
  });

  it('forces at once when the operator picks Force quit', async () => {
    const { quit, clock, events } = coordinator({ workload: busy(1), prompt: () => 'force' });
    const done = quit.quit({ reason: 'operator' });
    await clock.advance(30_000);
    expect((await done).forced).toBe(true);
    expect(events[1]).toBe('window@30000');
  });

  it('treats a prompt that throws, or stays unanswered for 30 s, as Force quit', async () => {
    const throwing = coordinator({
      workload: busy(1),
      prompt: () => {
        throw new Error('no window');
      },
    });
    const first = throwing.quit.quit({ reason: 'operator' });
    await throwing.clock.advance(30_000);
    expect(await first).toMatchObject({ forced: true, prompts: 1 });

    let abortedAt: number | undefined;
    const silent = coordinator({
      workload: busy(1),
      prompt: (_message, signal) =>
        new Promise<ForceQuitAnswer>(() => signal.addEventListener('abort', () => (abortedAt = silent.clock.now()))),
    });
    const second = silent.quit.quit({ reason: 'operator' });
    await silent.clock.advance(60_000);
    expect(await second).toMatchObject({ forced: true, prompts: 1 });
    expect(abortedAt).toBe(60_000);
    expect(silent.events[1]).toBe('window@60000');
  });

  it('drains 5 s after a signal and never asks', async () => {
    const prompt = vi.fn(() => 'wait' as const);
    const { quit, clock, events } = coordinator({ workload: busy(1), prompt });
    const done = quit.quit({ reason: 'signal' });
    await clock.advance(5_000);
    expect(await done).toMatchObject({ forced: true, prompts: 0 });
    expect(prompt).not.toHaveBeenCalled();
    expect(events[1]).toBe('window@5000');
  });

  it('goes straight to the timeout branch with a 0 s window, but quits at once when already idle', async () => {
    const prompt = vi.fn(() => 'force' as const);
    const busyOne = coordinator({ workload: busy(1), prompt });
    expect(await busyOne.quit.quit({ reason: 'operator', drainMs: 0 })).toMatchObject({ forced: true, prompts: 1 });
    const idle = coordinator({ workload: busy(0), prompt });
    expect(await idle.quit.quit({ reason: 'operator', drainMs: 0 })).toMatchObject({ forced: false, prompts: 0 });
    expect(prompt).toHaveBeenCalledTimes(1);
  });

  it('lets a second Quit join the first, and a signal during an operator drain cut it to 5 s without a prompt', async () => {
    const prompt = vi.fn(() => 'wait' as const);
    const { quit, clock, events } = coordinator({ workload: busy(1), prompt });
    const first = quit.quit({ reason: 'operator' });
    await clock.advance(1_000);
    const joined = quit.quit({ reason: 'operator' });
    await clock.advance(1_000);
    const signalled = quit.quit({ reason: 'signal' });
    await clock.advance(5_000);
    const outcomes = await Promise.all([first, joined, signalled]);
    expect(new Set(outcomes).size).toBe(1);
    expect(prompt).not.toHaveBeenCalled();
    expect(events.filter((e) => e.startsWith('window'))).toEqual(['window@7000']);
  });

  it('withdraws an open prompt when a forced quit arrives', async () => {
    let aborted = false;
    const { quit, clock } = coordinator({
      workload: busy(1),
      prompt: (_message, signal) => new Promise<ForceQuitAnswer>(() => signal.addEventListener('abort', () => (aborted = true))),
    });
    const done = quit.quit({ reason: 'operator' });
    await clock.advance(31_000);
    void quit.quit({ reason: 'control', force: true });
    await clock.advance(200);
    expect(await done).toMatchObject({ forced: true, prompts: 1 });
    expect(aborted).toBe(true);
  });

  it('reads a null, missing, throwing or non-numeric count as 0', async () => {
    expect(safeCount(undefined)).toBe(0);
    expect(safeCount(() => null)).toBe(0);
    expect(safeCount(() => 'many')).toBe(0);
    expect(safeCount(() => -3)).toBe(0);
    expect(safeCount(() => '2')).toBe(2);
    expect(
      safeCount(() => {
        throw new Error('store gone');
      }),
    ).toBe(0);
    const { quit } = coordinator({
      workload: {
        activeSessions: () => {
          throw new Error('gone');
        },
        inFlightSyncJobs: () => Number.NaN,
      },
    });
    expect(await quit.quit({ reason: 'operator' })).toMatchObject({ forced: false, prompts: 0 });
    const none = coordinator({ workload: null });
    expect(await none.quit.quit({ reason: 'operator' })).toMatchObject({ forced: false });
  });

  it('keeps tearing down when a step fails, and names it', async () => {
    const ran: string[] = [];
    const quit = new QuitCoordinator({
      clock: new ManualClock(),
      teardown: () => [
        {
          name: 'window',
          run: () => {
            throw new Error('stuck');
          },
        },
        { name: 'lock', run: () => void ran.push('lock') },
      ],
    });
    expect((await quit.quit({ reason: 'operator' })).failedSteps).toEqual(['window']);
    expect(ran).toEqual(['lock']);
  });

  it('measures the drain on the monotonic clock, so a wall-clock jump does not shorten it (F13)', async () => {
    const work = busy(1);
    const quit = new QuitCoordinator({ workload: work, clock: systemClock, signalDrainMs: 400, pollMs: 20, teardown: () => [] });
    const realNow = Date.now.bind(Date);
    const started = performance.now();
    const done = quit.quit({ reason: 'signal' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000);
    await done;
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('words the prompt for one and for many operations', () => {
    expect(forceQuitMessage(1)).toBe('1 operation still running. Force quit anyway?');
    expect(forceQuitMessage(3)).toBe('3 operations still running. Force quit anyway?');
  });
});
