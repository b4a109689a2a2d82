import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTemplateEngine, type TemplateEnginePort } from '@exlab/controller';
import { queryProblems } from '@exlab/core/validator';
import { SessionEventSchema, type SessionEvent } from '@exlab/core/schemas';
import { EQUIPMENT_ID, createTestLab, listTree, runRequest, testController, type TestLab } from './support/lab.js';

const PROJECT = 'Cortex Q3 Pilot';
const DESTINATION = (lab: TestLab): string => join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

/**
 * The real template engine, except that a render, once its files are written, waits for the test
 * to release it: a session held in rendering with a partial tree on disk.
 */
function heldRender(): { templates: TemplateEnginePort; rendered: Promise<void>; release: () => void } {
  const real = coreTemplateEngine();
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let markRendered = (): void => undefined;
  const rendered = new Promise<void>((resolve) => (markRendered = resolve));
  return {
    rendered,
    release,
    templates: {
      ...real,
      render: async (manifest, destination, context) => {
        const result = await real.render(manifest, destination, context);
        markRendered();
        await released;
        return result;
      },
    },
  };
}

function phases(frames: SessionEvent[]): string[] {
  return frames.map((f) => (f.kind === 'phase' ? f.phase : f.kind));
}

describe('cancel (requirements B6)', () => {
  it('with discard_files true ends aborted, waits for the running step, and leaves nothing on disk', async () => {
    const held = heldRender();
    const c = testController(lab, { ports: { templates: held.templates } });
    const started = await c.createRun(runRequest());
    await held.rendered;
    expect((await listTree(lab.localRoot)).some((entry) => entry.includes('.exlab-creating-'))).toBe(true);

    const cancelled = c.cancel(started.session_id, { discardFiles: true });
    held.release();
    const handle = await cancelled;

    expect(handle).toMatchObject({ state: 'aborted', current_phase: null, result: null, error: { code: 'cancelled' } });
    expect(await listTree(lab.localRoot)).toEqual([]);
    // aborted sends no frame of its own (§4.7.1).
    expect(phases(await c.framesOf(started.session_id))).toEqual(['validating_inputs', 'rendering_template']);
  });

  it('with discard_files false moves the partial tree into place, where the validator reports it as an orphan', async () => {
    const held = heldRender();
    const c = testController(lab, { ports: { templates: held.templates } });
    const started = await c.createRun(runRequest());
    await held.rendered;
    const cancelled = c.cancel(started.session_id);
    held.release();
    expect((await cancelled).state).toBe('aborted');

    const destination = DESTINATION(lab);
    const tree = await listTree(destination);
    expect(tree).toContain('acquisition_notes.md');
    expect(tree).not.toContain('.exlab-wizard/creation.json');
    expect((await listTree(lab.localRoot)).filter((entry) => entry.includes('.exlab-creating-'))).toEqual([]);
    const report = await queryProblems({ kind: 'equipment_id', value: EQUIPMENT_ID }, { config: lab.config });
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'orphan', offending_path: destination }));
  });

  it('always ends aborted, whichever state it is sent in', async () => {
    const held = heldRender();
    const c = testController(lab, { ports: { templates: held.templates } });
    const started = await c.createRun(runRequest());
    const cancelled = c.cancel(started.session_id, { discardFiles: true });
    held.release();
    expect((await cancelled).state).toBe('aborted');
  });

  it('leaves a finished session as it is', async () => {
    const c = testController(lab);
    const done = await c.createRunToEnd(runRequest());
    expect(await c.cancel(done.session_id, { discardFiles: true })).toEqual(done);
    expect(await listTree(DESTINATION(lab))).toContain('.exlab-wizard/creation.json');
  });

  it('refuses an unknown session with session_not_found', async () => {
    await expect(testController(lab).cancel('6f1c2d9e-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'session_not_found' });
  });
});

describe('resume (requirements B5)', () => {
  it('refuses an unknown session, a finished one and one not waiting for input with their codes', async () => {
    const held = heldRender();
    const c = testController(lab, { ports: { templates: held.templates } });
    await expect(c.resume('6f1c2d9e-0000-4000-8000-000000000000', {})).rejects.toMatchObject({ code: 'session_not_found' });
    const running = await c.createRun(runRequest());
    await expect(c.resume(running.session_id, { color: 'blue' })).rejects.toMatchObject({ code: 'session_not_awaiting_input' });
    held.release();
    await c.settled(running.session_id);
    await expect(c.resume(running.session_id, { color: 'blue' })).rejects.toMatchObject({ code: 'session_already_completed' });
  });
});

describe('subscribe (§4.6.2, requirements C5)', () => {
  it('gives a subscriber that connects after done every frame of the session, in order', async () => {
    const c = testController(lab);
    const started = await c.createRun(runRequest());
    const early = c.framesOf(started.session_id);
    const handle = await c.settled(started.session_id);
    const late = await c.framesOf(started.session_id);

    expect(late).toEqual(await early);
    expect(phases(late)).toEqual([
      'validating_inputs',
      'rendering_template',
      'running_plugins',
      'writing_cache',
      'validating_post_creation',
      'queueing_nas_sync',
      'done',
    ]);
    expect(late.at(-1)).toEqual({ kind: 'done', result: handle.result });
    for (const frame of late) expect(SessionEventSchema.parse(frame)).toEqual(frame);
  });

  it('ends a failed session with a failed frame naming the phase', async () => {
    const c = testController(lab);
    const handle = await c.createRun(runRequest({ template_path: 'no_such_template' }));
    expect(await c.framesOf(handle.session_id)).toEqual([
      { kind: 'phase', phase: 'validating_inputs', at: expect.any(String) },
      { kind: 'failed', phase: 'validating_inputs', error: handle.error },
    ]);
  });

  it('refuses an unknown session with session_not_found', () => {
    expect(() => testController(lab).subscribe('missing')).toThrow(expect.objectContaining({ code: 'session_not_found' }));
  });
});

describe('close', () => {
  it('aborts running sessions keeping their files and refuses new ones with shutting_down', async () => {
    const held = heldRender();
    const c = testController(lab, { ports: { templates: held.templates } });
    const started = await c.createRun(runRequest());
    await held.rendered;
    const closing = c.close();
    held.release();
    await closing;
    expect(c.status(started.session_id)).toMatchObject({ state: 'aborted', error: { code: 'shutting_down' } });
    expect(await listTree(DESTINATION(lab))).toContain('acquisition_notes.md');
    await expect(c.createRun(runRequest({ run_date: '2026-03-02T10:00:00Z' }))).rejects.toMatchObject({ code: 'shutting_down' });
  });
});
