import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { templateReadmeFields } from '@exlab/core/readme';
import { starterDir, starterTemplatesDir } from '@exlab/core/starter';
import { lintTemplate, listTemplates, loadTemplateManifest, renderTemplate, resolveAnswers, resolveTemplate } from '@exlab/core/template';

const BASE_CONTEXT = {
  label: 'Pilot scan',
  operator: 'ada',
  objective: 'Check the staining of slice 3.',
  project_name: 'Cortex Q3 Pilot',
  project_short_id: 'PROJ-0042',
  run_kind: 'experimental',
};

let destination: string;

beforeEach(async () => {
  destination = await mkdtemp(join(tmpdir(), 'exlab-starter-'));
});

afterEach(async () => {
  await rm(destination, { recursive: true, force: true });
});

describe('starterTemplatesDir', () => {
  it('points at the starter/templates folder of @exlab/core', () => {
    expect(starterDir()).toBe(join(import.meta.dirname, '..', '..', 'starter'));
    expect(starterTemplatesDir()).toBe(join(starterDir(), 'templates'));
  });

  it('contains the imaging_run template with its manifest', () => {
    expect(existsSync(join(starterTemplatesDir(), 'imaging_run', 'copier.yml'))).toBe(true);
  });

  it('offers imaging_run for both run kinds, the confocal acquisition for experiments and the calibration for tests', async () => {
    const runs = async (kind: 'experimental' | 'test') => {
      const { templates, rejected } = await listTemplates(starterTemplatesDir(), 'run', kind);
      expect(rejected).toEqual([]);
      return templates.map((t) => t.name);
    };
    expect(await runs('experimental')).toEqual(['confocal_acquisition', 'imaging_run']);
    expect(await runs('test')).toEqual(['confocal_calibration', 'imaging_run']);
  });

  it('ships one project template and one equipment template (§15.4)', async () => {
    expect((await listTemplates(starterTemplatesDir(), 'project')).templates.map((t) => t.name)).toEqual(['project_basic']);
    expect((await listTemplates(starterTemplatesDir(), 'equipment')).templates.map((t) => t.name)).toEqual(['instrument_logbook']);
  });
});

