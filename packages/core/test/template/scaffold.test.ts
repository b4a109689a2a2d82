import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { templateReadmeFields } from '@exlab/core/readme';
import { lintTemplate, loadTemplateManifest, renderTemplate, resolveAnswers, scaffoldTemplate } from '@exlab/core/template';
import { makeTempDir } from './template-fixtures.js';

let base: string;

beforeEach(async () => {
  base = await makeTempDir('scaffold');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const CONTEXT = {
  label: 'Pilot',
  operator: 'ada',
  objective: 'Try it',
  project_name: 'Cortex Q3 Pilot',
  project_short_id: 'PROJ-0042',
  run_kind: 'test',
};

describe('scaffoldTemplate', () => {
  it.each([
    ['run', undefined, 'both'],
    ['run', 'test', 'test'],
    ['project', undefined, null],
  ] as const)('creates a %s template (scope %s) that lints clean, loads and renders', async (type, scope, expectedScope) => {
    const dir = await scaffoldTemplate(join(base, 'templates'), 'my_template', { type, scope });
    expect(dir).toBe(join(base, 'templates', 'my_template'));
    expect(await lintTemplate(dir)).toEqual([]);
    const manifest = await loadTemplateManifest(dir, type);
    expect(manifest).toMatchObject({ version: '1.0', runScope: expectedScope });
    expect(templateReadmeFields(manifest).map((f) => f.id)).toEqual(['sample_id']);
    const answers = resolveAnswers(manifest, {}, CONTEXT);
    const result = await renderTemplate(manifest, join(base, 'out'), { ...CONTEXT, ...answers });
    expect(result.written).toEqual(['notes.md']);
    const notes = await readFile(join(base, 'out', 'notes.md'), 'utf8');
    expect(notes).toContain('# Notes: Pilot\n');
    expect(notes.includes('- Run kind: test\n')).toBe(type === 'run');
    expect(notes).not.toMatch(/\{\{|\{%/);
  });

  it('writes _exlab_version as the quoted string "1.0"', async () => {
    const dir = await scaffoldTemplate(base, 'quoted', { type: 'run' });
    expect(await readFile(join(dir, 'copier.yml'), 'utf8')).toContain('_exlab_version: "1.0"\n');
  });

  it('refuses an existing folder without touching it', async () => {
    await scaffoldTemplate(base, 'taken', { type: 'run' });
    await expect(scaffoldTemplate(base, 'taken', { type: 'project' })).rejects.toMatchObject({ code: 'destination_exists', field: 'name' });
    expect(await readFile(join(base, 'taken', 'copier.yml'), 'utf8')).toContain('_exlab_type: "run"');
  });

  it.each(['', '../escape', 'has space', '_hidden', 'a'.repeat(65)])('refuses the name %j', async (name) => {
    await expect(scaffoldTemplate(base, name, { type: 'run' })).rejects.toMatchObject({ code: 'validation_failed', field: 'name' });
  });

  it('refuses a run scope on a project template, and an unknown scope or type', async () => {
    await expect(scaffoldTemplate(base, 'p', { type: 'project', scope: 'test' })).rejects.toMatchObject({ field: 'scope' });
    await expect(scaffoldTemplate(base, 'r', { type: 'run', scope: 'sometimes' as 'test' })).rejects.toMatchObject({ field: 'scope' });
    await expect(scaffoldTemplate(base, 'e', { type: 'equipment' as 'run' })).rejects.toMatchObject({ field: 'type' });
  });
});
