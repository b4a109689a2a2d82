import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TemplateCoreFieldRedeclaredError, TemplateLoadError } from '@exlab/core/errors';
import { loadTemplateManifest, QUESTION_TYPES, scopeAllows } from '@exlab/core/template';
import { FIXTURE_TEMPLATES, makeTempDir, writeTemplate } from './template-fixtures.js';

let base: string;

beforeEach(async () => {
  base = await makeTempDir('manifest');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Loads a manifest written from `text` and returns the TemplateLoadError it fails with. */
async function rejection(text: string, expectedType?: 'project' | 'equipment' | 'run'): Promise<TemplateLoadError> {
  const dir = await writeTemplate(base, 'tpl', text);
  const error: unknown = await loadTemplateManifest(dir, expectedType).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TemplateLoadError);
  return error as TemplateLoadError;
}

async function load(text: string): ReturnType<typeof loadTemplateManifest> {
  return loadTemplateManifest(await writeTemplate(base, 'tpl', text));
}

describe('loadTemplateManifest: a complete run template', () => {
  it('reads the exlab settings, Copier settings and plugin order', async () => {
    const dir = join(FIXTURE_TEMPLATES, 'run_both');
    const manifest = await loadTemplateManifest(dir, 'run');
    expect(manifest).toMatchObject({
      name: 'run_both',
      path: dir,
      type: 'run',
      version: '1.0',
      runScope: 'both',
      description: 'Fixture run template for both run kinds',
      pluginOrder: ['qc-check', 'stamp'],
      exclude: ['drafts', '*.bak'],
      skipIfExists: ['notes/user_notes.md'],
      hasTasks: false,
    });
    expect(manifest.raw._exlab_type).toBe('run');
  });

  it('reads long-form and short-form questions in manifest order with their types', async () => {
    const manifest = await loadTemplateManifest(join(FIXTURE_TEMPLATES, 'run_both'));
    expect(manifest.questions).toEqual([
      {
        name: 'sample_id',
        type: 'str',
        default: 'S-001',
        choices: undefined,
        help: 'Sample identifier as written on the tube',
        secret: false,
      },
      { name: 'run_id', type: 'str', default: 'run_001', choices: undefined, help: undefined, secret: false },
      { name: 'cycles', type: 'int', default: 3, choices: undefined, help: undefined, secret: false },
      { name: 'laser_power_pct', type: 'float', default: 5, choices: undefined, help: undefined, secret: false },
      { name: 'z_stack', type: 'bool', default: true, choices: undefined, help: undefined, secret: false },
      { name: 'objective_lens', type: 'str', default: '40x oil', choices: ['10x air', '40x oil'], help: undefined, secret: false },
      { name: 'slug', type: 'str', default: '{{ sample_id }}-{{ run_id }}', choices: undefined, help: undefined, secret: false },
      { name: 'markup', type: 'str', default: 'plain', choices: undefined, help: undefined, secret: false },
      { name: 'optional_dir', type: 'str', default: '', choices: undefined, help: undefined, secret: false },
      { name: 'lims_token', type: 'str', default: 'not-a-real-token', choices: undefined, help: undefined, secret: true },
    ]);
  });

  it('flags _tasks as hasTasks without treating it as a question', async () => {
    const manifest = await loadTemplateManifest(join(FIXTURE_TEMPLATES, 'with_tasks'));
    expect(manifest.hasTasks).toBe(true);
    expect(manifest.questions.map((q) => q.name)).toEqual(['dummy_var']);
  });

  it('gives a project template no run scope and no questions for _-prefixed data keys', async () => {
    const manifest = await loadTemplateManifest(join(FIXTURE_TEMPLATES, 'project_basic'), 'project');
    expect(manifest).toMatchObject({ name: 'project_basic', type: 'project', version: '0.1.0', runScope: null, questions: [] });
  });

  it('reads copier.yaml when there is no copier.yml', async () => {
    const dir = await writeTemplate(base, 'alt', '');
    await rm(join(dir, 'copier.yml'));
    await writeFile(join(dir, 'copier.yaml'), "_exlab_type: equipment\n_exlab_version: '3'\n");
    expect(await loadTemplateManifest(dir)).toMatchObject({ name: 'alt', type: 'equipment', version: '3' });
  });
});

describe('loadTemplateManifest: questions', () => {
  const head = "_exlab_type: project\n_exlab_version: '1.0'\n";

  it('infers the type of a short-form question from its default', async () => {
    const manifest = await load(`${head}a: text\nb: 7\nc: 2.5\nd: 4.0\ne: false\nf: on\ng: [1, 2]\ni: null\n`);
    expect(manifest.questions.map((q) => [q.name, q.type])).toEqual([
      ['a', 'str'],
      ['b', 'int'],
      ['c', 'float'],
      ['d', 'float'],
      ['e', 'bool'],
      ['f', 'bool'],
      ['g', 'yaml'],
      ['i', 'str'],
    ]);
  });

  it('reads y and n as text and only yes/no, true/false, on/off as booleans, as Copier does', async () => {
    const manifest = await load(`${head}axis: y\nn: 1\nflag: Yes\nother: OFF\n`);
    expect(manifest.questions.map((q) => [q.name, q.type, q.default])).toEqual([
      ['axis', 'str', 'y'],
      ['n', 'int', 1],
      ['flag', 'bool', true],
      ['other', 'bool', false],
    ]);
  });

  it('keeps a date default as text instead of losing it', async () => {
    const manifest = await load(`${head}day: 2026-04-17\nwhen:\n  default: 2026-04-17T10:00:00Z\n`);
    expect(manifest.questions.map((q) => [q.name, q.type, q.default])).toEqual([
      ['day', 'str', '2026-04-17'],
      ['when', 'str', '2026-04-17T10:00:00Z'],
    ]);
  });

  it('infers float for a long-form default written as 5.0', async () => {
    const manifest = await load(`${head}power:\n  default: 5.0\ncount:\n  default: 5\n`);
    expect(manifest.questions.map((q) => q.type)).toEqual(['float', 'int']);
  });

  it('takes choices from a list or from the values of a mapping', async () => {
    const manifest = await load(
      `${head}lens:\n  type: str\n  choices:\n    Ten times: 10x\n    Forty times: 40x\nmode:\n  choices: [a, b]\n  default: a\n`,
    );
    expect(manifest.questions[0]?.choices).toEqual(['10x', '40x']);
    expect(manifest.questions[1]).toMatchObject({ type: 'str', choices: ['a', 'b'] });
  });

  it('accepts every Copier question type', async () => {
    const body = QUESTION_TYPES.map((t) => `q_${t}:\n  type: ${t}\n`).join('');
    expect((await load(`${head}${body}`)).questions.map((q) => q.type)).toEqual([...QUESTION_TYPES]);
  });

  it('rejects an unknown question type, naming the question and the allowed types', async () => {
    const error = await rejection(`${head}count:\n  type: integer\n  default: 3\n`);
    expect(error.code).toBe('template_load_error');
    expect(error.field).toBe('count.type');
    expect(error.message).toContain('"integer"');
    expect(error.message).toContain('str, int, float, bool, yaml, json');
    expect(error.details).toEqual({ template: 'tpl', allowed: [...QUESTION_TYPES] });
  });

  it('ignores help that is not text and reads secret only when it is true', async () => {
    const manifest = await load(`${head}a:\n  default: x\n  help: 5\n  secret: yes\nb:\n  default: y\n  secret: 'true'\n`);
    expect(manifest.questions.map((q) => [q.help, q.secret])).toEqual([
      [undefined, true],
      [undefined, false],
    ]);
  });
});

describe('loadTemplateManifest: degraded shapes', () => {
  it('turns bad plugin, exclude and description shapes into empty values', async () => {
    const manifest = await load(
      "_exlab_type: project\n_exlab_version: '1'\n_exlab_plugins: qc-check\n_exlab_description: 5\n_exclude: [1, keep.txt]\n_skip_if_exists: {a: b}\n",
    );
    expect(manifest).toMatchObject({ pluginOrder: [], description: '', exclude: ['keep.txt'], skipIfExists: [] });
  });

  it('ignores _exlab_run_scope on a project template', async () => {
    expect((await load("_exlab_type: project\n_exlab_version: '1'\n_exlab_run_scope: test\n")).runScope).toBeNull();
  });

  it('accepts README fields that are not core fields', async () => {
    const manifest = await load(
      "_exlab_type: project\n_exlab_version: '1'\n_exlab_readme:\n  fields:\n    - id: buffer\n      type: string\n",
    );
    expect(manifest.type).toBe('project');
  });
});

describe('loadTemplateManifest: rejections', () => {
  it('rejects a folder without copier.yml, naming the file', async () => {
    const error: unknown = await loadTemplateManifest(join(base, 'nothing-here')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateLoadError);
    expect(error).toMatchObject({ code: 'template_load_error', field: 'copier.yml', details: { template: 'nothing-here' } });
  });

  it('rejects a copier.yml that is not YAML', async () => {
    const error = await rejection('_exlab_type: [project\n');
    expect(error.field).toBe('copier.yml');
    expect(error.message).toContain('not valid YAML');
  });

  it('treats a copier.yml that is not a mapping as empty, so _exlab_type is missing', async () => {
    const error = await rejection('- a\n- b\n');
    expect(error.field).toBe('_exlab_type');
    expect(error.message).toContain('null');
  });

  it('rejects a missing _exlab_version, naming the key', async () => {
    const error = await rejection('_exlab_type: project\n');
    expect(error.code).toBe('template_load_error');
    expect(error.field).toBe('_exlab_version');
    expect(error.message).toContain('_exlab_version');
    expect(error.message).toContain('(found null)');
  });

  it('rejects a bare unquoted _exlab_version: 1.0 because YAML reads it as a number', async () => {
    const error = await rejection('_exlab_type: project\n_exlab_version: 1.0\n');
    expect(error.field).toBe('_exlab_version');
    expect(error.message).toContain('quoted string');
  });

  it('rejects an empty _exlab_version', async () => {
    expect((await rejection("_exlab_type: project\n_exlab_version: '  '\n")).field).toBe('_exlab_version');
  });

  it('rejects an _exlab_type outside project, equipment and run, naming the allowed values', async () => {
    const error = await rejection("_exlab_type: sample\n_exlab_version: '1.0'\n");
    expect(error.field).toBe('_exlab_type');
    expect(error.message).toContain('"sample"');
    expect(error.message).toContain('project, equipment, run');
    expect(error.details).toEqual({ template: 'tpl', allowed: ['project', 'equipment', 'run'] });
  });

  it('rejects a template of another type than the one asked for', async () => {
    const error = await rejection("_exlab_type: project\n_exlab_version: '1.0'\n", 'run');
    expect(error.field).toBe('_exlab_type');
    expect(error.details).toEqual({ template: 'tpl', expected: 'run', found: 'project' });
  });

  it('rejects a run template without _exlab_run_scope', async () => {
    const error = await rejection("_exlab_type: run\n_exlab_version: '1.0'\n");
    expect(error.field).toBe('_exlab_run_scope');
    expect(error.message).toContain('experimental, test, both');
  });

  it('rejects a run scope outside experimental, test and both', async () => {
    expect((await rejection("_exlab_type: run\n_exlab_version: '1.0'\n_exlab_run_scope: all\n")).field).toBe('_exlab_run_scope');
  });

  it.each(['label', 'operator', 'objective'])('rejects a template that redeclares the core field %s', async (id) => {
    const error = await rejection(
      `_exlab_type: project\n_exlab_version: '0.2'\n_exlab_readme:\n  fields:\n    - id: buffer\n    - id: ${id}\n`,
    );
    expect(error).toBeInstanceOf(TemplateCoreFieldRedeclaredError);
    expect(error.code).toBe('template_core_field_redeclared');
    expect(error.field).toBe(id);
    expect(error.details).toEqual({ template: 'tpl', version: '0.2' });
  });

  it('rejects the redeclaring fixture template', async () => {
    await expect(loadTemplateManifest(join(FIXTURE_TEMPLATES, 'broken_redeclares_core'))).rejects.toBeInstanceOf(
      TemplateCoreFieldRedeclaredError,
    );
  });
});

describe('scopeAllows', () => {
  it('lets experimental runs use experimental and both, and test runs use test and both', () => {
    expect(scopeAllows('experimental', 'experimental')).toBe(true);
    expect(scopeAllows('both', 'experimental')).toBe(true);
    expect(scopeAllows('test', 'experimental')).toBe(false);
    expect(scopeAllows('test', 'test')).toBe(true);
    expect(scopeAllows('both', 'test')).toBe(true);
    expect(scopeAllows('experimental', 'test')).toBe(false);
    expect(scopeAllows(null, 'test')).toBe(false);
  });
});