describe('every starter template', async () => {
  const names = (await readdir(starterTemplatesDir(), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);

  it('is a template folder', () => {
    expect(names.sort()).toEqual(['confocal_acquisition', 'confocal_calibration', 'imaging_run', 'instrument_logbook', 'project_basic']);
  });

  it.each(names)('%s lints with zero findings', async (name) => {
    expect(await lintTemplate(join(starterTemplatesDir(), name))).toEqual([]);
  });

  it.each(names)('%s renders from its defaults with no Jinja left over', async (name) => {
    const manifest = await loadTemplateManifest(join(starterTemplatesDir(), name));
    const context = manifest.type === 'run' ? BASE_CONTEXT : { ...BASE_CONTEXT, run_kind: undefined };
    const answers = resolveAnswers(manifest, {}, context);
    const result = await renderTemplate(manifest, destination, { ...context, ...answers });
    expect(result.written.length).toBeGreaterThan(0);
    for (const file of result.written) {
      expect(file).not.toMatch(/\{|\}/);
      expect(await readFile(join(destination, file), 'utf8'), file).not.toMatch(/\{\{|\{%|\{#/);
    }
  });

  it.each(names.filter((n) => n !== 'instrument_logbook'))('%s declares README fields beyond the core ones', async (name) => {
    const manifest = await loadTemplateManifest(join(starterTemplatesDir(), name));
    expect(templateReadmeFields(manifest).length).toBeGreaterThan(0);
  });
});

describe('the confocal starter run templates', () => {
  it('renders the acquisition with a channel table, channel settings and a z_stack folder only when asked', async () => {
    const manifest = await resolveTemplate(starterTemplatesDir(), 'confocal_acquisition', 'run', 'experimental');
    const answers = resolveAnswers(manifest, { sample_id: 'S 42/b' }, BASE_CONTEXT);
    expect(answers.sample_slug).toBe('s-42-b');
    const result = await renderTemplate(manifest, destination, { ...BASE_CONTEXT, ...answers });
    expect(result.written).toEqual([
      'acquisition_log.md',
      'processed/README.txt',
      'raw/README.txt',
      'settings/acquisition.json',
      'settings/channels.yaml',
      'z_stack/README.txt',
    ]);
    const log = await readFile(join(destination, 'acquisition_log.md'), 'utf8');
    expect(log).toContain('| 1 | DAPI | 405 | 2 |\n| 2 | GFP | 488 | 5 |\n');
    expect(log).toContain('Step 0.5 um; images go in z_stack/.');
    expect(parseYaml(await readFile(join(destination, 'settings', 'channels.yaml'), 'utf8'))).toMatchObject({
      sample_id: 'S 42/b',
      channels: [{ name: 'DAPI' }, { name: 'GFP' }],
    });
    expect(JSON.parse(await readFile(join(destination, 'settings', 'acquisition.json'), 'utf8'))).toEqual({
      sample_id: 'S 42/b',
      operator: 'ada',
      run_kind: 'experimental',
      z_stack: true,
      z_step_um: 0.5,
    });

    const flat = resolveAnswers(manifest, { z_stack: false }, BASE_CONTEXT);
    const other = join(destination, 'flat');
    expect((await renderTemplate(manifest, other, { ...BASE_CONTEXT, ...flat })).written).not.toContain('z_stack/README.txt');
  });

  it('renders the calibration checklist with one line per laser and a psf folder only when asked', async () => {
    const manifest = await resolveTemplate(starterTemplatesDir(), 'confocal_calibration', 'run', 'test');
    const context = { ...BASE_CONTEXT, run_kind: 'test' };
    const answers = resolveAnswers(manifest, { measure_psf: true, laser_lines_nm: [488, 640] }, context);
    const result = await renderTemplate(manifest, destination, { ...context, ...answers });
    expect(result.written).toEqual(['calibration_checklist.md', 'psf/README.txt', 'raw/README.txt']);
    const checklist = await readFile(join(destination, 'calibration_checklist.md'), 'utf8');
    expect(checklist.match(/^- \[ \] \d+ nm:/gm)).toEqual(['- [ ] 488 nm:', '- [ ] 640 nm:']);
    expect(checklist).toContain('- [ ] PSF stacks saved in psf/\n');
  });
});

describe('the imaging_run starter template', () => {
  it('loads as a run template for both run kinds with its three questions', async () => {
    const manifest = await loadTemplateManifest(join(starterTemplatesDir(), 'imaging_run'), 'run');
    expect(manifest).toMatchObject({ name: 'imaging_run', type: 'run', version: '1.0', runScope: 'both', hasTasks: false });
    expect(manifest.description).not.toBe('');
    expect(manifest.questions.map((q) => [q.name, q.type, q.default])).toEqual([
      ['sample_id', 'str', 'S-001'],
      ['objective_lens', 'str', '40x oil'],
      ['laser_power_pct', 'float', 5],
    ]);
    expect(manifest.questions[1]?.choices).toEqual(['10x air', '20x air', '40x oil', '63x oil']);
  });

  it('resolves every answer from its default', async () => {
    const manifest = await resolveTemplate(starterTemplatesDir(), 'imaging_run', 'run', 'test');
    expect(resolveAnswers(manifest, {}, BASE_CONTEXT)).toEqual({ sample_id: 'S-001', objective_lens: '40x oil', laser_power_pct: 5 });
  });

  it('renders the acquisition notes, settings and data folders', async () => {
    const manifest = await resolveTemplate(starterTemplatesDir(), 'imaging_run', 'run', 'experimental');
    const answers = resolveAnswers(manifest, { sample_id: 'S-042', laser_power_pct: '7.5' }, BASE_CONTEXT);
    const result = await renderTemplate(manifest, destination, { ...BASE_CONTEXT, ...answers });
    expect(result).toEqual({
      written: ['acquisition_notes.md', 'processed/README.txt', 'raw/README.txt', 'settings/acquisition.yaml'],
      kept: [],
    });

    const notes = await readFile(join(destination, 'acquisition_notes.md'), 'utf8');
    expect(notes).toContain('# Acquisition notes: Pilot scan\n');
    expect(notes).toContain('- Project: Cortex Q3 Pilot (PROJ-0042)\n');
    expect(notes).toContain('- Run kind: experimental\n');
    expect(notes).toContain('- Sample: S-042\n');
    expect(notes).toContain('- Objective lens: 40x oil\n');
    expect(notes).toContain('- Laser power: 7.5 %\n');
    expect(notes).toContain('## Objective\n\nCheck the staining of slice 3.\n');
    expect(notes).not.toMatch(/\{\{|\{%/);

    const settings = await readFile(join(destination, 'settings', 'acquisition.yaml'), 'utf8');
    expect(parseYaml(settings)).toEqual({ sample_id: 'S-042', objective_lens: '40x oil', laser_power_pct: 7.5, operator: 'ada' });

    const source = await readFile(join(starterTemplatesDir(), 'imaging_run', 'raw', 'README.txt'));
    expect((await readFile(join(destination, 'raw', 'README.txt'))).equals(source)).toBe(true);
    expect(existsSync(join(destination, 'copier.yml'))).toBe(false);
  });
});
