import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TemplateLoadError } from '@exlab/core/errors';
import {
  lintTemplate,
  listTemplatesFor,
  loadTemplateManifest,
  renderTemplate,
  resolveAnswers,
  resolveTemplate,
  type TemplateManifest,
} from '@exlab/core/template';
import { ACCEPTANCE_FIXTURES, FIXTURE_TEMPLATES, makeTempDir, readTree, treeSnapshot } from './template-fixtures.js';

// Acceptance checks of the template engine (issue "Step 3: the template engine", core.md D, K).

const BASE_CONTEXT = {
  label: 'Pilot scan',
  operator: 'ada',
  objective: 'Check the staining of slice 3.',
  project_name: 'Cortex Q3 Pilot',
  project_short_id: 'PROJ-0042',
  run_kind: 'test',
};

let base: string;
let destination: string;

beforeEach(async () => {
  base = await makeTempDir('acceptance');
  destination = join(base, 'out');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Renders `manifest` with its defaults and the base context (answers first, core values only where absent). */
async function renderWithDefaults(manifest: TemplateManifest, context: Record<string, unknown> = BASE_CONTEXT): Promise<string[]> {
  const answers = resolveAnswers(manifest, {}, context);
  return (await renderTemplate(manifest, destination, { ...context, ...answers })).written;
}

const config = (templatesDir: string) => ({
  paths: { templates_dir: templatesDir, local_root: join(base, 'lab') },
  equipment: [{ id: 'CONFOCAL_01' }],
});

describe('the fixture templates behave as their names say', () => {
  it('broken_missing_version is refused, naming _exlab_version, and lint calls it an error', async () => {
    const dir = join(FIXTURE_TEMPLATES, 'broken_missing_version');
    await expect(loadTemplateManifest(dir)).rejects.toMatchObject({ code: 'template_load_error', field: '_exlab_version' });
    const findings = await lintTemplate(dir);
    expect(findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.key])).toEqual([['version_missing', '_exlab_version']]);
  });

  it('broken_redeclares_core is refused with the core-field error, and lint names the field', async () => {
    const dir = join(FIXTURE_TEMPLATES, 'broken_redeclares_core');
    const error: unknown = await loadTemplateManifest(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateLoadError);
    expect(error).toMatchObject({ code: 'template_core_field_redeclared', field: 'label' });
    const findings = await lintTemplate(dir);
    expect(findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.key])).toEqual([
      ['core_field_redeclared', '_exlab_readme.fields[0].id'],
    ]);
  });

  it('run_experimental, run_test and run_both are offered only to the run kinds their scope allows', async () => {
    const names = async (runKind: 'experimental' | 'test') =>
      (await listTemplatesFor(config(FIXTURE_TEMPLATES), { type: 'run', runKind })).templates.map((t) => t.name);
    expect(await names('experimental')).toEqual(['run_both', 'run_experimental']);
    expect(await names('test')).toEqual(['run_both', 'run_test']);
    await expect(resolveTemplate(FIXTURE_TEMPLATES, 'run_test', 'run', 'experimental')).rejects.toMatchObject({
      details: { run_scope: 'test', run_kind: 'experimental' },
    });
  });

  it('with_tasks loads and renders, its task never runs, and lint warns that _tasks is ignored', async () => {
    const dir = join(FIXTURE_TEMPLATES, 'with_tasks');
    const manifest = await loadTemplateManifest(dir);
    expect(manifest.hasTasks).toBe(true);
    expect(await renderWithDefaults(manifest, {})).toEqual(['file.txt']);
    expect(await readFile(join(destination, 'file.txt'), 'utf8')).toBe('hello x\n');
    await expect(access(join(destination, 'task-ran.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    const tasks = (await lintTemplate(dir)).filter((f) => f.code === 'tasks_ignored');
    expect(tasks).toEqual([expect.objectContaining({ severity: 'warning', key: '_tasks', file: 'copier.yml', line: 3 })]);
  });

  it('project_basic renders its templated folder name and its content', async () => {
    const manifest = await loadTemplateManifest(join(FIXTURE_TEMPLATES, 'project_basic'));
    expect((await renderTemplate(manifest, destination, { _exlab_proj: 'MyProj' })).written).toEqual(['MyProj/README.md']);
    expect(await readFile(join(destination, 'MyProj', 'README.md'), 'utf8')).toBe('# MyProj\n');
  });

  it('run_both renders templated paths and contents and copies the rest byte for byte', async () => {
    const manifest = await loadTemplateManifest(join(FIXTURE_TEMPLATES, 'run_both'));
    const written = await renderWithDefaults(manifest);
    expect(written).toEqual(['S-001/info.md', 'notes/user_notes.md', 'raw/README.txt', 'raw/calibration.bin', 'run_data.txt']);
    expect(await readFile(join(destination, 'run_data.txt'), 'utf8')).toBe('run_id=run_001\n');
    const source = await readFile(join(FIXTURE_TEMPLATES, 'run_both', 'raw', 'calibration.bin'));
    expect((await readFile(join(destination, 'raw', 'calibration.bin'))).equals(source)).toBe(true);
  });

  it('equipment_basic is an equipment template and not_a_template is no template at all', async () => {
    const listing = await listTemplatesFor(config(FIXTURE_TEMPLATES), { type: 'equipment' });
    expect(listing.templates.map((t) => t.name)).toEqual(['equipment_basic']);
    expect(listing.rejected.map((r) => r.name)).not.toContain('not_a_template');
    expect(await lintTemplate(join(FIXTURE_TEMPLATES, 'not_a_template'))).toEqual([
      expect.objectContaining({ severity: 'error', code: 'manifest_missing' }),
    ]);
  });
});

describe('the feature-tour template', () => {
  const fixture = join(ACCEPTANCE_FIXTURES, 'feature_tour');

  it('lints clean', async () => {
    expect(await lintTemplate(join(fixture, 'template'))).toEqual([]);
  });

  it('renders conditional files and folders, loops, filters, templated folder names and binary assets to exactly the expected tree', async () => {
    const manifest = await loadTemplateManifest(join(fixture, 'template'), 'run');
    await renderWithDefaults(manifest);
    const actual = await readTree(destination);
    const expected = await readTree(join(fixture, 'expected'));
    expect(actual.map((e) => e.path)).toEqual(expected.map((e) => e.path));
    for (const [index, entry] of expected.entries()) {
      const got = actual[index]?.bytes;
      if (entry.bytes === undefined) continue;
      // Text first, so a difference shows as a readable diff; then the bytes.
      expect(got?.toString('utf8'), entry.path).toBe(entry.bytes.toString('utf8'));
      expect(got?.equals(entry.bytes), entry.path).toBe(true);
    }
  });

  it('renders the experimental variant of its conditional files', async () => {
    const manifest = await loadTemplateManifest(join(fixture, 'template'), 'run');
    const written = await renderWithDefaults(manifest, { ...BASE_CONTEXT, run_kind: 'experimental' });
    expect(written).toContain('acquisition_plan.md');
    expect(written).not.toContain('qc_checklist.md');
    expect(written).toContain('S-042_experimental/info.txt');
  });

  it('fails without touching anything when rendered again into the run after a file was changed', async () => {
    const manifest = await loadTemplateManifest(join(fixture, 'template'), 'run');
    await renderWithDefaults(manifest);
    await writeFile(join(destination, 'summary.md'), 'edited by the operator\n');
    await rm(join(destination, 'z_stack'), { recursive: true });
    await rm(join(destination, 'settings', 'run.json'));
    const before = await readTree(destination);

    await expect(renderWithDefaults(manifest)).rejects.toMatchObject({ code: 'destination_exists', field: 'summary.md' });
    expect(await readTree(destination)).toEqual(before);
    expect(await treeSnapshot(destination)).not.toHaveProperty('z_stack/README.txt');
  });
});
