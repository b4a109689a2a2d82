import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreationEvents } from '@exlab/controller';
import { CacheWriter, readCreationJson } from '@exlab/core/cache';
import { CreationJsonSchema, EquipmentJsonSchema, RunKindMarkerSchema, SessionHandleSchema } from '@exlab/core/schemas';
import {
  IMAGING_RUN_FILES,
  CATALOGUE_PRODUCED_AT,
  EQUIPMENT_ID,
  EQUIPMENT_LABEL,
  ORCHESTRATOR_LABEL,
  SENTINEL,
  createTestLab,
  listTree,
  runRequest,
  snapshotFiles,
  TestController,
  type TestLab,
} from './support/lab.js';

const PROJECT = 'Cortex Q3 Pilot';

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

function controllerFor(testLab: TestLab, events?: CreationEvents, clock?: () => Date): TestController {
  return new TestController({
    getConfig: () => testLab.config,
    osUser: 'ada-os',
    hostname: 'bench-host',
    ...(events ? { events } : {}),
    ...(clock ? { clock } : {}),
  });
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

describe('createRun on success', () => {
  it('publishes the run folder at <local_root>/<EQ>/<project>/Runs/Run_<stamp of run_date> and ends the session done', async () => {
    const controller = controllerFor(lab);
    const handle = await controller.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:42Z' }));

    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');
    expect(SessionHandleSchema.parse(handle)).toEqual(handle);
    expect(handle.kind).toBe('run');
    expect(handle.state).toBe('done');
    expect(handle.current_phase).toBe('done');
    expect(handle.next_action).toBe('none');
    expect(handle.error).toBeNull();
    expect(handle.result).toEqual({ path: destination, sync_status: 'pending', blocked: false, findings: [] });
    expect(await listTree(destination)).toEqual(IMAGING_RUN_FILES);
  });

  it('names the run folder after the UTC minute of a run_date given with an offset', async () => {
    const handle = await controllerFor(lab).createRunToEnd(runRequest({ run_date: '2026-03-02T10:15:00+01:00' }));
    expect(handle.result?.path).toBe(join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15'));
  });

  it('takes the run date from the clock when the request has no run_date', async () => {
    const clock = (): Date => new Date('2026-07-14T22:05:09Z');
    const handle = await controllerFor(lab, undefined, clock).createRunToEnd(runRequest({ run_date: undefined }));
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-07-14T22-05');
    expect(handle.result?.path).toBe(destination);
    expect((await readCreationJson(destination)).created_at).toBe('2026-07-14T22:05:09Z');
    expect(handle.created_at).toBe('2026-07-14T22:05:09Z');
  });

  it('renders the answers and the core fields into the template files and copies plain files byte for byte', async () => {
    const handle = await controllerFor(lab).createRunToEnd(runRequest());
    const destination = handle.result?.path ?? '';

    const notes = await readFile(join(destination, 'acquisition_notes.md'), 'utf8');
    expect(notes).toContain('# Acquisition notes: Slice 4 baseline');
    expect(notes).toContain('- Project: Cortex Q3 Pilot (PROJ-0001)');
    expect(notes).toContain('- Run kind: experimental');
    expect(notes).toContain('- Operator: ada');
    expect(notes).toContain('- Sample: S-042');
    expect(notes).toContain('- Objective lens: 63x oil');
    expect(notes).toContain('- Laser power: 7.5 %');
    expect(notes).toContain('Measure baseline fluorescence in slice 4.');
    expect(await readFile(join(destination, 'settings', 'acquisition.yaml'), 'utf8')).toBe(
      'sample_id: "S-042"\nobjective_lens: "63x oil"\nlaser_power_pct: 7.5\noperator: "ada"\n',
    );
    expect(await readFile(join(destination, 'raw', 'README.txt'))).toEqual(
      await readFile(join(lab.templatesDir, 'imaging_run', 'raw', 'README.txt')),
    );
  });

  it('trims the core fields before rendering them', async () => {
    const handle = await controllerFor(lab).createRunToEnd(
      runRequest({ label: '  Slice 5  ', operator: ' ada ', objective: '\tCount cells.\n' }),
    );
    const notes = await readFile(join(handle.result?.path ?? '', 'acquisition_notes.md'), 'utf8');
    expect(notes).toContain('# Acquisition notes: Slice 5\n');
    expect(notes).toContain('- Operator: ada\n');
    expect(notes).toContain('\nCount cells.\n');
  });

  it('fills unanswered template questions with their defaults', async () => {
    const handle = await controllerFor(lab).createRunToEnd(runRequest({ variables: {} }));
    const settings = await readFile(join(handle.result?.path ?? '', 'settings', 'acquisition.yaml'), 'utf8');
    expect(settings).toBe('sample_id: "S-001"\nobjective_lens: "40x oil"\nlaser_power_pct: 5\noperator: "ada"\n');
  });

  it('writes .exlab-answers.yml with the answers, the template name, version and source path', async () => {
    const handle = await controllerFor(lab).createRunToEnd(runRequest());
    const answers = await readFile(join(handle.result?.path ?? '', '.exlab-answers.yml'), 'utf8');
    expect(answers).toContain(`_src_path: ${join(lab.templatesDir, 'imaging_run')}`);
    expect(answers).toContain('_exlab_template: imaging_run');
    expect(answers).toMatch(/_exlab_version: "?1\.0"?/);
    expect(answers).toContain('sample_id: S-042');
    expect(answers).toContain('objective_lens: 63x oil');
    expect(answers).toContain('laser_power_pct: 7.5');
  });

  it('writes a creation.json at schema 1.9 with the run, the catalogue project, the template, both paths and the orchestrator relay fields', async () => {
    const handle = await controllerFor(lab).createRunToEnd(runRequest());
    const destination = handle.result?.path ?? '';
    const raw = await readJson(join(destination, '.exlab-wizard', 'creation.json'));
    const creation = CreationJsonSchema.parse(raw);

    expect(Object.keys(raw as object)[0]).toBe('schema_version');
    expect(creation.schema_version).toBe('1.9');
    expect(creation.created_at).toBe('2026-03-02T09:15:00Z');
    expect(creation.created_by).toBe('ada-os');
    expect(creation.level).toBe('run');
    expect(creation.run_kind).toBe('experimental');
    expect(creation.lims_project).toEqual({
      uid: 'uid-cortex-0001',
      short_id: 'PROJ-0001',
      name_at_creation: PROJECT,
      source: 'offline_catalogue',
      cache_freshness_at_use: CATALOGUE_PRODUCED_AT,
    });
    expect(creation.template).toEqual({
      name: 'imaging_run',
      version: '1.0',
      source_path: join(lab.templatesDir, 'imaging_run'),
      run_scope: 'both',
    });
    expect(creation.variables).toEqual({ sample_id: 'S-042', objective_lens: '63x oil', laser_power_pct: 7.5 });
    expect(creation.paths).toEqual({
      local: destination,
      nas: `${lab.nasRoot}/${EQUIPMENT_ID}/${PROJECT}/Runs/Run_2026-03-02T09-15`,
    });
    expect(creation.orchestrator).toEqual({
      enabled: true,
      host: 'bench-host',
      label: ORCHESTRATOR_LABEL,
      equipment_label: EQUIPMENT_LABEL,
      completeness_signal: 'sentinel_file',
      sentinel_filename: SENTINEL,
    });
    expect(creation.plugins_applied).toEqual([]);
    expect(creation.validation_overrides).toEqual([]);
    expect(creation.sync_status).toBe('pending');
    expect(await readCreationJson(destination)).toEqual(creation);
  });

  it('writes Runs/.exlab-wizard/runs.json on the first run and leaves it untouched on later runs', async () => {
    const controller = controllerFor(lab);
    await controller.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:00Z' }));
    const markerPath = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', '.exlab-wizard', 'runs.json');
    const first = await readFile(markerPath);
    expect(RunKindMarkerSchema.parse(JSON.parse(first.toString('utf8')))).toEqual({
      schema_version: '1.0',
      run_kind: 'experimental',
      created_at: '2026-03-02T09:15:00Z',
      project: PROJECT,
      equipment: EQUIPMENT_ID,
    });

    await controller.createRunToEnd(runRequest({ run_date: '2026-03-02T11:40:00Z' }));
    expect(await readFile(markerPath)).toEqual(first);
    expect(await listTree(join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'TestRuns'))).toEqual([]);
  });

  it('writes equipment.json from the configured values and keeps first_seen_at across runs', async () => {
    const controller = controllerFor(lab);
    await controller.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:00Z' }));
    await controller.createRunToEnd(runRequest({ run_date: '2026-03-05T16:00:00Z' }));
    const equipment = EquipmentJsonSchema.parse(await readJson(join(lab.localRoot, EQUIPMENT_ID, '.exlab-wizard', 'equipment.json')));
    expect(equipment).toEqual({
      schema_version: '1.0',
      id: EQUIPMENT_ID,
      label: EQUIPMENT_LABEL,
      configured_local_root: lab.localRoot,
      configured_nas_root: lab.nasRoot,
      first_seen_at: '2026-03-02T09:15:00Z',
      last_modified_at: '2026-03-05T16:00:00Z',
    });
  });

  it('puts test runs under TestRuns/TestRun_<stamp> with their own test_runs.json marker', async () => {
    const handle = await controllerFor(lab).createRunToEnd(runRequest({ run_kind: 'test' }));
    const projectDirectory = join(lab.localRoot, EQUIPMENT_ID, PROJECT);
    const destination = join(projectDirectory, 'TestRuns', 'TestRun_2026-03-02T09-15');

    expect(handle.state).toBe('done');
    expect(handle.result?.path).toBe(destination);
    const creation = await readCreationJson(destination);
    expect(creation.run_kind).toBe('test');
    expect(creation.paths.nas).toBe(`${lab.nasRoot}/${EQUIPMENT_ID}/${PROJECT}/TestRuns/TestRun_2026-03-02T09-15`);
    expect(RunKindMarkerSchema.parse(await readJson(join(projectDirectory, 'TestRuns', '.exlab-wizard', 'test_runs.json')))).toMatchObject({
      run_kind: 'test',
      project: PROJECT,
      equipment: EQUIPMENT_ID,
    });
    expect(await listTree(join(projectDirectory, 'Runs'))).toEqual([]);
    expect(await readFile(join(destination, 'acquisition_notes.md'), 'utf8')).toContain('- Run kind: test');
  });

  it('leaves no hidden .exlab-creating-* folder behind', async () => {
    const controller = controllerFor(lab);
    await controller.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:00Z' }));
    await controller.createRunToEnd(runRequest({ run_date: '2026-03-02T09:16:00Z', run_kind: 'test' }));
    const tree = await listTree(lab.localRoot);
    expect(tree.filter((entry) => entry.includes('.exlab-creating-'))).toEqual([]);
    expect(tree).toContain(`${EQUIPMENT_ID}/${PROJECT}/Runs/Run_2026-03-02T09-15/`);
    expect(tree).toContain(`${EQUIPMENT_ID}/${PROJECT}/TestRuns/TestRun_2026-03-02T09-16/`);
  });

  it('reports the published run to the created observer', async () => {
    const created: unknown[] = [];
    const failed: unknown[] = [];
    await controllerFor(lab, { created: (info) => created.push(info), failed: (info) => failed.push(info) }).createRunToEnd(runRequest());
    expect(failed).toEqual([]);
    expect(created).toEqual([
      {
        equipmentDirectory: join(lab.localRoot, EQUIPMENT_ID),
        equipmentId: EQUIPMENT_ID,
        project: PROJECT,
        runKind: 'experimental',
        path: join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15'),
        template: 'imaging_run',
        version: '1.0',
      },
    ]);
  });

  it('ends the session done even when the created observer throws', async () => {
    const handle = await controllerFor(lab, {
      created: () => {
        throw new Error('equipment log unwritable');
      },
    }).createRunToEnd(runRequest());
    expect(handle.state).toBe('done');
    expect(handle.error).toBeNull();
    expect((await readCreationJson(handle.result?.path ?? '')).sync_status).toBe('pending');
  });

  it('keeps the session so status returns the same done snapshot', async () => {
    const controller = controllerFor(lab);
    const handle = await controller.createRunToEnd(runRequest());
    expect(controller.status(handle.session_id)).toEqual(handle);
    expect(controller.sessions.activeCount()).toBe(0);
  });

  it('reads the configuration on every request, so a config change applies without a new controller', async () => {
    let config = lab.config;
    const controller = new TestController({ getConfig: () => config, osUser: 'ada-os', hostname: 'bench-host' });
    const otherRoot = join(lab.root, 'moved-local');
    config = { ...lab.config, paths: { ...lab.config.paths, local_root: otherRoot } };
    const handle = await controller.createRunToEnd(runRequest());
    expect(handle.result?.path).toBe(join(otherRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15'));
    expect(await listTree(lab.localRoot)).toEqual([]);
  });

  it('uses an equipment local_root over paths.local_root', async () => {
    const ownRoot = join(lab.root, 'confocal-disk');
    const config = { ...lab.config, equipment: lab.config.equipment.map((e) => ({ ...e, local_root: ownRoot })) };
    const controller = new TestController({ getConfig: () => config, osUser: 'ada-os', hostname: 'bench-host' });
    const handle = await controller.createRunToEnd(runRequest());
    expect(handle.result?.path).toBe(join(ownRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15'));
    const equipment = EquipmentJsonSchema.parse(await readJson(join(ownRoot, EQUIPMENT_ID, '.exlab-wizard', 'equipment.json')));
    expect(equipment.configured_local_root).toBe(ownRoot);
    expect(await listTree(lab.localRoot)).toEqual([]);
  });
});

describe('createRun and the LIMS project', () => {
  it('inherits lims_project from the project folder creation.json instead of the catalogue', async () => {
    const projectName = 'Legacy Project';
    const projectDirectory = join(lab.localRoot, EQUIPMENT_ID, projectName);
    const inherited = {
      uid: 'uid-legacy-9',
      short_id: 'PROJ-0099',
      name_at_creation: projectName,
      source: 'live' as const,
      cache_freshness_at_use: null,
    };
    await new CacheWriter().createCreation(projectDirectory, {
      created_at: '2025-11-01T08:00:00Z',
      created_by: 'grace',
      level: 'project',
      run_kind: 'experimental',
      lims_project: inherited,
      template: { name: 'project_tpl', version: '1.0', source_path: '/templates/project_tpl' },
      variables: {},
      paths: { local: projectDirectory, nas: `${lab.nasRoot}/${EQUIPMENT_ID}/${projectName}` },
      plugins_applied: [],
      orchestrator: { enabled: true, host: 'old-host', label: ORCHESTRATOR_LABEL },
      sync_status: 'synced',
      validation_overrides: [],
    });
    const projectBefore = await snapshotFiles(projectDirectory);

    const handle = await controllerFor(lab).createRunToEnd(runRequest({ project_name: projectName }));

    expect(handle.state).toBe('done');
    const creation = await readCreationJson(handle.result?.path ?? '');
    expect(creation.lims_project).toEqual(inherited);
    expect(await readFile(join(handle.result?.path ?? '', 'acquisition_notes.md'), 'utf8')).toContain(
      '- Project: Legacy Project (PROJ-0099)',
    );
    expect(await readFile(join(projectDirectory, '.exlab-wizard', 'creation.json'))).toEqual(
      projectBefore.get('.exlab-wizard/creation.json'),
    );
  });

  it('looks a request lims_project up by uid in the catalogue', async () => {
    const handle = await controllerFor(lab).createRunToEnd(
      runRequest({
        project_name: 'Retina Mapping',
        lims_project: { uid: 'uid-retina-0002', short_id: 'PROJ-0002', name: 'Retina Mapping' },
      }),
    );
    const creation = await readCreationJson(handle.result?.path ?? '');
    expect(creation.lims_project).toMatchObject({ uid: 'uid-retina-0002', short_id: 'PROJ-0002', source: 'offline_catalogue' });
  });

  it('uses a request lims_project as a live project when no catalogue is configured', async () => {
    const config = { ...lab.config, lims: { ...lab.config.lims, offline_catalogue_path: '' } };
    const controller = new TestController({ getConfig: () => config, osUser: 'ada-os', hostname: 'bench-host' });
    const handle = await controller.createRunToEnd(
      runRequest({ project_name: 'Fresh Project', lims_project: { uid: 'uid-fresh', short_id: 'PROJ-0500', name: 'Fresh Project' } }),
    );
    const creation = await readCreationJson(handle.result?.path ?? '');
    expect(creation.lims_project).toEqual({
      uid: 'uid-fresh',
      short_id: 'PROJ-0500',
      name_at_creation: 'Fresh Project',
      source: 'live',
      cache_freshness_at_use: null,
    });
  });
});
