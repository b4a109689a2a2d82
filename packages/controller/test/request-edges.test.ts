import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { CreationEvents } from '@exlab/controller';
import { readCreationJson } from '@exlab/core/cache';
import type { SessionError, SessionHandle } from '@exlab/core/schemas';
import {
  CATALOGUE_PROJECTS,
  EQUIPMENT_ID,
  type TestController,
  createTestLab,
  listTree,
  runRequest,
  testController,
  type TestLab,
} from './support/lab.js';

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

function controller(events: CreationEvents = {}): TestController {
  return testController(lab, { events });
}

/** The error of a creation the gate refused (the handle createRun answers is already failed). */
async function refusal(promise: Promise<SessionHandle>): Promise<SessionError> {
  const handle = await promise;
  expect(handle.state).toBe('failed');
  return handle.error as SessionError;
}

const projectDir = (): string => join(lab.localRoot, EQUIPMENT_ID, 'Cortex Q3 Pilot');

describe('createRun edge cases', () => {
  it('records request variables that are not template questions and makes them available to the template', async () => {
    await writeFile(join(lab.templatesDir, 'imaging_run', 'extra.txt.jinja'), 'batch={{ batch_code }}\n');
    const handle = await controller().createRunToEnd(runRequest({ variables: { batch_code: 'B-7' } }));
    const run = handle.result?.path ?? '';
    expect(await readFile(join(run, 'extra.txt'), 'utf8')).toBe('batch=B-7\n');
    const creation = await readCreationJson(run);
    expect(creation.variables).toMatchObject({ batch_code: 'B-7', sample_id: 'S-001' });
  });

  it('refuses a run whose project creation.json is corrupt instead of silently using the catalogue', async () => {
    await mkdir(join(projectDir(), '.exlab-wizard'), { recursive: true });
    await writeFile(join(projectDir(), '.exlab-wizard', 'creation.json'), '{ not json');
    const error = await refusal(controller().createRun(runRequest()));
    expect(error.code).toBe('cache_file_invalid');
    expect(await listTree(join(projectDir(), 'Runs'))).toEqual([]);
  });

  it('refuses a lims_project whose catalogue name differs from project_name', async () => {
    const other = CATALOGUE_PROJECTS[1];
    if (!other) throw new TypeError('the test lab needs two catalogue projects');
    const error = await refusal(
      controller().createRun(runRequest({ lims_project: { uid: other.uid, short_id: other.short_id, name: 'Cortex Q3 Pilot' } })),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('project_name');
    expect(error.message).toContain(other.name);
  });

  it('still answers done when equipment.json cannot be written after publishing, and reports a warning', async () => {
    const warnings: string[] = [];
    // A file where the equipment's .exlab-wizard folder belongs makes the equipment.json write fail.
    await mkdir(join(lab.localRoot, EQUIPMENT_ID), { recursive: true });
    await writeFile(join(lab.localRoot, EQUIPMENT_ID, '.exlab-wizard'), 'not a folder');
    const handle = await controller({ warning: (info) => warnings.push(info.message) }).createRunToEnd(runRequest());
    expect(handle.state).toBe('done');
    expect(await readCreationJson(handle.result?.path ?? '')).toMatchObject({ sync_status: 'pending' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('equipment.json');
  });

  it('refuses the second of two same-minute creations at the gate while the first is still running', async () => {
    const ctl = controller();
    const [first, second] = await Promise.all([ctl.createRun(runRequest()), ctl.createRun(runRequest())]);
    expect(first?.state).toBe('rendering');
    expect(second?.state).toBe('failed');
    expect(second?.error?.code).toBe('destination_exists');
    expect((await ctl.settled(first?.session_id ?? '')).state).toBe('done');
    expect(ctl.sessions.activeCount()).toBe(0);
  });

  it('lets a same-minute retry through after a creation the gate refused once it had taken the destination', async () => {
    const ctl = controller();
    const [refused, waiting] = await Promise.all([
      ctl.createRun(runRequest({ template_path: 'no_such_template' })),
      ctl.createRun(runRequest()),
    ]);
    expect(refused?.error?.code).toBe('template_load_error');
    // The second asked while the first held the minute, so it was refused too.
    expect(waiting?.error?.code).toBe('destination_exists');
    const retry = await ctl.createRunToEnd(runRequest());
    expect(retry.state).toBe('done');
  });
});

describe('template changes between creations', () => {
  it('reads an edited manifest for the next creation', async () => {
    const ctl = controller();
    const first = await ctl.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:00Z' }));
    expect((await readCreationJson(first.result?.path ?? '')).template.version).toBe('1.0');
    const manifestPath = join(lab.templatesDir, 'imaging_run', 'copier.yml');
    await writeFile(manifestPath, (await readFile(manifestPath, 'utf8')).replace('_exlab_version: "1.0"', '_exlab_version: "1.1"'));
    const second = await ctl.createRunToEnd(runRequest({ run_date: '2026-03-02T09:16:00Z' }));
    expect((await readCreationJson(second.result?.path ?? '')).template.version).toBe('1.1');
  });

  it('uses an equipment template added after a first creation from the global one', async () => {
    const ctl = controller();
    await ctl.createRunToEnd(runRequest({ run_date: '2026-03-02T09:15:00Z' }));
    const own = join(lab.localRoot, EQUIPMENT_ID, '.exlab-wizard', 'templates', 'imaging_run');
    await mkdir(own, { recursive: true });
    await writeFile(join(own, 'copier.yml'), '_exlab_type: run\n_exlab_version: "9.0"\n_exlab_run_scope: both\n');
    const second = await ctl.createRunToEnd(runRequest({ run_date: '2026-03-02T09:16:00Z', variables: {} }));
    expect((await readCreationJson(second.result?.path ?? '')).template).toMatchObject({ version: '9.0', source_path: own });
  });
});

describe('secret answers', () => {
  it('renders a secret answer but records it neither in creation.json nor in the answers file', async () => {
    const manifestPath = join(lab.templatesDir, 'imaging_run', 'copier.yml');
    await writeFile(manifestPath, `${await readFile(manifestPath, 'utf8')}\nscope_pin:\n  type: str\n  secret: true\n  default: "0000"\n`);
    await writeFile(join(lab.templatesDir, 'imaging_run', 'pin.txt.jinja'), 'pin={{ scope_pin }}\n');
    const handle = await controller().createRunToEnd(runRequest({ variables: { scope_pin: '4711' } }));
    const run = handle.result?.path ?? '';
    expect(await readFile(join(run, 'pin.txt'), 'utf8')).toBe('pin=4711\n');
    expect((await readCreationJson(run)).variables).not.toHaveProperty('scope_pin');
    expect(await readFile(join(run, '.exlab-answers.yml'), 'utf8')).not.toContain('4711');
  });
});

describe('README generation in a creation', () => {
  it('writes README.md whose front matter records a test run, with readme_fields.json beside it', async () => {
    const handle = await controller().createRunToEnd(
      runRequest({ run_kind: 'test', readme_custom_fields: [{ label: 'Collaborator', value: 'Dr. J. Lee' }] }),
    );
    const run = handle.result?.path ?? '';
    const readme = await readFile(join(run, 'README.md'), 'utf8');
    const end = readme.indexOf('\n---\n', 4);
    const meta = parseYaml(readme.slice(4, end)) as Record<string, unknown>;
    expect(meta).toMatchObject({
      label: 'Slice 4 baseline',
      operator: 'ada',
      custom_fields: [{ label: 'Collaborator', value: 'Dr. J. Lee' }],
      system: { run_kind: 'test', project: 'PROJ-0001', run: 'TestRun_2026-03-02T09-15', created_by: 'ada-os' },
    });
    const fields = JSON.parse(await readFile(join(run, '.exlab-wizard', 'readme_fields.json'), 'utf8')) as {
      system_fields: { created: string };
    };
    expect(fields.system_fields.created).toBe('2026-03-02T09:15:00Z');
  });

  it('refuses a blank required README field from the lab config before writing anything', async () => {
    const config = {
      ...lab.config,
      readme: { defaults: [{ id: 'irb_protocol', label: 'IRB protocol', type: 'string' as const, required: true }] },
    };
    const ctl = testController(lab, { getConfig: () => config });
    const error = await refusal(ctl.createRun(runRequest({ readme_extra: { irb_protocol: ' ' } })));
    expect(error).toMatchObject({ code: 'validation_failed', field: 'irb_protocol' });
    expect(await listTree(lab.localRoot)).toEqual([]);
  });
});

describe('per-equipment templates (§5.0)', () => {
  it('creates a run from a template in the equipment folder, which wins over a global one of the same name', async () => {
    const own = join(lab.localRoot, EQUIPMENT_ID, '.exlab-wizard', 'templates', 'imaging_run');
    await mkdir(own, { recursive: true });
    await writeFile(join(own, 'copier.yml'), '_exlab_type: run\n_exlab_version: "7.0"\n_exlab_run_scope: both\n');
    await writeFile(join(own, 'scope_only.txt.jinja'), 'made on {{ project_name }}\n');
    const handle = await controller().createRunToEnd(runRequest({ variables: {} }));
    const run = handle.result?.path ?? '';
    expect(await readFile(join(run, 'scope_only.txt'), 'utf8')).toBe('made on Cortex Q3 Pilot\n');
    expect((await readCreationJson(run)).template).toMatchObject({ name: 'imaging_run', version: '7.0', source_path: own });
  });
});
