import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunKind, SyncStatus } from '../../src/constants/index.js';
import { ConfigSchema, type Config, type ConfigInput, type ValidationOverride } from '../../src/schemas/index.js';

/** A creation.json body at 1.9 for a folder, with the fields a test varies. */
export function creationBody(options: {
  level: 'project' | 'run';
  path: string;
  runKind?: RunKind;
  syncStatus?: SyncStatus;
  overrides?: ValidationOverride[];
  template?: { name: string; version: string; source_path: string };
}): Record<string, unknown> {
  return {
    schema_version: '1.9',
    created_at: '2026-04-17T14:32:00Z',
    created_by: 'ada',
    level: options.level,
    run_kind: options.runKind ?? 'experimental',
    lims_project: {
      uid: '0f8fad5b-d9cb-469f-a165-70867728950e',
      short_id: 'PROJ-0042',
      name_at_creation: 'Cortex Q3 Pilot',
      source: 'live',
      cache_freshness_at_use: null,
    },
    template: options.template ?? { name: 'imaging_run', version: '1.0', source_path: '/nonexistent/imaging_run' },
    variables: {},
    paths: { local: options.path, nas: `/nas${options.path}` },
    plugins_applied: [],
    orchestrator: { enabled: true, host: 'station-7', label: 'Imaging station' },
    sync_status: options.syncStatus ?? 'pending',
    validation_overrides: options.overrides ?? [],
  };
}

/** A creation.json written at schema 1.0: before run_kind, overrides, the LIMS link and the orchestrator block. */
export function creationBody10(path: string): Record<string, unknown> {
  return {
    schema_version: '1.0',
    created_at: '2024-01-09T10:00:00Z',
    created_by: 'ada',
    level: 'run',
    template: { name: 'imaging_run', version: '0.9', source_path: '/nonexistent/imaging_run' },
    variables: {},
    paths: { local: path, nas: `/nas${path}` },
    plugins_applied: [],
    sync_status: 'synced',
  };
}

/** readme_fields.json 1.1 with the given config fields. */
export function readmeFieldsBody(
  configFields: Record<string, string | null>,
  templateFields: Record<string, string | null> = {},
): Record<string, unknown> {
  return {
    schema_version: '1.1',
    generated_at: '2026-04-17T14:32:05Z',
    core_fields: { label: 'Calibration sweep', operator: 'ada', objective: 'Check the laser power.' },
    template_fields: templateFields,
    config_fields: configFields,
    custom_fields: [],
    system_fields: {
      created: '2026-04-17T14:32:00Z',
      created_by: 'ada',
      equipment: { id: 'CONFOCAL_01', label: 'Confocal 1' },
      template: { name: 'imaging_run', version: '1.0' },
      project: 'Cortex',
    },
  };
}

/** A clean README.md with §10.7 front matter. */
export function readmeText(label = 'Calibration sweep'): string {
  return [
    '---',
    'readme_schema_version: "1.1"',
    `label: "${label}"`,
    'operator: "ada"',
    'objective: "Check the laser power."',
    'template_fields: {}',
    'config_fields:',
    '  irb_protocol: "IRB-1"',
    'custom_fields: []',
    'system:',
    '  created: "2026-04-17T14:32:00Z"',
    '  equipment:',
    '    id: "CONFOCAL_01"',
    '---',
    '',
    `# ${label}`,
    '',
    'Prose may say <your_protocol> freely.',
    '',
  ].join('\n');
}

/** A temporary lab: `<root>/lab/<EQ>/...`, a staging root and a templates folder, removed by {@link cleanup}. */
export class LabTree {
  private constructor(readonly root: string) {}

  /** A fresh temporary lab folder. */
  static async create(): Promise<LabTree> {
    return new LabTree(await mkdtemp(join(tmpdir(), 'exlab-validator-')));
  }

  /** `<root>/lab`. */
  get lab(): string {
    return join(this.root, 'lab');
  }

  /** `<root>/staging`. */
  get staging(): string {
    return join(this.root, 'staging');
  }

  /** `<root>/templates`. */
  get templates(): string {
    return join(this.root, 'templates');
  }

  /** Absolute path of a path relative to the lab root. */
  path(...parts: string[]): string {
    return join(this.lab, ...parts);
  }

  /** A config with CONFOCAL_01 and FLOW_01 under the lab root, the staging root and the templates folder. */
  config(extra: Partial<ConfigInput> = {}): Config {
    const equipment = (id: string) => ({
      id,
      label: id,
      nas_root: '/nas',
      completeness_signal: 'sentinel_file' as const,
      sentinel_filename: 'done.flag',
      transport: { type: 'local' as const, path: '/nas' },
    });
    return ConfigSchema.parse({
      paths: { local_root: this.lab, templates_dir: this.templates },
      equipment: [equipment('CONFOCAL_01'), equipment('FLOW_01')],
      orchestrator: { label: 'Station', staging_root: this.staging },
      ...extra,
    });
  }

  /** Writes a file (text or bytes) at an absolute path, creating its folders. */
  async file(path: string, content: string | Uint8Array): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    return path;
  }

  /** Creates a folder at an absolute path. */
  async folder(path: string): Promise<string> {
    await mkdir(path, { recursive: true });
    return path;
  }

  /** Writes `<dir>/.exlab-wizard/creation.json` (an object is written as JSON, a string as is). */
  async creation(dir: string, body: Record<string, unknown> | string): Promise<void> {
    await this.file(join(dir, '.exlab-wizard', 'creation.json'), typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`);
  }

  /** Writes `<dir>/.exlab-wizard/readme_fields.json`. */
  async readmeFields(dir: string, body: Record<string, unknown>): Promise<void> {
    await this.file(join(dir, '.exlab-wizard', 'readme_fields.json'), `${JSON.stringify(body, null, 2)}\n`);
  }

  /** A project folder with a valid creation.json (unless `orphan`), under `<lab>/<equipment>`. */
  async project(equipment: string, name: string, options: { orphan?: boolean } = {}): Promise<string> {
    const dir = await this.folder(this.path(equipment, name));
    if (!options.orphan) await this.creation(dir, creationBody({ level: 'project', path: dir }));
    return dir;
  }

  /** A run folder `<project>/<container>/<leaf>` with a creation.json built from `options` (none when `creation` is null). */
  async run(
    project: string,
    container: string,
    leaf: string,
    options: {
      runKind?: RunKind;
      syncStatus?: SyncStatus;
      overrides?: ValidationOverride[];
      creation?: Record<string, unknown> | string | null;
    } = {},
  ): Promise<string> {
    const dir = await this.folder(container === '' ? join(project, leaf) : join(project, container, leaf));
    const body =
      options.creation === undefined
        ? creationBody({ level: 'run', path: dir, runKind: options.runKind, syncStatus: options.syncStatus, overrides: options.overrides })
        : options.creation;
    if (body !== null) await this.creation(dir, body);
    return dir;
  }

  /** Removes the whole temporary lab. */
  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
