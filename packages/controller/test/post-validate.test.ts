import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncEnqueueRequest } from '@exlab/controller';
import { readCreationJson } from '@exlab/core/cache';
import { FindingSchema } from '@exlab/core/schemas';
import { EQUIPMENT_ID, createTestLab, runRequest, testController, type TestLab } from './support/lab.js';

const PROJECT = 'Cortex Q3 Pilot';

let lab: TestLab;

/** Adds a run template `name` with the given files. */
async function addRunTemplate(name: string, files: Record<string, string>): Promise<void> {
  const dir = join(lab.templatesDir, name);
  await mkdir(dir);
  await writeFile(join(dir, 'copier.yml'), '_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: both\n');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

beforeEach(async () => {
  lab = await createTestLab();
  await addRunTemplate('leftover_run', { 'notes.txt.jinja': 'Run {{ label }}\nSample: <sample_name>\n' });
});

afterEach(async () => {
  await lab.remove();
});

/** A NAS sync port that records what it is handed. */
function recordingSync(): { enqueue: (request: SyncEnqueueRequest) => void; queued: SyncEnqueueRequest[] } {
  const queued: SyncEnqueueRequest[] = [];
  return { queued, enqueue: (request) => void queued.push(request) };
}

describe('post-creation validation and the sync decision (§4.7, §7.3)', () => {
  it('ends a tree with a leftover <placeholder> done with blocked: true, blocked_by_validation, and a warning before done', async () => {
    const sync = recordingSync();
    const c = testController(lab, { ports: { sync } });
    const handle = await c.createRunToEnd(runRequest({ template_path: 'leftover_run', variables: {} }));
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');

    expect(handle.state).toBe('done');
    expect(handle.result).toMatchObject({ path: destination, sync_status: 'blocked_by_validation', blocked: true });
    const findings = handle.result?.findings ?? [];
    expect(findings.map((f) => FindingSchema.parse(f))).toContainEqual(
      expect.objectContaining({
        rule: 'unresolved_placeholder_token',
        tier: 'hard',
        offending_path: join(destination, 'notes.txt'),
        matched_token: '<sample_name>',
      }),
    );
    expect((await readCreationJson(destination)).sync_status).toBe('blocked_by_validation');
    expect(await readFile(join(destination, 'notes.txt'), 'utf8')).toContain('<sample_name>');
    expect(sync.queued).toEqual([]);

    const frames = await c.framesOf(handle.session_id);
    const kinds = frames.map((f) => f.kind);
    const warning = frames.findIndex((f) => f.kind === 'warning');
    expect(warning).toBeGreaterThan(-1);
    expect(warning).toBeLessThan(kinds.indexOf('done'));
    expect(frames[warning]).toMatchObject({
      kind: 'warning',
      phase: 'queueing_nas_sync',
      message: expect.stringContaining('<sample_name>'),
    });
    expect(frames.at(-1)).toEqual({ kind: 'done', result: handle.result });
  });

  it('enqueues a clean run to the sync port once, after it is published, and keeps sync_status pending', async () => {
    const sync = recordingSync();
    let publishedWhenQueued = false;
    const c = testController(lab, {
      ports: {
        sync: {
          enqueue: async (request) => {
            publishedWhenQueued = (await readCreationJson(request.path).catch(() => null)) !== null;
            sync.enqueue(request);
          },
        },
      },
    });
    const handle = await c.createRunToEnd(runRequest());
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');
    expect(handle.result).toEqual({ path: destination, sync_status: 'pending', blocked: false, findings: [] });
    expect(sync.queued).toEqual([
      {
        path: destination,
        nasPath: `${lab.nasRoot}/${EQUIPMENT_ID}/${PROJECT}/Runs/Run_2026-03-02T09-15`,
        equipmentId: EQUIPMENT_ID,
        level: 'run',
      },
    ]);
    expect(publishedWhenQueued).toBe(true);
    expect((await c.framesOf(handle.session_id)).map((f) => f.kind)).not.toContain('warning');
  });

  it('still ends done when the sync port throws, with a warning and the run pending', async () => {
    const c = testController(lab, {
      ports: {
        sync: {
          enqueue: () => {
            throw new Error('queue database locked');
          },
        },
      },
    });
    const handle = await c.createRunToEnd(runRequest());
    expect(handle).toMatchObject({ state: 'done', result: { sync_status: 'pending', blocked: false } });
    const frames = await c.framesOf(handle.session_id);
    expect(frames).toContainEqual({
      kind: 'warning',
      phase: 'queueing_nas_sync',
      message: expect.stringContaining('queue database locked'),
    });
  });

  it('without a sync port enqueues nothing and leaves creation.json pending', async () => {
    const handle = await testController(lab).createRunToEnd(runRequest());
    expect(handle.result?.sync_status).toBe('pending');
    expect((await readCreationJson(handle.result?.path ?? '')).sync_status).toBe('pending');
  });

  it('blocks a run whose tree holds a file name Windows refuses, and names the character', async () => {
    await addRunTemplate('colon_run', { 'scan:01.txt': 'raw\n' });
    const handle = await testController(lab).createRunToEnd(runRequest({ template_path: 'colon_run', variables: {} }));
    expect(handle.result).toMatchObject({ blocked: true, sync_status: 'blocked_by_validation' });
    expect(handle.result?.findings).toContainEqual(expect.objectContaining({ rule: 'illegal_filesystem_character', matched_token: ':' }));
  });
});
