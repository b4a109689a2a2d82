import { access, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ExLabError } from '@exlab/core/errors';
import {
  DEFAULT_TEMPLATE_EXCLUDES,
  loadTemplateManifest,
  renderTemplate,
  resolveAnswers,
  writeAnswersFile,
  type TemplateManifest,
} from '@exlab/core/template';
import { copyFixtureTemplates, makeTempDir, treeSnapshot, writeTemplate } from './template-fixtures.js';

const BASE_CONTEXT = {
  label: 'Pilot scan',
  operator: 'ada',
  objective: 'Check',
  project_name: 'Cortex Q3 Pilot',
  project_short_id: 'PROJ-0042',
  run_kind: 'test',
};

let base: string;
let templatesDir: string;
let destination: string;

beforeEach(async () => {
  base = await makeTempDir('render');
  templatesDir = await copyFixtureTemplates(base);
  destination = join(base, 'out');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** The run_both fixture plus the VCS, cache and backup files Copier never copies (not checked in: git refuses `.git` folders). */
async function runBoth(): Promise<TemplateManifest> {
  const dir = join(templatesDir, 'run_both');
  const junk = [
    '.git/HEAD',
    '__pycache__/mod.cpython-312.pyc',
    'helper.pyc',
    'helper.pyo',
    '~backup.txt',
    '.DS_Store',
    '.svn/entries',
    'raw/~lock.txt',
    'raw/__pycache__/x.pyc',
  ];
  for (const path of junk) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), 'never copied\n');
  }
  return loadTemplateManifest(dir);
}

/** Answers plus the core context, answers winning (core.md D4). */
function contextFor(manifest: TemplateManifest, provided: Record<string, unknown>): Record<string, unknown> {
  return { ...BASE_CONTEXT, ...resolveAnswers(manifest, provided, BASE_CONTEXT) };
}

const RUN_BOTH_FILES = ['S-7/info.md', 'notes/user_notes.md', 'raw/README.txt', 'raw/calibration.bin', 'run_data.txt'];

