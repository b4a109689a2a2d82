import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DefaultPluginPort, SessionTimers } from '@exlab/controller';
import { readCreationJson } from '@exlab/core/cache';
import { TIMINGS } from '@exlab/core/constants';
import type { SessionEvent, SessionHandle } from '@exlab/core/schemas';
import { queryProblems } from '@exlab/core/validator';
import {
  EQUIPMENT_ID,
  type TestController,
  createTestLab,
  installPlugins,
  listTree,
  runRequest,
  testController,
  type TestLab,
} from './support/lab.js';

// Plugin behaviour against the REAL plugin host and the fixture plugins of @exlab/core, run in
// real worker processes: no mock of the host anywhere in this file.

const PROJECT = 'Cortex Q3 Pilot';

let lab: TestLab;
let plugins: DefaultPluginPort | undefined;
let controllers: TestController[] = [];

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await Promise.all(controllers.map((c) => c.close()));
  controllers = [];
  await plugins?.shutdown?.();
  plugins = undefined;
  await lab.remove();
});

/** Adds a run template whose files the fixture plugins handle (`.txt`), optionally with `_exlab_plugins`. */
async function addPluginTemplate(order: string[] = []): Promise<void> {
  const dir = join(lab.templatesDir, 'plugin_run');
  await mkdir(dir);
  const plugins = order.length > 0 ? `_exlab_plugins: ${JSON.stringify(order)}\n` : '';
  await writeFile(
    join(dir, 'copier.yml'),
    `_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: both\n${plugins}sample_id:\n  type: str\n  default: "S-001"\n`,
  );
  await writeFile(join(dir, 'notes.txt.jinja'), 'Sample {{ sample_id }}\n');
  await writeFile(join(dir, 'plan.md.jinja'), '# Plan for {{ label }}\n');
}

async function controllerWith(names: string[], options: Parameters<typeof testController>[1] = {}): Promise<TestController> {
  plugins = await installPlugins(lab, names);
  const c = testController(lab, { ports: { plugins }, ...options });
  controllers.push(c);
  return c;
}

const DESTINATION = (): string => join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');

function labels(frames: SessionEvent[]): string[] {
  return frames.map((f) => {
    if (f.kind === 'phase') return f.phase;
    if (f.kind === 'progress') return `progress ${f.current}/${f.total} ${f.plugin ?? ''}`;
    return f.kind;
  });
}

/** Waits until session `id` waits for input. */
async function suspended(c: TestController, id: string): Promise<SessionHandle> {
  await c.sessions.when(id, (s) => s.state === 'input_required' || s.state === 'done' || s.state === 'failed' || s.state === 'aborted');
  const handle = c.status(id);
  expect(handle?.state).toBe('input_required');
  return handle as SessionHandle;
}

