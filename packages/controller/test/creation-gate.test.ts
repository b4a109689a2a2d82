import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gateRunRequest } from '@exlab/controller';
import { ExLabError } from '@exlab/core/errors';
import type { RunCreateRequest, SessionError } from '@exlab/core/schemas';
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

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab({ allowlist: ['ada', 'grace'] });
  // Extra templates the gate must refuse: one for test runs only, and one that is not a run template.
  const testOnly = join(lab.templatesDir, 'test_only_run');
  await mkdir(testOnly);
  await writeFile(join(testOnly, 'copier.yml'), '_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: test\n');
  const projectTemplate = join(lab.templatesDir, 'project_tpl');
  await mkdir(projectTemplate);
  await writeFile(join(projectTemplate, 'copier.yml'), '_exlab_type: project\n_exlab_version: "1.0"\n');
  const noVersion = join(lab.templatesDir, 'no_version_run');
  await mkdir(noVersion);
  await writeFile(join(noVersion, 'copier.yml'), '_exlab_type: run\n_exlab_run_scope: both\n');
  // A template folder beside the templates folder, reachable only by escaping it.
  const outside = join(lab.root, 'outside_run');
  await mkdir(outside);
  await writeFile(join(outside, 'copier.yml'), '_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: both\n');
});

afterEach(async () => {
  await lab.remove();
});

function controller(): TestController {
  return testController(lab);
}

async function rejection(promise: Promise<unknown>): Promise<ExLabError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExLabError);
    return error as ExLabError;
  }
  throw new Error('expected the creation to be refused');
}

/**
 * Creates with `c` and returns the gate's error: the handle createRun resolves with is already
 * failed, the session sent validating_inputs then failed{validating_inputs}, and nothing was written.
 */
async function gateFailure(c: TestController, request: RunCreateRequest): Promise<SessionError> {
  const before = await listTree(lab.localRoot);
  const handle = await c.createRun(request);
  expect(handle.state).toBe('failed');
  expect(handle.current_phase).toBeNull();
  expect(handle.result).toBeNull();
  const error = handle.error as SessionError;
  expect(await c.framesOf(handle.session_id)).toEqual([
    { kind: 'phase', phase: 'validating_inputs', at: expect.any(String) },
    { kind: 'failed', phase: 'validating_inputs', error },
  ]);
  expect(await listTree(lab.localRoot)).toEqual(before);
  expect(c.sessions.activeCount()).toBe(0);
  return error;
}

/** Creates with `overrides` and returns the gate's refusal. */
async function refusal(overrides: Partial<RunCreateRequest>): Promise<SessionError> {
  return gateFailure(controller(), runRequest(overrides));
}

const LONG_LABEL = 'x'.repeat(101);

