import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseConfigText } from '@exlab/core/config';
import type { Config, RunCreateRequest } from '@exlab/core/schemas';
import { starterTemplatesDir } from '@exlab/core/starter';

/** One project of the offline catalogue the test lab ships. */
export interface CatalogueEntry {
  uid: string;
  short_id: string;
  name: string;
}

/** The projects every test lab's catalogue lists. */
export const CATALOGUE_PROJECTS: readonly CatalogueEntry[] = [
  { uid: 'uid-cortex-0001', short_id: 'PROJ-0001', name: 'Cortex Q3 Pilot' },
  { uid: 'uid-retina-0002', short_id: 'PROJ-0002', name: 'Retina Mapping' },
];

/** When the catalogue was produced. */
export const CATALOGUE_PRODUCED_AT = '2026-01-01T00:00:00Z';

/** The one configured equipment. */
export const EQUIPMENT_ID = 'CONFOCAL_01';
export const EQUIPMENT_LABEL = 'Confocal microscope';
export const SENTINEL = 'ACQ_DONE.flag';
export const ORCHESTRATOR_LABEL = 'Imaging station';

/** A temporary lab: starter templates, an offline catalogue, a config, and empty local/NAS roots. */
export interface TestLab {
  /** Root of everything the lab owns; removed by {@link TestLab.remove}. */
  root: string;
  templatesDir: string;
  localRoot: string;
  nasRoot: string;
  cataloguePath: string;
  config: Config;
  /** Removes the whole lab. */
  remove(): Promise<void>;
}

/** Options of {@link createTestLab}. */
export interface TestLabOptions {
  /** `operators.allowlist`. */
  allowlist?: string[];
}

/** Makes a temporary lab under the OS temp directory; the config is parsed by the real loader. */
export async function createTestLab(options: TestLabOptions = {}): Promise<TestLab> {
  const root = await mkdtemp(join(tmpdir(), 'exlab-lab-'));
  const templatesDir = join(root, 'templates');
  const pluginDir = join(root, 'plugins');
  const localRoot = join(root, 'local');
  const nasRoot = join(root, 'nas');
  const stagingRoot = join(root, 'staging');
  const cataloguePath = join(root, 'catalogue.json');
  await cp(starterTemplatesDir(), templatesDir, { recursive: true });
  await Promise.all([pluginDir, localRoot, nasRoot, stagingRoot].map((dir) => mkdir(dir, { recursive: true })));
  await writeFile(
    cataloguePath,
    JSON.stringify({
      schema_version: '1.0',
      produced_by: 'lims-export test',
      produced_at: CATALOGUE_PRODUCED_AT,
      lims_endpoint: '',
      projects: CATALOGUE_PROJECTS,
    }),
  );
  // JSON strings are valid YAML scalars, so every path is quoted safely.
  const q = (value: string): string => JSON.stringify(value);
  const allowlist = options.allowlist ?? [];
  const text = [
    'paths:',
    `  templates_dir: ${q(templatesDir)}`,
    `  plugin_dir: ${q(pluginDir)}`,
    `  local_root: ${q(localRoot)}`,
    'lims:',
    `  offline_catalogue_path: ${q(cataloguePath)}`,
    'operators:',
    `  allowlist: ${JSON.stringify(allowlist)}`,
    'equipment:',
    `  - id: ${EQUIPMENT_ID}`,
    `    label: ${q(EQUIPMENT_LABEL)}`,
    `    nas_root: ${q(nasRoot)}`,
    '    completeness_signal: sentinel_file',
    `    sentinel_filename: ${SENTINEL}`,
    '    sync_mode: nas',
    '    transport:',
    '      type: local',
    `      path: ${q(nasRoot)}`,
    'orchestrator:',
    `  label: ${q(ORCHESTRATOR_LABEL)}`,
    `  staging_root: ${q(stagingRoot)}`,
    '',
  ].join('\n');
  const { config } = parseConfigText(text, join(root, 'config.yaml'));
  return { root, templatesDir, localRoot, nasRoot, cataloguePath, config, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Every file and folder a run from the starter `imaging_run` template holds, as `listTree` lists them. */
export const IMAGING_RUN_FILES: readonly string[] = [
  '.exlab-answers.yml',
  '.exlab-wizard/',
  '.exlab-wizard/creation.json',
  '.exlab-wizard/readme_fields.json',
  'README.md',
  'acquisition_notes.md',
  'processed/',
  'processed/README.txt',
  'raw/',
  'raw/README.txt',
  'settings/',
  'settings/acquisition.yaml',
];

/** A valid experimental run request for the lab's equipment and first catalogue project. */
export function runRequest(overrides: Partial<RunCreateRequest> = {}): RunCreateRequest {
  return {
    kind: 'run',
    equipment_id: EQUIPMENT_ID,
    project_name: 'Cortex Q3 Pilot',
    template_path: 'imaging_run',
    run_kind: 'experimental',
    label: 'Slice 4 baseline',
    operator: 'ada',
    objective: 'Measure baseline fluorescence in slice 4.',
    run_date: '2026-03-02T09:15:00Z',
    variables: { sample_id: 'S-042', objective_lens: '63x oil', laser_power_pct: 7.5 },
    readme_extra: {},
    readme_custom_fields: [],
    ...overrides,
  };
}

/** Every file and folder under `dir` (relative, POSIX separators, sorted); folders end with `/`. Empty for a missing dir. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .map((entry) => {
      const rel = relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/');
      return entry.isDirectory() ? `${rel}/` : rel;
    })
    .sort();
}

/** Every file under `dir` with its bytes, keyed by relative path. */
export async function snapshotFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const rel of await listTree(dir)) {
    if (!rel.endsWith('/')) files.set(rel, await readFile(join(dir, rel)));
  }
  return files;
}