describe('plugin pass (requirements B4, A10, A12, A13)', () => {
  it('runs a plugin over the rendered files, sends progress before it, and records it in plugins_applied', async () => {
    await addPluginTemplate();
    const c = await controllerWith(['hello']);
    const handle = await c.createRunToEnd(runRequest({ template_path: 'plugin_run', variables: {} }));

    expect(handle.state).toBe('done');
    expect(await readFile(join(DESTINATION(), 'notes.txt'), 'utf8')).toBe('Sample S-001\nhello\n');
    const creation = await readCreationJson(DESTINATION());
    expect(creation.plugins_applied).toEqual([
      expect.objectContaining({
        plugin: 'hello',
        version: '1.0.0',
        status: 'success',
        files_affected: ['notes.txt'],
        isolation: expect.objectContaining({ exit_code: 0 }),
      }),
    ]);
    expect(labels(await c.framesOf(handle.session_id))).toEqual([
      'validating_inputs',
      'rendering_template',
      'running_plugins',
      'progress 1/1 hello',
      'writing_cache',
      'validating_post_creation',
      'queueing_nas_sync',
      'done',
    ]);
  });

  it('gives the plugins the merged variables: template answers and the core values the request did not carry', async () => {
    await addPluginTemplate();
    const c = await controllerWith(['validating']);
    const handle = await c.createRunToEnd(
      runRequest({ template_path: 'plugin_run', variables: { sample_id: 'S-042' }, operator: ' grace ' }),
    );
    expect(handle.state).toBe('done');
    expect(await readFile(join(DESTINATION(), 'notes.txt'), 'utf8')).toBe('Sample S-042\nvalidated by grace\n');
  });

  it('fails the session in running_plugins when a plugin rejects the variables, before any transform, publishing nothing', async () => {
    await addPluginTemplate();
    const c = await controllerWith(['validating', 'hello']);
    const handle = await c.createRunToEnd(runRequest({ template_path: 'plugin_run', variables: { sample_id: 'bad id' } }));
    expect(handle.state).toBe('failed');
    expect(handle.error).toMatchObject({ code: 'plugin_variable_validation_failed', message: expect.stringContaining('S-123') });
    expect((await c.framesOf(handle.session_id)).at(-1)).toMatchObject({ kind: 'failed', phase: 'running_plugins' });
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('records a failing plugin, warns, and still runs the next one and ends done', async () => {
    await addPluginTemplate(['error', 'hello']);
    const c = await controllerWith(['hello', 'error']);
    const handle = await c.createRunToEnd(runRequest({ template_path: 'plugin_run', variables: {} }));
    expect(handle.state).toBe('done');
    const creation = await readCreationJson(DESTINATION());
    expect(creation.plugins_applied.map((p) => [p.plugin, p.status])).toEqual([
      ['error', 'failed'],
      ['hello', 'success'],
    ]);
    expect(await readFile(join(DESTINATION(), 'notes.txt'), 'utf8')).toBe('Sample S-001\nhello\n');
    const frames = await c.framesOf(handle.session_id);
    expect(labels(frames)).toEqual(expect.arrayContaining(['progress 1/2 error', 'progress 2/2 hello', 'warning']));
    expect(frames).toContainEqual({
      kind: 'warning',
      phase: 'running_plugins',
      message: expect.stringContaining('Plugin error ended failed'),
    });
  });

  it('runs _exlab_plugins first, in their order, then the other matching plugins by name', async () => {
    await addPluginTemplate(['validating', 'hello']);
    const c = await controllerWith(['hello', 'validating', 'error']);
    const handle = await c.createRunToEnd(runRequest({ template_path: 'plugin_run', variables: {} }));
    const progress = (await c.framesOf(handle.session_id))
      .filter((f) => f.kind === 'progress')
      .map((f) => (f.kind === 'progress' ? f.plugin : ''));
    expect(progress).toEqual(['validating', 'hello', 'error']);
  });

  it('kills the running plugin worker when the session is cancelled mid-pass', async () => {
    await addPluginTemplate();
    const c = await controllerWith(['timeout']);
    const started = await c.createRun(runRequest({ template_path: 'plugin_run', variables: {} }));
    // Wait for the worker of the `timeout` plugin (it sleeps 60 s) to be running.
    const frames = c.subscribe(started.session_id);
    for (let next = await frames.next(); !next.done; next = await frames.next()) if (next.value.kind === 'progress') break;
    await frames.return?.();
    while (plugins?.liveWorkers() === 0) await new Promise((resolve) => setImmediate(resolve));

    const handle = await c.cancel(started.session_id, { discardFiles: true });
    expect(handle.state).toBe('aborted');
    expect(plugins?.liveWorkers()).toBe(0);
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  describe('suspension on a plugin prompt (§6.4)', () => {
    it('suspends in input_required with the prompt, replays it to a late subscriber, and resumes to done with the answer', async () => {
      await addPluginTemplate();
      const c = await controllerWith(['input_required']);
      const started = await c.createRun(runRequest({ template_path: 'plugin_run', variables: {} }));
      const waiting = await suspended(c, started.session_id);

      expect(waiting).toMatchObject({
        state: 'input_required',
        current_phase: 'running_plugins',
        next_action: 'awaiting_input',
        pending_input: {
          plugin: 'input_required',
          reason: 'Which color is the sample?',
          fields: [expect.objectContaining({ id: 'color', type: 'choice' })],
        },
      });
      // A subscriber connecting now gets the prompt it must answer.
      const late = c.subscribe(started.session_id);
      const replayed: SessionEvent[] = [];
      for (;;) {
        const next = await late.next();
        if (next.done) break;
        replayed.push(next.value);
        if (next.value.kind === 'input_required') break;
      }
      await late.return?.();
      expect(replayed.at(-1)).toEqual({
        kind: 'input_required',
        plugin: 'input_required',
        reason: 'Which color is the sample?',
        fields: waiting.pending_input?.fields,
      });

      const resumed = await c.resume(started.session_id, { color: 'blue' });
      expect(resumed).toMatchObject({ state: 'plugin_pass', pending_input: null, next_action: 'none' });
      const handle = await c.settled(started.session_id);
      expect(handle.state).toBe('done');
      expect(await readFile(join(DESTINATION(), 'notes.txt'), 'utf8')).toBe('Sample S-001\ncolor=blue\n');
      expect((await readCreationJson(DESTINATION())).plugins_applied).toEqual([
        expect.objectContaining({ plugin: 'input_required', status: 'success' }),
      ]);
      expect(labels(await c.framesOf(started.session_id))).toEqual([
        'validating_inputs',
        'rendering_template',
        'running_plugins',
        'progress 1/1 input_required',
        'input_required',
        'running_plugins',
        'writing_cache',
        'validating_post_creation',
        'queueing_nas_sync',
        'done',
      ]);
    });

    it('on cancel with discard_files true ends aborted with nothing on disk', async () => {
      await addPluginTemplate();
      const c = await controllerWith(['input_required']);
      const started = await c.createRun(runRequest({ template_path: 'plugin_run', variables: {} }));
      await suspended(c, started.session_id);
      const handle = await c.cancel(started.session_id, { discardFiles: true });
      expect(handle).toMatchObject({ state: 'aborted', error: { code: 'cancelled' } });
      expect(await listTree(lab.localRoot)).toEqual([]);
      expect(plugins?.liveWorkers()).toBe(0);
    });

    it('on cancel with discard_files false leaves the partial tree in place, reported as an orphan', async () => {
      await addPluginTemplate();
      const c = await controllerWith(['input_required']);
      const started = await c.createRun(runRequest({ template_path: 'plugin_run', variables: {} }));
      await suspended(c, started.session_id);
      expect((await c.cancel(started.session_id, { discardFiles: false })).state).toBe('aborted');

      expect(await listTree(DESTINATION())).toEqual(['.exlab-answers.yml', 'notes.txt', 'plan.md']);
      expect(await readFile(join(DESTINATION(), 'notes.txt'), 'utf8')).toBe('Sample S-001\n');
      const report = await queryProblems({ kind: 'equipment_id', value: EQUIPMENT_ID }, { config: lab.config });
      expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'orphan', offending_path: DESTINATION() }));
    });

    it('is aborted by the GC once idle for over an hour on a fake clock, keeping its files', async () => {
      await addPluginTemplate();
      let now = new Date('2026-03-02T09:00:00Z');
      const ticks: (() => void)[] = [];
      const timers: SessionTimers = { setInterval: (callback) => ticks.push(callback), clearInterval: () => undefined };
      const c = await controllerWith(['input_required'], { clock: () => now, timers, gc: true });
      const started = await c.createRun(runRequest({ template_path: 'plugin_run', variables: {} }));
      await suspended(c, started.session_id);
      expect(ticks).toHaveLength(1);
      const gcPass = ticks[0] as () => void;

      now = new Date(now.getTime() + TIMINGS.sessionAbandonAfterMs - 1_000);
      gcPass();
      expect(c.status(started.session_id)?.state).toBe('input_required');
      // status() was a heartbeat; an hour and a bit of silence after it abandons the session.
      now = new Date(now.getTime() + TIMINGS.sessionAbandonAfterMs + TIMINGS.sessionGcIntervalMs);
      gcPass();
      const handle = await c.settled(started.session_id);
      expect(handle).toMatchObject({ state: 'aborted', error: { code: 'session_abandoned' } });
      expect(await listTree(DESTINATION())).toContain('notes.txt');
    });
  });
});