describe('creation gate: each refusal and its code', () => {
  it('refuses equipment that is not configured as equipment_not_configured on equipment_id', async () => {
    const error = await refusal({ equipment_id: 'SPIM_09' });
    expect(error.code).toBe('equipment_not_configured');
    expect(error.field).toBe('equipment_id');
    expect(error.details).toEqual({ allowed: [EQUIPMENT_ID] });
    expect(error.message).toContain('SPIM_09');
  });

  it('never case-folds an equipment id', async () => {
    const error = await refusal({ equipment_id: 'confocal_01' });
    expect(error.code).toBe('equipment_not_configured');
  });

  it.each([
    ['an illegal character', 'Cortex: Q3'],
    ['a path separator', 'Cortex/Q3'],
    ['a parent reference', '..'],
    ['a trailing dot', 'Cortex.'],
    ['leading whitespace', ' Cortex'],
    ['a Windows reserved name', 'CON'],
    ['nothing at all', ''],
  ])('refuses a project name with %s as unsafe_project_name', async (_what, projectName) => {
    const error = await refusal({ project_name: projectName });
    expect(error.code).toBe('unsafe_project_name');
    expect(error.field).toBe('project_name');
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '  \t '],
  ])('refuses a label that is %s as validation_failed on label', async (_what, label) => {
    const error = await refusal({ label });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('label');
  });

  it('refuses a label longer than 100 characters after trimming as field_too_long', async () => {
    const error = await refusal({ label: ` ${LONG_LABEL} ` });
    expect(error.code).toBe('field_too_long');
    expect(error.field).toBe('label');
    expect(error.details).toMatchObject({ max_length: 100, length: 101 });
  });

  it('accepts a label of exactly 100 characters, with surrounding whitespace trimmed', async () => {
    const handle = await controller().createRunToEnd(runRequest({ label: `  ${'y'.repeat(100)}  ` }));
    expect(handle.state).toBe('done');
  });

  it('refuses a blank operator as validation_failed on operator', async () => {
    const error = await refusal({ operator: '   ' });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('operator');
  });

  it('refuses an operator missing from a non-empty allowlist and lists the allowed operators', async () => {
    const error = await refusal({ operator: 'mallory' });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('operator');
    expect(error.details).toEqual({ allowed: ['ada', 'grace'] });
  });

  it('compares the trimmed operator with the allowlist', async () => {
    const handle = await controller().createRunToEnd(runRequest({ operator: '  grace ' }));
    expect(handle.state).toBe('done');
  });

  it('accepts any operator when the allowlist is empty', async () => {
    const config = { ...lab.config, operators: { allowlist: [] } };
    const handle = await testController(lab, { getConfig: () => config }).createRunToEnd(runRequest({ operator: 'mallory' }));
    expect(handle.state).toBe('done');
  });

  it('refuses a blank objective as validation_failed on objective', async () => {
    const error = await refusal({ objective: '\n\n' });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('objective');
  });

  it('refuses an objective of 2001 characters as field_too_long and accepts 2000', async () => {
    const error = await refusal({ objective: 'o'.repeat(2001) });
    expect(error.code).toBe('field_too_long');
    expect(error.field).toBe('objective');
    expect(error.details).toMatchObject({ max_length: 2000 });
    expect((await controller().createRunToEnd(runRequest({ objective: 'o'.repeat(2000) }))).state).toBe('done');
  });

  it.each([
    ['an unknown template', 'no_such_template'],
    ['a relative path escaping the templates folder', '../outside_run'],
    ['the templates folder itself', '.'],
    ['a template of another type', 'project_tpl'],
    ['a template without _exlab_version', 'no_version_run'],
  ])('refuses %s as template_load_error on template_path', async (_what, templatePath) => {
    const error = await refusal({ template_path: templatePath });
    expect(error.code).toBe('template_load_error');
    expect(error.field).toBe('template_path');
  });

  it('refuses an absolute template path outside the templates folder as template_load_error', async () => {
    const error = await refusal({ template_path: join(lab.root, 'outside_run') });
    expect(error.code).toBe('template_load_error');
    expect(error.field).toBe('template_path');
  });

  it('accepts an absolute template path inside the templates folder', async () => {
    const handle = await controller().createRunToEnd(runRequest({ template_path: join(lab.templatesDir, 'imaging_run') }));
    expect(handle.state).toBe('done');
  });

  it('refuses a run template whose scope excludes the run kind as template_load_error', async () => {
    const error = await refusal({ template_path: 'test_only_run', run_kind: 'experimental' });
    expect(error.code).toBe('template_load_error');
    expect(error.details).toMatchObject({ run_scope: 'test', run_kind: 'experimental' });
  });

  it('refuses a project that is not in the catalogue as project_not_found and lists the known projects', async () => {
    const error = await refusal({ project_name: 'Unknown Project' });
    expect(error.code).toBe('project_not_found');
    expect(error.field).toBe('project_name');
    expect(error.details).toEqual({ allowed: ['Cortex Q3 Pilot', 'Retina Mapping'] });
  });

  it('refuses a request lims_project whose uid is not in the catalogue as project_not_found', async () => {
    const error = await refusal({ lims_project: { uid: 'uid-ghost', short_id: 'PROJ-0666', name: 'Cortex Q3 Pilot' } });
    expect(error.code).toBe('project_not_found');
  });

  it('refuses a request lims_project named differently from project_name as validation_failed', async () => {
    const error = await refusal({ lims_project: { uid: 'uid-cortex-0001', short_id: 'PROJ-0001', name: 'Something Else' } });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('lims_project.name');
  });

  it('refuses a project without creation.json and without a catalogue or request lims_project as project_not_found', async () => {
    const config = { ...lab.config, lims: { ...lab.config.lims, offline_catalogue_path: '' } };
    const error = await gateFailure(testController(lab, { getConfig: () => config }), runRequest());
    expect(error.code).toBe('project_not_found');
    expect(error.field).toBe('lims_project');
  });

  it('refuses an answer that is not one of the template choices as validation_failed on the variable', async () => {
    const error = await refusal({ variables: { objective_lens: '100x water' } });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('variables.objective_lens');
    expect(error.details).toMatchObject({ allowed: ['10x air', '20x air', '40x oil', '63x oil'] });
  });

  it('refuses an answer of the wrong type as validation_failed on the variable', async () => {
    const error = await refusal({ variables: { laser_power_pct: 'bright' } });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('variables.laser_power_pct');
  });

  it('refuses to create anything while no configuration is loaded (setup_incomplete)', async () => {
    const error = await rejection(testController(lab, { getConfig: () => null }).createRun(runRequest()));
    expect(error.code).toBe('setup_incomplete');
    expect(await listTree(lab.localRoot)).toEqual([]);
  });
});

