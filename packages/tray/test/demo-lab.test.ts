import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateSetupState, loadConfig } from '@exlab/core/config';
import { readOfflineCatalogue } from '@exlab/core/lims';
import { listTemplates } from '@exlab/core/template';
import { DEMO_EQUIPMENT_ID, DEMO_PROJECTS, ensureDemoLab } from '@exlab/tray';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'exlab-demo-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('ensureDemoLab', () => {
  it('creates a config that loads and is ready, with one equipment and the starter run template', async () => {
    const demo = await ensureDemoLab(dataDir, new Date('2026-05-01T10:00:00Z'));
    expect(demo.created).toBe(true);
    const { config } = await loadConfig(demo.configPath);
    expect(config.equipment.map((e) => e.id)).toEqual([DEMO_EQUIPMENT_ID]);
    expect(evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null }).state).toBe('ready');
    const { templates } = await listTemplates(config.paths.templates_dir, 'run', 'experimental');
    expect(templates.map((t) => t.name)).toContain('imaging_run');
  });

  it('writes an offline catalogue with the two demo projects', async () => {
    const demo = await ensureDemoLab(dataDir);
    const catalogue = await readOfflineCatalogue(join(demo.root, 'lims-catalogue.json'));
    expect(catalogue.projects.map((p) => p.name)).toEqual(DEMO_PROJECTS.map((p) => p.name));
    expect(new Set(catalogue.projects.map((p) => p.uid)).size).toBe(2);
  });

  it('keeps everything under <dataDir>/demo-lab', async () => {
    await ensureDemoLab(dataDir);
    expect(await readdir(dataDir)).toEqual(['demo-lab']);
    expect((await readdir(join(dataDir, 'demo-lab'))).sort()).toEqual([
      'config.yaml',
      'lab',
      'lims-catalogue.json',
      'nas',
      'plugins',
      'staging',
      'templates',
    ]);
  });

  it('leaves an existing demo lab untouched', async () => {
    const first = await ensureDemoLab(dataDir);
    const before = await readFile(first.configPath, 'utf8');
    const second = await ensureDemoLab(dataDir);
    expect(second.created).toBe(false);
    expect(await readFile(second.configPath, 'utf8')).toBe(before);
  });
});
