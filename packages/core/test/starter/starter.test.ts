import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { starterDir, starterTemplatesDir } from '@exlab/core/starter';
import { listTemplates, loadTemplateManifest, renderTemplate, resolveAnswers, resolveTemplate } from '@exlab/core/template';

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

  it('offers imaging_run for experimental and test runs and rejects nothing', async () => {
    for (const kind of ['experimental', 'test'] as const) {
      const { templates, rejected } = await listTemplates(starterTemplatesDir(), 'run', kind);
      expect(templates.map((t) => t.name)).toContain('imaging_run');
      expect(rejected).toEqual([]);
    }
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