describe('creation gate: the first failure wins (requirements B3 order)', () => {
  const cases: [string, Partial<RunCreateRequest>, string, string | undefined][] = [
    [
      'unknown equipment over everything else',
      {
        equipment_id: 'NOPE',
        project_name: 'a:b',
        label: '',
        operator: '',
        objective: '',
        template_path: 'missing',
      },
      'equipment_not_configured',
      'equipment_id',
    ],
    [
      'an unsafe project name over a blank label',
      { project_name: 'a|b', label: '', operator: '', objective: '' },
      'unsafe_project_name',
      'project_name',
    ],
    ['a blank label over a blank operator', { label: ' ', operator: '', objective: '' }, 'validation_failed', 'label'],
    ['a long label over a blank operator', { label: LONG_LABEL, operator: '' }, 'field_too_long', 'label'],
    ['a blank operator over an unlisted one and a blank objective', { operator: '', objective: '' }, 'validation_failed', 'operator'],
    ['an unlisted operator over a blank objective', { operator: 'mallory', objective: '' }, 'validation_failed', 'operator'],
    ['a blank objective over a bad template', { objective: ' ', template_path: 'missing' }, 'validation_failed', 'objective'],
    ['a long objective over a bad template', { objective: 'o'.repeat(2001), template_path: 'missing' }, 'field_too_long', 'objective'],
    [
      'a bad template over an unknown project',
      { template_path: 'missing', project_name: 'Unknown Project' },
      'template_load_error',
      'template_path',
    ],
  ];

  it.each(cases)('reports %s', async (_what, overrides, code, field) => {
    const error = await refusal(overrides);
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
  });

  it('gateRunRequest returns the trimmed core fields and the configured equipment', () => {
    const gated = gateRunRequest(lab.config, runRequest({ label: ' L ', operator: ' ada ', objective: ' O ' }));
    expect(gated).toEqual({ equipment: lab.config.equipment[0], label: 'L', operator: 'ada', objective: 'O' });
  });
});

describe('creation gate: an existing destination', () => {
  it('refuses a second run in the same minute as destination_exists and leaves the first run byte-identical', async () => {
    const c = controller();
    const first = await c.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:05Z', label: 'First' }));
    expect(first.state).toBe('done');
    const before = await snapshotFiles(lab.localRoot);
    const treeBefore = await listTree(lab.localRoot);

    // Refused at the gate, before rendering: the frames end at validating_inputs.
    const error = await gateFailure(
      c,
      runRequest({ run_date: '2026-03-02T09:15:55Z', label: 'Second', variables: { sample_id: 'S-999' } }),
    );

    expect(error.code).toBe('destination_exists');
    expect(error.message).toContain('already exists');
    expect(error.field).toBe('run_date');
    expect(error.details).toEqual({ path: first.result?.path });
    expect(await listTree(lab.localRoot)).toEqual(treeBefore);
    expect(await snapshotFiles(lab.localRoot)).toEqual(before);
  });

  it('allows the same minute for an experimental run and a test run', async () => {
    const c = controller();
    expect((await c.createRunToEnd(runRequest({ run_kind: 'experimental' }))).state).toBe('done');
    expect((await c.createRunToEnd(runRequest({ run_kind: 'test' }))).state).toBe('done');
  });

  it.each([
    ['an empty folder', async (path: string) => mkdir(path, { recursive: true })],
    ['a file', async (path: string) => mkdir(join(path, '..'), { recursive: true }).then(() => writeFile(path, 'not a run'))],
  ])('refuses a destination that already exists as %s and leaves it alone', async (_what, make) => {
    const destination = join(lab.localRoot, EQUIPMENT_ID, 'Cortex Q3 Pilot', 'Runs', 'Run_2026-03-02T09-15');
    await make(destination);
    const error = await gateFailure(controller(), runRequest());
    expect(error.code).toBe('destination_exists');
  });
});
