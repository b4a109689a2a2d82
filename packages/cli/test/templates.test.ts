import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { starterTemplatesDir } from '@exlab/core/starter';
import { lintTemplate, TemplateLintReportSchema } from '@exlab/core/template';
import { templatesLintCommand, templatesListCommand, templatesNewCommand } from '../src/commands/templates.js';
import type { Output } from '../src/output.js';
import { sandbox, type Sandbox } from './exlab-process.js';

let sb: Sandbox;
let globalDir: string;
let confocalDir: string;
let configPath: string;

function capture(): Output & { stdout(): string; stderr(): string; lines: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    stdout: () => lines.join('\n'),
    stderr: () => errors.join('\n'),
  };
}

async function writeTemplate(dir: string, name: string, manifest: string, files: Record<string, string> = {}): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'copier.yml'), manifest);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(path, file, '..'), { recursive: true });
    await writeFile(join(path, file), content);
  }
  return path;
}

beforeEach(async () => {
  sb = await sandbox();
  globalDir = join(sb.root, 'templates');
  const localRoot = join(sb.root, 'lab');
  confocalDir = join(localRoot, 'CONFOCAL_01', '.exlab-wizard', 'templates');
  await cp(starterTemplatesDir(), globalDir, { recursive: true });
  configPath = join(sb.root, 'config.yaml');
  const q = JSON.stringify;
  await writeFile(
    configPath,
    `paths:
  templates_dir: ${q(globalDir)}
  plugin_dir: ${q(join(sb.root, 'plugins'))}
  local_root: ${q(localRoot)}
equipment:
  - id: CONFOCAL_01
    label: Confocal 1
    nas_root: ${q(join(sb.root, 'nas'))}
    completeness_signal: sentinel_file
    sentinel_filename: done.flag
    transport:
      type: local
      path: ${q(join(sb.root, 'nas'))}
orchestrator:
  label: Station
  staging_root: ${q(join(sb.root, 'staging'))}
`,
  );
});

afterEach(async () => {
  await sb.cleanup();
});

describe('templatesListCommand', () => {
  it('lists the global templates with name, type, version, scope and source', async () => {
    const output = capture();
    expect(await templatesListCommand({ config: configPath }, output, sb.env)).toBe(0);
    expect(output.lines[0]).toMatch(/^NAME\s+TYPE\s+VERSION\s+SCOPE\s+SOURCE\s+DESCRIPTION$/);
    const rows = output.lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 5));
    expect(rows).toEqual([
      ['instrument_logbook', 'equipment', '1.0', '-', 'global'],
      ['project_basic', 'project', '1.0', '-', 'global'],
      ['confocal_acquisition', 'run', '1.0', 'experimental', 'global'],
      ['confocal_calibration', 'run', '1.0', 'test', 'global'],
      ['imaging_run', 'run', '1.0', 'both', 'global'],
    ]);
    expect(output.stderr()).toBe(`Using the config given with --config: ${configPath}`);
  });

  it('merges an equipment folder in, the equipment template hiding the global one, and reports broken ones', async () => {
    await writeTemplate(confocalDir, 'imaging_run', '_exlab_type: run\n_exlab_version: "2.0"\n_exlab_run_scope: experimental\n');
    await writeTemplate(confocalDir, 'broken', '_exlab_type: run\n');
    const output = capture();
    expect(await templatesListCommand({ config: configPath, equipment: 'CONFOCAL_01' }, output, sb.env)).toBe(0);
    expect(output.stdout()).toMatch(/^imaging_run\s+run\s+2\.0\s+experimental\s+equipment$/m);
    expect(output.stdout()).not.toMatch(/^imaging_run\s+run\s+1\.0/m);
    expect(output.stdout()).toContain("Hidden: the global run template imaging_run, replaced by CONFOCAL_01's template of the same name.");
    expect(output.stderr()).toContain(`Skipped ${join(confocalDir, 'broken')} (equipment): `);
  });

  it('prints JSON with --json and nothing on stderr', async () => {
    const output = capture();
    expect(await templatesListCommand({ config: configPath, json: true }, output, sb.env)).toBe(0);
    const parsed = JSON.parse(output.stdout()) as { templates: { name: string; source: string; scope: string | null }[] };
    expect(parsed.templates.map((t) => t.name)).toContain('confocal_calibration');
    expect(parsed.templates.find((t) => t.name === 'project_basic')).toMatchObject({ source: 'global', scope: null });
    expect(output.stderr()).toBe('');
  });

  it('exits 2 for an unknown equipment and for a missing config', async () => {
    const unknown = capture();
    expect(await templatesListCommand({ config: configPath, equipment: 'FLOW_01' }, unknown, sb.env)).toBe(2);
    expect(unknown.stderr()).toContain('--equipment FLOW_01: no such equipment');
    const missing = capture();
    expect(await templatesListCommand({}, missing, sb.env)).toBe(2);
    expect(missing.stderr()).toMatch(/^No config: nothing at .* Pass --config FILE/);
  });
});

