import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginInputPrompt } from '@exlab/core/plugins';
import { cleanup, hostWith, pass, processAlive, runFolder, waitFor } from './support.js';

afterEach(cleanup);

describe('suspend and resume (A12)', () => {
  it('asks once for color; the answer resumes the plugin, which completes with the value', async () => {
    const { host } = await hostWith(['input_required']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const prompts: PluginInputPrompt[] = [];
    const liveWhileAsking: number[] = [];
    const { applied, aborted } = await host.runPass(
      pass(dst, ['notes.txt'], {
        onInputRequired: async (prompt) => {
          prompts.push(prompt);
          liveWhileAsking.push(host.liveWorkers());
          return { color: 'blue' };
        },
      }),
    );
    expect(aborted).toBe(false);
    expect(prompts).toEqual([
      {
        plugin: 'input_required',
        fields: [{ id: 'color', label: 'Color', type: 'choice', required: true, options: ['red', 'blue'] }],
        reason: 'Which color is the sample?',
        file: join(dst, 'notes.txt'),
      },
    ]);
    expect(liveWhileAsking).toEqual([0]);
    expect(applied).toMatchObject([{ plugin: 'input_required', status: 'success', files_affected: ['notes.txt'] }]);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\ncolor=blue\n');
  });

  it('cancelling (null) aborts the pass: file unchanged and later plugins never start', async () => {
    const { host, logger } = await hostWith(['input_required', 'hello']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const result = await host.runPass(pass(dst, ['notes.txt'], { order: ['input_required', 'hello'], onInputRequired: async () => null }));
    expect(result).toEqual({ applied: [], aborted: true });
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('initial\n');
    expect(logger.lines.some((l) => l.msg === 'hello says hi')).toBe(false);
    expect(host.liveWorkers()).toBe(0);
  });

  it('resumes with the trigger file and the files after it, not the ones already done', async () => {
    const { host, logger } = await hostWith(['input_required']);
    const dst = await runFolder({ 'skip-first.txt': '', 'ask.txt': '', 'later.txt': '' });
    await host.runPass(pass(dst, ['skip-first.txt', 'ask.txt', 'later.txt'], { onInputRequired: async () => ({ color: 'red' }) }));
    const starts = logger.lines.filter((l) => l.msg === 'input_required starts').map((l) => [l.fields?.files, l.fields?.extra]);
    expect(starts).toEqual([
      [['skip-first.txt', 'ask.txt', 'later.txt'], null],
      [['ask.txt', 'later.txt'], { color: 'red' }],
    ]);
    expect(await readFile(join(dst, 'ask.txt'), 'utf8')).toBe('color=red\n');
    expect(await readFile(join(dst, 'later.txt'), 'utf8')).toBe('color=red\n');
  });

  it('merges the answers of repeated prompts, later answers winning', async () => {
    const { host } = await hostWith(['input_twice']);
    const dst = await runFolder({ 'notes.txt': '' });
    const answers = [{ color: 'red' }, { size: 'L', color: 'green' }];
    const asked: string[] = [];
    const { applied } = await host.runPass(
      pass(dst, ['notes.txt'], {
        onInputRequired: async (prompt) => {
          asked.push(prompt.fields.map((f) => f.id).join());
          return answers.shift() ?? null;
        },
      }),
    );
    expect(asked).toEqual(['color', 'size']);
    expect(applied).toMatchObject([{ status: 'success' }]);
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('color=green size=L\n');
  });

  it('does not count the time spent waiting for the operator', async () => {
    let offset = 0;
    const { host } = await hostWith(['input_required'], { now: () => performance.now() + offset });
    const dst = await runFolder({ 'notes.txt': '' });
    const { applied } = await host.runPass(
      pass(dst, ['notes.txt'], {
        onInputRequired: async () => {
          offset += 3_600_000; // an hour passes while the operator decides
          return { color: 'blue' };
        },
      }),
    );
    expect(applied[0]?.isolation?.duration_ms).toBeLessThan(60_000);
  });

  it('an abort while waiting for the operator ends the pass as aborted', async () => {
    const { host } = await hostWith(['input_required']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const controller = new AbortController();
    const result = await host.runPass(
      pass(dst, ['notes.txt'], {
        signal: controller.signal,
        onInputRequired: () => {
          controller.abort();
          return new Promise(() => undefined);
        },
      }),
    );
    expect(result).toEqual({ applied: [], aborted: true });
  });
});

describe('abort (signal)', () => {
  it('kills the running worker group and resolves aborted at once', async () => {
    const { host, logger } = await hostWith(['timeout']);
    const dst = await runFolder({ 'notes.txt': 'initial\n' });
    const controller = new AbortController();
    const running = host.runPass(pass(dst, ['notes.txt'], { signal: controller.signal }));
    const pid = await waitFor(
      'the worker to start',
      () => logger.lines.find((l) => l.msg === 'timeout fixture sleeping')?.fields?.pid as number | undefined,
    );
    const started = Date.now();
    controller.abort();
    expect(await running).toEqual({ applied: [], aborted: true });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await processAlive(pid)).toBe(false);
    expect(host.liveWorkers()).toBe(0);
  });

  it('starts nothing when the signal is already aborted', async () => {
    const { host } = await hostWith(['hello']);
    const dst = await runFolder({ 'notes.txt': '' });
    expect(await host.runPass(pass(dst, ['notes.txt'], { signal: AbortSignal.abort() }))).toEqual({ applied: [], aborted: true });
    expect(await readFile(join(dst, 'notes.txt'), 'utf8')).toBe('');
  });
});
