import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TemplateLoadError } from '@exlab/core/errors';
import { listTemplates, resolveTemplate } from '@exlab/core/template';
import { copyFixtureTemplates, makeTempDir, writeTemplate } from './template-fixtures.js';

let base: string;
let templatesDir: string;

beforeEach(async () => {
  base = await makeTempDir('discover');
  templatesDir = await copyFixtureTemplates(base);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const names = (list: { name: string }[]): string[] => list.map((t) => t.name);

describe('listTemplates', () => {
  it('lists run templates sorted by folder name', async () => {
    const { templates } = await listTemplates(templatesDir, 'run');
    expect(names(templates)).toEqual(['run_both', 'run_experimental', 'run_test']);
  });

  it('offers experimental runs the experimental and both templates only', async () => {
    expect(names((await listTemplates(templatesDir, 'run', 'experimental')).templates)).toEqual(['run_both', 'run_experimental']);
  });

  it('offers test runs the test and both templates only', async () => {
    expect(names((await listTemplates(templatesDir, 'run', 'test')).templates)).toEqual(['run_both', 'run_test']);
  });

  it('lists project and equipment templates by their own type', async () => {
    expect(names((await listTemplates(templatesDir, 'project')).templates)).toEqual(['project_basic', 'with_tasks']);
    expect(names((await listTemplates(templatesDir, 'equipment')).templates)).toEqual(['equipment_basic']);
  });

  it('ignores the run kind when listing project templates', async () => {
    expect(names((await listTemplates(templatesDir, 'project', 'test')).templates)).toEqual(['project_basic', 'with_tasks']);
  });

  it('reports templates that fail to load with their error, without failing the listing', async () => {
    const { rejected } = await listTemplates(templatesDir, 'run');
    expect(rejected.map((r) => [r.name, r.error.code, r.error.field])).toEqual([
      ['broken_missing_version', 'template_load_error', '_exlab_version'],
      ['broken_redeclares_core', 'template_core_field_redeclared', 'label'],
    ]);
    for (const r of rejected) expect(r.error).toBeInstanceOf(TemplateLoadError);
  });

  it('skips folders without copier.yml and plain files', async () => {
    await writeFile(join(templatesDir, 'stray.txt'), 'not a folder');
    const { templates, rejected } = await listTemplates(templatesDir, 'project');
    const all = [...names(templates), ...rejected.map((r) => r.name)];
    expect(all).not.toContain('not_a_template');
    expect(all).not.toContain('stray.txt');
  });

  it('sorts by code point, upper case before lower case', async () => {
    const dir = join(base, 'sorted');
    for (const name of ['beta', 'Alpha', 'alpha', '10_first'])
      await writeTemplate(dir, name, "_exlab_type: equipment\n_exlab_version: '1'\n");
    expect(names((await listTemplates(dir, 'equipment')).templates)).toEqual(['10_first', 'Alpha', 'alpha', 'beta']);
  });

  it('returns empty lists for a templates folder that does not exist', async () => {
    expect(await listTemplates(join(base, 'missing'), 'run')).toEqual({ templates: [], rejected: [] });
  });
});

describe('resolveTemplate', () => {
  async function refusal(
    templatePath: string,
    type: 'project' | 'run' = 'run',
    runKind?: 'experimental' | 'test',
  ): Promise<TemplateLoadError> {
    const error: unknown = await resolveTemplate(templatesDir, templatePath, type, runKind).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateLoadError);
    return error as TemplateLoadError;
  }

  it('resolves a folder name inside the templates folder', async () => {
    const manifest = await resolveTemplate(templatesDir, 'run_both', 'run', 'test');
    expect(manifest).toMatchObject({ name: 'run_both', path: join(templatesDir, 'run_both'), runScope: 'both' });
  });

  it('resolves an absolute path inside the templates folder', async () => {
    expect((await resolveTemplate(templatesDir, join(templatesDir, 'run_test'), 'run', 'test')).name).toBe('run_test');
  });

  it('resolves a relative path whose .. stays inside', async () => {
    expect((await resolveTemplate(templatesDir, 'run_test/../run_experimental', 'run')).name).toBe('run_experimental');
  });

  it('refuses a relative path that climbs out of the templates folder', async () => {
    await writeTemplate(base, 'outside', "_exlab_type: run\n_exlab_version: '1'\n_exlab_run_scope: both\n");
    const error = await refusal('../outside');
    expect(error.code).toBe('template_load_error');
    expect(error.field).toBe('template_path');
    expect(error.details).toEqual({ templates_dir: templatesDir });
  });

  it('refuses an absolute path outside the templates folder', async () => {
    const outside = await writeTemplate(base, 'outside', "_exlab_type: run\n_exlab_version: '1'\n_exlab_run_scope: both\n");
    expect((await refusal(outside)).field).toBe('template_path');
  });

  it('refuses the templates folder itself', async () => {
    expect((await refusal('.')).field).toBe('template_path');
    expect((await refusal(templatesDir)).field).toBe('template_path');
  });

  it('refuses a test-only template for an experimental run', async () => {
    const error = await refusal('run_test', 'run', 'experimental');
    expect(error.field).toBe('template_path');
    expect(error.details).toEqual({ template: 'run_test', run_scope: 'test', run_kind: 'experimental' });
  });

  it('refuses an experimental-only template for a test run', async () => {
    expect((await refusal('run_experimental', 'run', 'test')).details).toMatchObject({ run_scope: 'experimental', run_kind: 'test' });
  });

  it('refuses a template of the wrong type, keeping the offending key in details', async () => {
    const error = await refusal('project_basic', 'run');
    expect(error.field).toBe('template_path');
    expect(error.details).toMatchObject({ key: '_exlab_type', expected: 'run', found: 'project' });
  });

  it('refuses a folder that is not a template', async () => {
    const error = await refusal('not_a_template');
    expect(error.field).toBe('template_path');
    expect(error.details).toMatchObject({ key: 'copier.yml' });
  });

  it('keeps the core-field code when the template redeclares a core field', async () => {
    const error = await refusal('broken_redeclares_core');
    expect(error.code).toBe('template_core_field_redeclared');
    expect(error.details).toMatchObject({ template: 'broken_redeclares_core', key: 'label' });
  });
});