describe('templatesLintCommand', () => {
  it('exits 0 and says clean for the starter templates', async () => {
    const output = capture();
    expect(await templatesLintCommand([globalDir], {}, output)).toBe(0);
    expect(output.lines.at(-1)).toBe('Linted 5 templates: clean.');
    expect(output.lines).toContain(`${join(globalDir, 'imaging_run')} (imaging_run): clean`);
  });

  it('exits 1 with every finding when a template has an error, listing file, line and key', async () => {
    const dir = await writeTemplate(sb.root, 'bad', '_exlab_type: run\n_exlab_run_scope: both\n', { 'a.md.jinja': 'x\n{{ oops }}\n' });
    const output = capture();
    expect(await templatesLintCommand([dir], {}, output)).toBe(1);
    expect(output.lines[0]).toBe(`${dir} (bad): 1 error, 3 warnings`);
    expect(output.stdout()).toMatch(/^ {2}error {4}copier\.yml \[_exlab_version\] {2}version_missing: _exlab_version must be/m);
    expect(output.stdout()).toMatch(/^ {2}warning {2}a\.md\.jinja:2:4 {2}variable_unknown: a\.md\.jinja uses "oops"/m);
    expect(output.lines.at(-1)).toBe('Linted 1 template: 1 error, 3 warnings.');
  });

  it('passes warnings with exit 0, and fails them with --strict', async () => {
    const dir = await writeTemplate(sb.root, 'warned', '_exlab_type: project\n_exlab_version: "1"\n_tasks: [echo]\n');
    expect(await templatesLintCommand([dir], {}, capture())).toBe(0);
    expect(await templatesLintCommand([dir], { strict: true }, capture())).toBe(1);
  });

  it('prints the JSON report with --json', async () => {
    const bad = await writeTemplate(sb.root, 'bad', '_exlab_type: run\n_exlab_version: "1"\n_exlab_run_scope: never\n');
    const output = capture();
    expect(await templatesLintCommand([join(globalDir, 'imaging_run'), bad], { json: true }, output)).toBe(1);
    const report = TemplateLintReportSchema.parse(JSON.parse(output.stdout()));
    expect(report.templates.map((t) => [t.name, t.path, t.findings.filter((f) => f.severity === 'error').map((f) => f.code)])).toEqual([
      ['imaging_run', join(globalDir, 'imaging_run'), []],
      ['bad', bad, ['run_scope_invalid']],
    ]);
    expect(report.templates[1]?.findings[0]).toMatchObject({
      severity: 'error',
      code: 'run_scope_invalid',
      file: 'copier.yml',
      key: '_exlab_run_scope',
    });
  });

  it('exits 2 for a path that is not a folder, and for no path at all', async () => {
    const output = capture();
    expect(await templatesLintCommand([join(sb.root, 'nope')], {}, output)).toBe(2);
    expect(output.stderr()).toContain('is not a folder');
    expect(await templatesLintCommand([], {}, capture())).toBe(2);
  });
});

describe('templatesNewCommand', () => {
  it('scaffolds a run template in --dir that lints clean', async () => {
    const output = capture();
    expect(await templatesNewCommand('my_run', { type: 'run', scope: 'test', dir: join(sb.root, 'mine') }, output, sb.env)).toBe(0);
    const dir = join(sb.root, 'mine', 'my_run');
    expect(output.lines[0]).toBe(`Created the run template "my_run" in ${dir}:`);
    expect(await lintTemplate(dir)).toEqual([]);
    const manifest = await readFile(join(dir, 'copier.yml'), 'utf8');
    expect(manifest).toContain('_exlab_version: "1.0"');
    expect(manifest).toContain('_exlab_run_scope: "test"');
    expect(await readFile(join(dir, 'notes.md.jinja'), 'utf8')).toContain('{{ run_kind }}');

    const lint = capture();
    expect(await templatesLintCommand([dir], {}, lint)).toBe(0);
  });

  it('puts a project template in the configured templates folder, or an equipment folder', async () => {
    expect(await templatesNewCommand('lab_project', { type: 'project', config: configPath }, capture(), sb.env)).toBe(0);
    expect(await lintTemplate(join(globalDir, 'lab_project'))).toEqual([]);
    expect(
      await templatesNewCommand('confocal_only', { type: 'run', config: configPath, equipment: 'CONFOCAL_01' }, capture(), sb.env),
    ).toBe(0);
    expect(await lintTemplate(join(confocalDir, 'confocal_only'))).toEqual([]);
    const listed = capture();
    await templatesListCommand({ config: configPath, equipment: 'CONFOCAL_01' }, listed, sb.env);
    expect(listed.stdout()).toMatch(/^confocal_only\s+run\s+1\.0\s+both\s+equipment/m);
  });

  it('exits 1 when the folder exists and 2 for a bad type, scope, name or flag combination', async () => {
    const dir = join(sb.root, 'mine');
    expect(await templatesNewCommand('taken', { type: 'run', dir }, capture(), sb.env)).toBe(0);
    const exists = capture();
    expect(await templatesNewCommand('taken', { type: 'run', dir }, exists, sb.env)).toBe(1);
    expect(exists.stderr()).toContain('already exists');
    const usage = async (name: string, flags: Parameters<typeof templatesNewCommand>[1]): Promise<string> => {
      const output = capture();
      expect(await templatesNewCommand(name, flags, output, sb.env)).toBe(2);
      return output.stderr();
    };
    expect(await usage('x', { type: 'equipment', dir })).toBe('--type equipment: allowed: run, project.');
    expect(await usage('x', { type: 'run', scope: 'sometimes', dir })).toBe('--scope sometimes: allowed: experimental, test, both.');
    expect(await usage('x', { type: 'project', scope: 'test', dir })).toBe('--scope applies to run templates only.');
    expect(await usage('../x', { type: 'run', dir })).toContain('is not allowed');
    expect(await usage('x', { type: 'run', dir, equipment: 'CONFOCAL_01' })).toBe('Give either --dir or --equipment, not both.');
  });
});
