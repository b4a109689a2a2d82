import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nasPathFor } from '@exlab/controller';
import { SessionHandleSchema } from '@exlab/core/schemas';
import {
  EQUIPMENT_ID,
  type TestController,
  createTestLab,
  listTree,
  runRequest,
  snapshotFiles,
  testController,
  type TestLab,
} from './support/lab.js';

const PROJECT = 'Cortex Q3 Pilot';

let lab: TestLab;

/** Adds a run template named `name` to the lab with the given files (relative path to content). */
async function addRunTemplate(name: string, files: Record<string, string>, questions = ''): Promise<void> {
  const dir = join(lab.templatesDir, name);
  await mkdir(dir);
  await writeFile(join(dir, 'copier.yml'), `_exlab_type: run\n_exlab_version: "2.1"\n_exlab_run_scope: both\n${questions}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

beforeEach(async () => {
  lab = await createTestLab();
  // Passes the gate (the manifest loads) but throws while rendering: nunjucks knows no such filter.
  await addRunTemplate('broken_filter_run', {
    'aaa_plain.txt': 'copied before the failure\n',
    'notes.md.jinja': '{{ label | nosuchfilter }}\n',
  });
  // Renders fine, then collides with the creation.json the pipeline writes after rendering.
  await addRunTemplate('creation_clash_run', {
    'notes.md.jinja': '{{ label }}\n',
    '.exlab-wizard/creation.json': '{"not": "ours"}\n',
  });
  // A path segment that renders to a path, not a name.
  await addRunTemplate('bad_segment_run', { 'ok.txt': 'ok\n', '{{ sample_id }}.txt': 'x\n' }, 'sample_id: "slide/4"\n');
});

afterEach(async () => {
  await lab.remove();
});

function controller(events?: { failed: (info: unknown) => void; created: (info: unknown) => void }): TestController {
  return testController(lab, events ? { events } : {});
}

/** The phase named by the session's failed frame. */
async function failedPhase(c: TestController, sessionId: string): Promise<string | undefined> {
  const frames = await c.framesOf(sessionId);
  const last = frames.at(-1);
  return last?.kind === 'failed' ? last.phase : undefined;
}

describe('run pipeline failures after the gate', () => {
  it('ends the session failed with the render error, publishes nothing and leaves nothing under local_root', async () => {
    const failed: unknown[] = [];
    const created: unknown[] = [];
    const c = controller({ failed: (info) => failed.push(info), created: (info) => created.push(info) });

    const handle = await c.createRunToEnd(runRequest({ template_path: 'broken_filter_run', variables: {} }));

    expect(SessionHandleSchema.parse(handle)).toEqual(handle);
    expect(handle.state).toBe('failed');
    expect(handle.current_phase).toBeNull();
    expect(handle.result).toBeNull();
    // core renders a template's Jinja error as the template's fault, naming the file.
    expect(handle.error?.code).toBe('template_load_error');
    expect(handle.error?.field).toBe('notes.md.jinja');
    expect(handle.error?.message).toMatch(/nosuchfilter/);
    expect(await listTree(lab.localRoot)).toEqual([]);
    expect(created).toEqual([]);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ equipmentId: EQUIPMENT_ID, project: PROJECT });
    expect(c.status(handle.session_id)).toEqual(handle);
    expect(await failedPhase(c, handle.session_id)).toBe('rendering_template');
  });

  it('still ends the session failed, not rejected, when the failed observer throws', async () => {
    const c = testController(lab, {
      events: {
        failed: () => {
          throw new Error('log unwritable');
        },
      },
    });
    const handle = await c.createRunToEnd(runRequest({ template_path: 'broken_filter_run', variables: {} }));
    expect(handle.state).toBe('failed');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('removes a partly written temporary tree when a cache write fails after rendering', async () => {
    const c = controller();
    const handle = await c.createRunToEnd(runRequest({ template_path: 'creation_clash_run', variables: {} }));

    expect(handle.state).toBe('failed');
    expect(handle.error?.code).toBe('cache_file_exists');
    expect(await failedPhase(c, handle.session_id)).toBe('writing_cache');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('fails a template whose path segment renders to a path as template_load_error and publishes nothing', async () => {
    const handle = await controller().createRunToEnd(runRequest({ template_path: 'bad_segment_run', variables: {} }));

    expect(handle.state).toBe('failed');
    expect(handle.error?.code).toBe('template_load_error');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('keeps an existing project tree byte-identical when a later run fails', async () => {
    const c = controller();
    const first = await c.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:00Z' }));
    expect(first.state).toBe('done');
    const before = await snapshotFiles(lab.localRoot);
    const treeBefore = await listTree(lab.localRoot);

    const handle = await c.createRunToEnd(
      runRequest({ run_date: '2026-03-02T10:00:00Z', template_path: 'broken_filter_run', variables: {} }),
    );

    expect(handle.state).toBe('failed');
    expect(await listTree(lab.localRoot)).toEqual(treeBefore);
    expect(await snapshotFiles(lab.localRoot)).toEqual(before);
  });

  it('keeps folders of the first test run when a failed experimental run shares the project', async () => {
    const c = controller();
    expect((await c.createRunToEnd(runRequest({ run_kind: 'test' }))).state).toBe('done');
    const treeBefore = await listTree(lab.localRoot);

    const handle = await c.createRunToEnd(runRequest({ run_kind: 'experimental', template_path: 'broken_filter_run', variables: {} }));

    expect(handle.state).toBe('failed');
    expect(await listTree(lab.localRoot)).toEqual(treeBefore);
  });

  it('lets the same minute be created once the failure is fixed', async () => {
    const c = controller();
    expect((await c.createRunToEnd(runRequest({ template_path: 'broken_filter_run', variables: {} }))).state).toBe('failed');
    const retry = await c.createRunToEnd(runRequest());
    expect(retry.state).toBe('done');
    expect(retry.result?.path).toBe(join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15'));
  });
});

describe('nasPathFor', () => {
  it('mirrors the local layout under nas_root/<EQ> without doubling a trailing separator', () => {
    const equipment = { ...lab.config.equipment[0]!, nas_root: '//nas/imaging//' };
    expect(nasPathFor(equipment, [PROJECT, 'Runs', 'Run_2026-03-02T09-15'])).toBe(
      `//nas/imaging/${EQUIPMENT_ID}/${PROJECT}/Runs/Run_2026-03-02T09-15`,
    );
  });
});
