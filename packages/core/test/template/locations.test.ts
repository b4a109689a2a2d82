import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExLabError, TemplateLoadError } from '@exlab/core/errors';
import {
  equipmentTemplatesDir,
  listTemplatesFor,
  resolveTemplateFor,
  templateRoots,
  type TemplateLocationsConfig,
} from '@exlab/core/template';
import { makeTempDir, writeTemplate } from './template-fixtures.js';

let base: string;
let globalDir: string;
let equipmentDir: string;
let config: TemplateLocationsConfig;

const run = (scope: string, version = '1.0') => `_exlab_type: run\n_exlab_version: '${version}'\n_exlab_run_scope: ${scope}\n`;
const project = (version = '1.0') => `_exlab_type: project\n_exlab_version: '${version}'\n`;

beforeEach(async () => {
  base = await makeTempDir('locations');
  globalDir = join(base, 'templates');
  config = {
    paths: { templates_dir: globalDir, local_root: join(base, 'lab') },
    equipment: [{ id: 'CONFOCAL_01' }, { id: 'FLOW_01', local_root: join(base, 'flow-disk') }],
  };
  equipmentDir = join(base, 'lab', 'CONFOCAL_01', '.exlab-wizard', 'templates');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const names = (list: { name: string; source: string }[]): string[] => list.map((t) => `${t.name}@${t.source}`);

describe('equipmentTemplatesDir and templateRoots (§5.0)', () => {
  it('puts per-equipment templates in <equipment folder>/.exlab-wizard/templates, honouring the equipment local_root', () => {
    expect(equipmentTemplatesDir(config, 'CONFOCAL_01')).toBe(equipmentDir);
    expect(equipmentTemplatesDir(config, 'FLOW_01')).toBe(join(base, 'flow-disk', 'FLOW_01', '.exlab-wizard', 'templates'));
  });

  it('refuses an equipment id that is not configured, listing the known ones', () => {
    const error: unknown = (() => {
      try {
        return equipmentTemplatesDir(config, 'confocal_01');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ExLabError);
    expect(error).toMatchObject({ code: 'equipment_not_configured', details: { known: ['CONFOCAL_01', 'FLOW_01'] } });
  });

  it('reads project and run templates from the equipment folder first, then the global one', () => {
    for (const type of ['project', 'run'] as const) {
      expect(templateRoots(config, type, 'CONFOCAL_01')).toEqual([
        { dir: equipmentDir, source: 'equipment' },
        { dir: globalDir, source: 'global' },
      ]);
    }
  });

  it('reads equipment templates, and everything without an equipment id, from the global folder only', () => {
    expect(templateRoots(config, 'equipment', 'CONFOCAL_01')).toEqual([{ dir: globalDir, source: 'global' }]);
    expect(templateRoots(config, 'run')).toEqual([{ dir: globalDir, source: 'global' }]);
  });

  it('treats an unset templates_dir as no folder rather than the working directory', () => {
    expect(templateRoots({ ...config, paths: { ...config.paths, templates_dir: '' } }, 'run', 'CONFOCAL_01')).toEqual([
      { dir: equipmentDir, source: 'equipment' },
    ]);
  });
});

describe('listTemplatesFor (§5.0)', () => {
  it('merges global and per-equipment project templates, the per-equipment one winning a name clash', async () => {
    await writeTemplate(globalDir, 'project_basic', project('1.0'));
    await writeTemplate(globalDir, 'project_shared', project());
    await writeTemplate(equipmentDir, 'project_basic', project('2.0'));
    await writeTemplate(equipmentDir, 'project_confocal', project());
    const listing = await listTemplatesFor(config, { type: 'project', equipmentId: 'CONFOCAL_01' });
    expect(names(listing.templates)).toEqual(['project_basic@equipment', 'project_confocal@equipment', 'project_shared@global']);
    expect(listing.templates[0]?.version).toBe('2.0');
    expect(names(listing.shadowed)).toEqual(['project_basic@global']);
    expect(listing.rejected).toEqual([]);
  });

  it('offers runs the per-equipment and the global run templates, filtered by run scope', async () => {
    await writeTemplate(globalDir, 'generic_run', run('both'));
    await writeTemplate(globalDir, 'global_test', run('test'));
    await writeTemplate(equipmentDir, 'confocal_run', run('experimental'));
    const experimental = await listTemplatesFor(config, { type: 'run', equipmentId: 'CONFOCAL_01', runKind: 'experimental' });
    expect(names(experimental.templates)).toEqual(['confocal_run@equipment', 'generic_run@global']);
    const test = await listTemplatesFor(config, { type: 'run', equipmentId: 'CONFOCAL_01', runKind: 'test' });
    expect(names(test.templates)).toEqual(['generic_run@global', 'global_test@global']);
  });

  it('lets a per-equipment run template replace the global one of that name for every run kind, whatever its scope', async () => {
    await writeTemplate(globalDir, 'imaging_run', run('both'));
    await writeTemplate(equipmentDir, 'imaging_run', run('test'));
    const experimental = await listTemplatesFor(config, { type: 'run', equipmentId: 'CONFOCAL_01', runKind: 'experimental' });
    expect(experimental.templates).toEqual([]);
    expect(names(experimental.shadowed)).toEqual(['imaging_run@global']);
  });

  it('hides the global template behind a broken per-equipment override and reports the override', async () => {
    await writeTemplate(globalDir, 'imaging_run', run('both'));
    await writeTemplate(equipmentDir, 'imaging_run', '_exlab_type: run\n_exlab_run_scope: both\n');
    const listing = await listTemplatesFor(config, { type: 'run', equipmentId: 'CONFOCAL_01' });
    expect(listing.templates).toEqual([]);
    expect(listing.rejected).toHaveLength(1);
    expect(listing.rejected[0]).toMatchObject({ name: 'imaging_run', source: 'equipment', path: join(equipmentDir, 'imaging_run') });
    expect(listing.rejected[0]?.error.field).toBe('_exlab_version');
  });

  it('does not let a per-equipment template of another type hide a global one', async () => {
    await writeTemplate(globalDir, 'basic', run('both'));
    await writeTemplate(equipmentDir, 'basic', project());
    const runs = await listTemplatesFor(config, { type: 'run', equipmentId: 'CONFOCAL_01' });
    expect(names(runs.templates)).toEqual(['basic@global']);
    const projects = await listTemplatesFor(config, { type: 'project', equipmentId: 'CONFOCAL_01' });
    expect(names(projects.templates)).toEqual(['basic@equipment']);
  });

  it('lists equipment templates from the global folder only', async () => {
    await writeTemplate(globalDir, 'logbook', '_exlab_type: equipment\n_exlab_version: "1"\n');
    await writeTemplate(equipmentDir, 'local_logbook', '_exlab_type: equipment\n_exlab_version: "1"\n');
    const listing = await listTemplatesFor(config, { type: 'equipment', equipmentId: 'CONFOCAL_01' });
    expect(names(listing.templates)).toEqual(['logbook@global']);
  });

  it('lists a template with _tasks, flagged, and works when the equipment has no template folder', async () => {
    await writeTemplate(globalDir, 'old_style', `${project()}_tasks:\n  - rm -rf /\n`);
    const listing = await listTemplatesFor(config, { type: 'project', equipmentId: 'FLOW_01' });
    expect(listing.templates.map((t) => [t.name, t.hasTasks])).toEqual([['old_style', true]]);
  });
});

describe('resolveTemplateFor (§5.0)', () => {
  async function refusal(promise: Promise<unknown>): Promise<TemplateLoadError> {
    const error: unknown = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateLoadError);
    return error as TemplateLoadError;
  }

  it('takes the per-equipment template before the global one of the same name', async () => {
    await writeTemplate(globalDir, 'imaging_run', run('both', '1.0'));
    await writeTemplate(equipmentDir, 'imaging_run', run('both', '2.0'));
    const template = await resolveTemplateFor(config, 'CONFOCAL_01', 'imaging_run', 'run', 'test');
    expect(template).toMatchObject({ name: 'imaging_run', version: '2.0', source: 'equipment', path: join(equipmentDir, 'imaging_run') });
  });

  it('falls back to the global folder, and uses only it without an equipment id', async () => {
    await writeTemplate(globalDir, 'imaging_run', run('both'));
    expect((await resolveTemplateFor(config, 'CONFOCAL_01', 'imaging_run', 'run')).source).toBe('global');
    expect((await resolveTemplateFor(config, undefined, 'imaging_run', 'run')).source).toBe('global');
  });

  it('accepts an absolute path inside either folder and refuses one outside both', async () => {
    const inside = await writeTemplate(equipmentDir, 'confocal_run', run('both'));
    expect((await resolveTemplateFor(config, 'CONFOCAL_01', inside, 'run')).source).toBe('equipment');
    const outside = await writeTemplate(join(base, 'elsewhere'), 'sneaky', run('both'));
    const error = await refusal(resolveTemplateFor(config, 'CONFOCAL_01', outside, 'run'));
    expect(error).toMatchObject({ field: 'template_path', details: { templates_dirs: [equipmentDir, globalDir] } });
  });

  it('refuses a name no folder holds, naming both folders', async () => {
    const error = await refusal(resolveTemplateFor(config, 'CONFOCAL_01', 'missing', 'run'));
    expect(error.field).toBe('template_path');
    expect(error.message).toContain(equipmentDir);
    expect(error.message).toContain(globalDir);
  });

  it('refuses a path that climbs out of the folders', async () => {
    await writeTemplate(base, 'outside', run('both'));
    expect((await refusal(resolveTemplateFor(config, 'CONFOCAL_01', '../outside', 'run'))).field).toBe('template_path');
  });

  it('reports the type mismatch when only a template of another type has the name', async () => {
    await writeTemplate(globalDir, 'project_basic', project());
    const error = await refusal(resolveTemplateFor(config, 'CONFOCAL_01', 'project_basic', 'run'));
    expect(error.details).toMatchObject({ key: '_exlab_type', expected: 'run', found: 'project' });
  });

  it('refuses a per-equipment template whose scope excludes the run kind, without falling back', async () => {
    await writeTemplate(globalDir, 'imaging_run', run('both'));
    await writeTemplate(equipmentDir, 'imaging_run', run('test'));
    const error = await refusal(resolveTemplateFor(config, 'CONFOCAL_01', 'imaging_run', 'run', 'experimental'));
    expect(error.details).toMatchObject({ run_scope: 'test', run_kind: 'experimental' });
  });

  it('reports a broken per-equipment override instead of silently using the global template', async () => {
    await writeTemplate(globalDir, 'imaging_run', run('both'));
    await writeTemplate(equipmentDir, 'imaging_run', '_exlab_type: run\n_exlab_run_scope: both\n');
    const error = await refusal(resolveTemplateFor(config, 'CONFOCAL_01', 'imaging_run', 'run'));
    expect(error.details).toMatchObject({ key: '_exlab_version' });
  });

  it('refuses an unknown equipment id', async () => {
    await expect(resolveTemplateFor(config, 'NOPE_01', 'imaging_run', 'run')).rejects.toMatchObject({ code: 'equipment_not_configured' });
  });
});