describe('renderTemplate', () => {
  it('writes exactly the rendered files and reports them sorted', async () => {
    const manifest = await runBoth();
    const result = await renderTemplate(manifest, destination, contextFor(manifest, { sample_id: 'S-7' }));
    expect(result).toEqual({ written: RUN_BOTH_FILES, kept: [] });
    expect(Object.keys(await treeSnapshot(destination))).toEqual(RUN_BOTH_FILES);
  });

  it('renders a .jinja file, strips the suffix and keeps the trailing newline', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, { run_id: 'r7' }));
    expect(await readFile(join(destination, 'run_data.txt'), 'utf8')).toBe('run_id=r7\n');
  });

  it('renders templated folder names and keeps a blank last line', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, { sample_id: 'S-7', objective_lens: '10x air' }));
    expect(await readFile(join(destination, 'S-7', 'info.md'), 'utf8')).toBe(
      '# Sample S-7\n\nlens: 10x air\nslug: S-7-run_001\nmarkup: plain\n\n',
    );
  });

  it('does not HTML-escape values', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, { sample_id: 'S-7', markup: '<b>&"\'' }));
    expect(await readFile(join(destination, 'S-7', 'info.md'), 'utf8')).toContain('markup: <b>&"\'\n');
  });

  it('uses the core context in file contents', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, {}));
    expect(await readFile(join(destination, 'notes', 'user_notes.md'), 'utf8')).toBe('Notes by ada\n');
  });

  it('copies files without the .jinja suffix byte for byte, braces and all', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, {}));
    expect(await readFile(join(destination, 'raw', 'README.txt'), 'utf8')).toBe('Raw instrument output goes here.\n{{ not_rendered }}\n');
    const binary = await readFile(join(destination, 'raw', 'calibration.bin'));
    expect(binary.equals(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
  });

  it('drops a folder or file whose name renders empty', async () => {
    const manifest = await runBoth();
    const result = await renderTemplate(manifest, destination, contextFor(manifest, { optional_dir: '' }));
    expect(result.written.some((p) => p.includes('dropped'))).toBe(false);
  });

  it('keeps a folder whose name renders non-empty', async () => {
    const dir = await writeTemplate(templatesDir, 'optional', "_exlab_type: project\n_exlab_version: '1'\n", { '{{ sub }}/f.txt': 'x\n' });
    const manifest = await loadTemplateManifest(dir);
    expect((await renderTemplate(manifest, destination, { sub: 'extra' })).written).toEqual(['extra/f.txt']);
    expect((await renderTemplate(manifest, join(base, 'out2'), { sub: '' })).written).toEqual([]);
  });

  it('creates empty template folders, with templated names, as Copier does', async () => {
    const dir = await writeTemplate(templatesDir, 'with_empty', "_exlab_type: project\n_exlab_version: '1'\n", { 'keep.txt': 'x\n' });
    await mkdir(join(dir, 'raw_{{ sub }}'), { recursive: true });
    await mkdir(join(dir, '{{ skipped }}'), { recursive: true });
    const manifest = await loadTemplateManifest(dir);
    await renderTemplate(manifest, destination, { sub: 'images', skipped: '' });
    expect((await readdir(destination)).sort()).toEqual(['keep.txt', 'raw_images']);
    expect(await readdir(join(destination, 'raw_images'))).toEqual([]);
  });

  it('refuses, before writing anything, a file that renders to the name a folder needs', async () => {
    const manifest = await runBoth();
    const error: unknown = await renderTemplate(manifest, destination, contextFor(manifest, { optional_dir: 'extra' })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExLabError);
    expect(error).toMatchObject({ code: 'template_load_error', details: { template: 'run_both', path: 'extra' } });
    await expect(access(destination)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses, before writing anything, two entries that render to the same file', async () => {
    const dir = await writeTemplate(templatesDir, 'twins', "_exlab_type: project\n_exlab_version: '1'\n", {
      'a.txt': 'plain\n',
      'a.txt.jinja': 'rendered\n',
      'b.txt': 'b\n',
    });
    const error: unknown = await renderTemplate(await loadTemplateManifest(dir), destination, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'template_load_error', field: 'a.txt.jinja', details: { path: 'a.txt' } });
    await expect(access(destination)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with destination_exists when a folder stands where a file would go', async () => {
    const manifest = await runBoth();
    await mkdir(join(destination, 'run_data.txt'), { recursive: true });
    await expect(renderTemplate(manifest, destination, contextFor(manifest, {}))).rejects.toMatchObject({
      code: 'destination_exists',
      field: 'run_data.txt',
    });
    expect(await treeSnapshot(destination)).toEqual({});
  });

  it('never copies copier.yml, VCS folders, caches, compiled Python or ~ backups', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, {}));
    const files = Object.keys(await treeSnapshot(destination));
    for (const unwanted of ['copier.yml', '.git', '__pycache__', '.pyc', '.pyo', '~', '.DS_Store', '.svn']) {
      expect(
        files.filter((f) => f.includes(unwanted)),
        unwanted,
      ).toEqual([]);
    }
  });

  it('honours the template _exclude list', async () => {
    const manifest = await runBoth();
    await renderTemplate(manifest, destination, contextFor(manifest, {}));
    await expect(access(join(destination, 'drafts'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(access(join(destination, 'settings.bak'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists Copier default excludes', () => {
    expect(DEFAULT_TEMPLATE_EXCLUDES).toEqual(['copier.yml', 'copier.yaml', '~*', '*.py[co]', '__pycache__', '.git', '.DS_Store', '.svn']);
  });

  it('leaves a _skip_if_exists file alone when it already exists and reports it as kept', async () => {
    const manifest = await runBoth();
    await mkdir(join(destination, 'notes'), { recursive: true });
    await writeFile(join(destination, 'notes', 'user_notes.md'), 'my own notes\n');
    const result = await renderTemplate(manifest, destination, contextFor(manifest, { sample_id: 'S-7' }));
    expect(result.kept).toEqual(['notes/user_notes.md']);
    expect(result.written).toEqual(RUN_BOTH_FILES.filter((f) => f !== 'notes/user_notes.md'));
    expect(await readFile(join(destination, 'notes', 'user_notes.md'), 'utf8')).toBe('my own notes\n');
  });

  it('succeeds when rendering again into the same folder with identical output, writing nothing', async () => {
    const manifest = await runBoth();
    const context = contextFor(manifest, { sample_id: 'S-7' });
    await renderTemplate(manifest, destination, context);
    const before = await treeSnapshot(destination);
    const again = await renderTemplate(manifest, destination, context);
    expect(again).toEqual({ written: [], kept: RUN_BOTH_FILES });
    expect(await treeSnapshot(destination)).toEqual(before);
  });

  it('fails with destination_exists when one existing file differs, and writes nothing new', async () => {
    const manifest = await runBoth();
    const context = contextFor(manifest, { sample_id: 'S-7' });
    await renderTemplate(manifest, destination, context);
    await writeFile(join(destination, 'run_data.txt'), 'edited by hand\n');
    await unlink(join(destination, 'raw', 'README.txt'));
    const before = await treeSnapshot(destination);

    const error: unknown = await renderTemplate(manifest, destination, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExLabError);
    expect(error).toMatchObject({
      code: 'destination_exists',
      status: 409,
      field: 'run_data.txt',
      details: { path: join(destination, 'run_data.txt') },
    });
    expect(await treeSnapshot(destination)).toEqual(before);
  });

  it('fails with destination_exists when a copied binary file differs', async () => {
    const manifest = await runBoth();
    await mkdir(join(destination, 'raw'), { recursive: true });
    await writeFile(join(destination, 'raw', 'calibration.bin'), Buffer.from([0, 1, 2]));
    await expect(renderTemplate(manifest, destination, contextFor(manifest, {}))).rejects.toMatchObject({
      code: 'destination_exists',
      field: 'raw/calibration.bin',
    });
    expect(Object.keys(await treeSnapshot(destination))).toEqual(['raw/calibration.bin']);
  });

  it('renders the project folder named by _exlab_proj (core.md D4)', async () => {
    const manifest = await loadTemplateManifest(join(templatesDir, 'project_basic'));
    const result = await renderTemplate(manifest, destination, { _exlab_proj: 'MyProj' });
    expect(result.written).toEqual(['MyProj/README.md']);
    expect(await readFile(join(destination, 'MyProj', 'README.md'), 'utf8')).toBe('# MyProj\n');
  });

  it('fails after the project README was edited and rendered again', async () => {
    const manifest = await loadTemplateManifest(join(templatesDir, 'project_basic'));
    await renderTemplate(manifest, destination, { _exlab_proj: 'MyProj' });
    await writeFile(join(destination, 'MyProj', 'README.md'), '# MyProj\n\nEdited.\n');
    await expect(renderTemplate(manifest, destination, { _exlab_proj: 'MyProj' })).rejects.toMatchObject({
      code: 'destination_exists',
      field: 'MyProj/README.md',
    });
  });

  it('writes nothing from project_basic when _exlab_proj is not in the context', async () => {
    const manifest = await loadTemplateManifest(join(templatesDir, 'project_basic'));
    expect(await renderTemplate(manifest, destination, {})).toEqual({ written: [], kept: [] });
  });

  it('renders a template with _tasks but never runs the tasks', async () => {
    const manifest = await loadTemplateManifest(join(templatesDir, 'with_tasks'));
    const result = await renderTemplate(manifest, destination, resolveAnswers(manifest, {}, {}));
    expect(result.written).toEqual(['file.txt']);
    expect(await readFile(join(destination, 'file.txt'), 'utf8')).toBe('hello x\n');
    await expect(access(join(destination, 'task-ran.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(access(join(templatesDir, 'with_tasks', 'task-ran.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each(['a/b', '..', 'x\\y'])('refuses a folder name that renders to %j', async (value) => {
    const dir = await writeTemplate(templatesDir, 'sneaky', "_exlab_type: project\n_exlab_version: '1'\n", { '{{ name }}/f.txt': 'x' });
    const manifest = await loadTemplateManifest(dir);
    const error: unknown = await renderTemplate(manifest, destination, { name: value }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'template_load_error', field: '{{ name }}' });
    await expect(access(destination)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a .jinja file with broken Jinja as a template load error naming the file, writing nothing', async () => {
    const dir = await writeTemplate(templatesDir, 'broken_jinja', "_exlab_type: project\n_exlab_version: '1'\n", {
      'a.txt': 'fine\n',
      'b.txt.jinja': 'value {{ unclosed\n',
    });
    const manifest = await loadTemplateManifest(dir);
    const error: unknown = await renderTemplate(manifest, destination, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExLabError);
    expect(error).toMatchObject({ code: 'template_load_error', field: 'b.txt.jinja', details: { template: 'broken_jinja' } });
    await expect(access(destination)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('renders an undefined variable as empty text', async () => {
    const dir = await writeTemplate(templatesDir, 'loose', "_exlab_type: project\n_exlab_version: '1'\n", {
      'f.txt.jinja': '[{{ missing }}]\n',
    });
    await renderTemplate(await loadTemplateManifest(dir), destination, {});
    expect(await readFile(join(destination, 'f.txt'), 'utf8')).toBe('[]\n');
  });
});

describe('writeAnswersFile', () => {
  it('records the answers without secrets, plus the template source path, name and version', async () => {
    const manifest = await runBoth();
    const answers = resolveAnswers(manifest, { sample_id: 'S-7', lims_token: 'hunter2' }, BASE_CONTEXT);
    await mkdir(destination);
    await writeAnswersFile(destination, manifest, answers);
    const text = await readFile(join(destination, '.exlab-answers.yml'), 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('lims_token');
    const parsed = parseYaml(text) as Record<string, unknown>;
    expect(parsed).toEqual({
      _src_path: manifest.path,
      _exlab_template: 'run_both',
      _exlab_version: '1.0',
      sample_id: 'S-7',
      run_id: 'run_001',
      cycles: 3,
      laser_power_pct: 5,
      z_stack: true,
      objective_lens: '40x oil',
      slug: 'S-7-run_001',
      markup: 'plain',
      optional_dir: '',
    });
    expect(Object.keys(parsed).slice(0, 3)).toEqual(['_src_path', '_exlab_template', '_exlab_version']);
  });

  it('quotes strings a YAML 1.1 reader such as Copier would take for booleans, times or dates', async () => {
    const manifest = await runBoth();
    const answers = { sample_id: 'yes', run_id: '08:00', slug: '2026-04-17', markup: 'No' };
    await mkdir(destination);
    await writeAnswersFile(destination, manifest, answers);
    const text = await readFile(join(destination, '.exlab-answers.yml'), 'utf8');
    expect(parseYaml(text, { version: '1.1' })).toMatchObject({ ...answers, _exlab_version: '1.0' });
    expect(parseYaml(text)).toMatchObject(answers);
  });

  it('replaces an existing answers file', async () => {
    const manifest = await runBoth();
    await mkdir(destination);
    await writeFile(join(destination, '.exlab-answers.yml'), 'old: true\n');
    await writeAnswersFile(destination, manifest, { run_id: 'r1' });
    expect(parseYaml(await readFile(join(destination, '.exlab-answers.yml'), 'utf8'))).not.toHaveProperty('old');
  });
});
