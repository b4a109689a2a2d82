import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseConfigText } from '@exlab/core/config';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import { CreationController, corePluginHost, type CreationControllerOptions, type DefaultPluginPort } from '@exlab/controller';
import type { Config, ProjectCreateRequest, RunCreateRequest, SessionEvent, SessionHandle } from '@exlab/core/schemas';
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
  /** The lab's config.yaml, written to disk (for processes and the embed example). */
  configPath: string;
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
  const configPath = join(root, 'config.yaml');
  await writeFile(configPath, text);
  const { config } = parseConfigText(text, configPath);
  return {
    root,
    templatesDir,
    localRoot,
    nasRoot,
    cataloguePath,
    configPath,
    config,
    remove: () => rm(root, { recursive: true, force: true }),
  };
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

/** A valid project request for the lab's equipment and the second catalogue project (no folder exists for it yet). */
export function projectRequest(overrides: Partial<ProjectCreateRequest> = {}): ProjectCreateRequest {
  return {
    kind: 'project',
    equipment_id: EQUIPMENT_ID,
    template_path: 'project_basic',
    label: 'Retina mapping',
    operator: 'ada',
    objective: 'Map retinal ganglion cells.',
    lims_project: { uid: 'uid-retina-0002', short_id: 'PROJ-0002', name: 'Retina Mapping' },
    variables: {},
    readme_extra: {},
    readme_custom_fields: [],
    ...overrides,
  };
}

/** A controller whose tests wait for the outcome: `createRunToEnd` resolves with the final snapshot. */
export class TestController extends CreationController {
  /** Creates a run and waits until the session is done, failed or aborted. */
  async createRunToEnd(request: RunCreateRequest): Promise<SessionHandle> {
    const handle = await this.createRun(request);
    return this.settled(handle.session_id);
  }

  /** Creates a project and waits until the session ends. */
  async createProjectToEnd(request: ProjectCreateRequest): Promise<SessionHandle> {
    const handle = await this.createProject(request);
    return this.settled(handle.session_id);
  }

  /** Every frame of a session, waiting for its end. */
  async framesOf(sessionId: string): Promise<SessionEvent[]> {
    const frames: SessionEvent[] = [];
    for await (const frame of this.subscribe(sessionId)) frames.push(frame);
    return frames;
  }
}

/** A TestController over the lab's config, with a fixed OS user and hostname and no GC loop. */
export function testController(lab: TestLab, options: Partial<CreationControllerOptions> = {}): TestController {
  return new TestController({ getConfig: () => lab.config, osUser: 'ada-os', hostname: 'bench-host', gc: false, ...options });
}

/** One line a {@link recordingLogger} received. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields?: Readonly<Record<string, unknown>> | undefined;
}

/** A logger that keeps every line in `lines` (children share them). */
export function recordingLogger(): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const make = (): Logger => {
    const base = createNullLogger('DEBUG');
    const record =
      (level: LoggedLine['level']) =>
      (msg: string, fields?: Readonly<Record<string, unknown>>): void =>
        void lines.push({ level, msg, fields });
    return Object.assign(base, {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      child: () => make(),
    });
  };
  return Object.assign(make(), { lines });
}

/** The plugin fixtures `@exlab/core` ships for tests (hello, input_required, error, timeout, ...). */
export const PLUGIN_FIXTURES = join(import.meta.dirname, '..', '..', '..', 'core', 'test', 'fixtures', 'plugins');

/**
 * Installs plugin fixtures into the lab's `paths.plugin_dir` and returns the REAL plugin host
 * behind the plugin port, with no bundled plugins and its stderr logs inside the lab.
 */
export async function installPlugins(lab: TestLab, names: readonly string[], logger?: Logger): Promise<DefaultPluginPort> {
  for (const name of names) await cp(join(PLUGIN_FIXTURES, name), join(lab.config.paths.plugin_dir, name), { recursive: true });
  return corePluginHost({
    getConfig: () => lab.config,
    logDir: join(lab.root, 'logs', 'plugins'),
    bundledRoot: null,
    ...(logger ? { logger } : {}),
  });
}
