import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readCreationJson } from '@exlab/core/cache';
import { CreationJsonSchema } from '@exlab/core/schemas';
import {
  CATALOGUE_PRODUCED_AT,
  EQUIPMENT_ID,
  createTestLab,
  listTree,
  projectRequest,
  runRequest,
  testController,
  type TestLab,
} from './support/lab.js';

const PROJECT = 'Retina Mapping';

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

describe('createProject', () => {
  it('publishes <local_root>/<EQ>/<LIMS project name> from a project template with a project-level creation.json', async () => {
    const c = testController(lab);
    const started = await c.createProject(projectRequest());
    expect(started).toMatchObject({ kind: 'project', state: 'rendering' });
    const handle = await c.settled(started.session_id);
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT);

    expect(handle).toMatchObject({ state: 'done', result: { path: destination, sync_status: 'pending', blocked: false, findings: [] } });
    expect(await listTree(destination)).toEqual([
      '.exlab-answers.yml',
      '.exlab-wizard/',
      '.exlab-wizard/creation.json',
      '.exlab-wizard/readme_fields.json',
      'README.md',
      'analysis/',
      'analysis/README.txt',
      'project_plan.md',
      'protocols/',
      'protocols/README.txt',
    ]);
    const creation = CreationJsonSchema.parse(JSON.parse(await readFile(join(destination, '.exlab-wizard', 'creation.json'), 'utf8')));
    expect(creation).toMatchObject({
      level: 'project',
      created_by: 'ada-os',
      lims_project: {
        uid: 'uid-retina-0002',
        short_id: 'PROJ-0002',
        name_at_creation: PROJECT,
        source: 'offline_catalogue',
        cache_freshness_at_use: CATALOGUE_PRODUCED_AT,
      },
      template: { name: 'project_basic', version: '1.0' },
      paths: { local: destination, nas: `${lab.nasRoot}/${EQUIPMENT_ID}/${PROJECT}` },
      plugins_applied: [],
      sync_status: 'pending',
    });
    const readme = await readFile(join(destination, 'README.md'), 'utf8');
    const meta = parseYaml(readme.slice(4, readme.indexOf('\n---\n', 4))) as { system: Record<string, unknown> };
    expect(meta.system).toMatchObject({ project: 'PROJ-0002' });
    expect(meta.system).not.toHaveProperty('run_kind');
    expect(await readFile(join(destination, 'project_plan.md'), 'utf8')).toContain('Retina');
    expect((await c.framesOf(handle.session_id)).map((f) => (f.kind === 'phase' ? f.phase : f.kind))).toEqual([
      'validating_inputs',
      'rendering_template',
      'running_plugins',
      'writing_cache',
      'validating_post_creation',
      'queueing_nas_sync',
      'done',
    ]);
  });

  it('lets a run created afterwards inherit the project LIMS link from its creation.json', async () => {
    const c = testController(lab);
    await c.createProjectToEnd(projectRequest());
    const run = await c.createRunToEnd(runRequest({ project_name: PROJECT }));
    expect(run.state).toBe('done');
    expect((await readCreationJson(run.result?.path ?? '')).lims_project).toMatchObject({ uid: 'uid-retina-0002', short_id: 'PROJ-0002' });
  });

  it('refuses a project that already exists with destination_exists at the gate', async () => {
    const c = testController(lab);
    await c.createProjectToEnd(projectRequest());
    const before = await listTree(lab.localRoot);
    const handle = await c.createProject(projectRequest({ label: 'again' }));
    expect(handle.state).toBe('failed');
    expect(handle.error).toMatchObject({ code: 'destination_exists', field: 'lims_project.name' });
    expect(await listTree(lab.localRoot)).toEqual(before);
  });

  it.each([
    ['an unsafe LIMS name', { uid: 'uid-x', short_id: 'PROJ-9', name: 'Retina: Mapping' }, 'unsafe_project_name', 'lims_project.name'],
    ['a uid the catalogue does not know', { uid: 'uid-ghost', short_id: 'PROJ-9', name: 'Ghost' }, 'project_not_found', 'lims_project.uid'],
    [
      'a name differing from the catalogue',
      { uid: 'uid-retina-0002', short_id: 'PROJ-0002', name: 'Retina' },
      'validation_failed',
      'lims_project.name',
    ],
  ])('refuses %s at the gate', async (_what, lims_project, code, field) => {
    const handle = await testController(lab).createProject(projectRequest({ lims_project }));
    expect(handle.state).toBe('failed');
    expect(handle.error).toMatchObject({ code, field });
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('refuses a run template for a project as template_load_error', async () => {
    const handle = await testController(lab).createProject(projectRequest({ template_path: 'imaging_run' }));
    expect(handle.error).toMatchObject({ code: 'template_load_error', field: 'template_path' });
  });

  it('records the request LIMS project as live when no catalogue is configured', async () => {
    const config = { ...lab.config, lims: { ...lab.config.lims, offline_catalogue_path: '' } };
    const handle = await testController(lab, { getConfig: () => config }).createProjectToEnd(
      projectRequest({ lims_project: { uid: 'uid-new', short_id: 'PROJ-0777', name: 'New Study' } }),
    );
    expect((await readCreationJson(handle.result?.path ?? '')).lims_project).toEqual({
      uid: 'uid-new',
      short_id: 'PROJ-0777',
      name_at_creation: 'New Study',
      source: 'live',
      cache_freshness_at_use: null,
    });
  });
});
