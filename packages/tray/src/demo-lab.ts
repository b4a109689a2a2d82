import { randomUUID } from 'node:crypto';
import { access, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_NAMES, SCHEMA_VERSIONS } from '@exlab/core/constants';
import { writeFileAtomic, writeJsonAtomic } from '@exlab/core/io';
import { formatUtcTimestamp } from '@exlab/core/schemas';
import { starterTemplatesDir } from '@exlab/core/starter';

/** The embedded demo lab: a working config on local folders, used when no config exists. */
export interface DemoLab {
  /** Folder holding everything of the demo lab. */
  root: string;
  /** Its config.yaml. */
  configPath: string;
  /** True when this call created it; false when it was already there. */
  created: boolean;
}

/** Equipment id of the demo lab's one instrument. */
export const DEMO_EQUIPMENT_ID = 'DEMO_SCOPE_01';

/** The two projects of the demo lab's offline LIMS catalogue. */
export const DEMO_PROJECTS = [
  { short_id: 'PROJ-0001', name: 'Cortex Q3 Pilot', status: 'active', owner: 'demo.lead@lab.example' },
  { short_id: 'PROJ-0002', name: 'Zebrafish Heart Atlas', status: 'active', owner: 'demo.lead@lab.example' },
] as const;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates the demo lab under `<dataDir>/demo-lab` unless it exists: starter templates, an empty
 * plugin folder, a local lab root, a "NAS" and a staging folder on local disk, an offline LIMS
 * catalogue with two projects, and a config.yaml pointing at all of them (written last, so an
 * interrupted setup is redone on the next start).
 */
export async function ensureDemoLab(dataDir: string, now: Date = new Date()): Promise<DemoLab> {
  const root = join(dataDir, 'demo-lab');
  const configPath = join(root, FILE_NAMES.config);
  if (await exists(configPath)) return { root, configPath, created: false };

  const dirs = {
    templates: join(root, 'templates'),
    plugins: join(root, 'plugins'),
    lab: join(root, 'lab'),
    nas: join(root, 'nas'),
    staging: join(root, 'staging'),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  await cp(starterTemplatesDir(), dirs.templates, { recursive: true, force: false, errorOnExist: false });

  const cataloguePath = join(root, 'lims-catalogue.json');
  await writeJsonAtomic(cataloguePath, {
    schema_version: SCHEMA_VERSIONS.offline_catalogue,
    produced_by: 'ExLab-Wizard demo lab',
    produced_at: formatUtcTimestamp(now),
    lims_endpoint: '',
    projects: DEMO_PROJECTS.map((p) => ({ uid: randomUUID(), ...p, contact: 'Demo Lead', members: ['demo.operator'] })),
  });

  const q = (value: string): string => JSON.stringify(value);
  const yaml = `# ExLab-Wizard demo lab, created ${formatUtcTimestamp(now)}.
# Everything it writes stays under ${root}.
# To use your own lab, save a config in Settings or point EXLAB_CONFIG at your file.
paths:
  templates_dir: ${q(dirs.templates)}   # starter templates, copied from the app
  plugin_dir: ${q(dirs.plugins)}
  local_root: ${q(dirs.lab)}            # runs are created under <local_root>/<equipment>/<project>/

lims:
  offline_catalogue_path: ${q(cataloguePath)}   # two demo projects; no LIMS server needed

equipment:
  - id: ${q(DEMO_EQUIPMENT_ID)}
    label: "Demo Confocal Microscope"
    nas_root: ${q(dirs.nas)}            # a folder on this disk stands in for the NAS
    completeness_signal: "sentinel_file"
    sentinel_filename: "acquisition_complete.flag"
    sync_mode: "nas"
    transport:
      type: "local"
      path: ${q(dirs.nas)}

orchestrator:
  label: "Demo Lab Station"
  staging_root: ${q(dirs.staging)}
`;
  await writeFileAtomic(configPath, yaml);
  return { root, configPath, created: true };
}
