import { SCHEMA_VERSIONS, type RunKind } from '@exlab/core/constants';
import { formatUtcTimestamp, NewCreationJsonSchema, ReadmeFieldsJsonSchema, type NewCreationJson } from '@exlab/core/schemas';
import { REQUIRED_CONFIG_FIELD, OPTIONAL_CONFIG_FIELD } from './seeded-problems.js';
import type { SeededRandom } from './seeded-random.js';

/** Absolute folders of a generated lab, as config.yaml names them. */
export interface LabDirs {
  out: string;
  lab: string;
  nas: string;
  templates: string;
  plugins: string;
  staging: string;
  catalogue: string;
}

/** The workstation every generated creation.json names. */
export const LAB_HOST = 'labpc-04';
/** The orchestrator label of the generated config. */
export const LAB_STATION = 'Imaging Core Station';
/** The OS user that "created" every folder. */
export const LAB_OS_USER = 'labadmin';
/** The run template every generated run records. */
export const RUN_TEMPLATE = { name: 'imaging_run', version: '1.0' } as const;
/** The project template every generated project records. */
export const PROJECT_TEMPLATE = { name: 'project_basic', version: '0.1.0' } as const;
/** Sentinel file name of every generated equipment. */
export const SENTINEL_FILENAME = 'acquisition_complete.flag';

const q = (value: unknown): string => JSON.stringify(value);

/** Pretty JSON with a final newline, as the product's writers produce. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A creation.json body validated with the product's schema for new files before it is written. */
export function creationJsonText(body: NewCreationJson): string {
  return jsonText(NewCreationJsonSchema.parse(body));
}

/** Inputs shared by the creation.json of a project or a run. */
export interface CreationInput {
  level: 'project' | 'run';
  runKind: RunKind;
  createdAt: Date;
  project: { uid: string; shortId: string; name: string };
  template: { name: string; version: string; sourcePath: string; runScope?: 'both' };
  variables: Record<string, unknown>;
  local: string;
  nas: string;
  equipmentLabel: string;
  syncStatus: NewCreationJson['sync_status'];
  pluginsApplied?: NewCreationJson['plugins_applied'];
}

/** creation.json at the current version (§11.3, 1.9 with the relay fields). */
export function creationJson(input: CreationInput): NewCreationJson {
  return {
    schema_version: SCHEMA_VERSIONS.creation_json,
    created_at: formatUtcTimestamp(input.createdAt),
    created_by: LAB_OS_USER,
    level: input.level,
    run_kind: input.runKind,
    lims_project: {
      uid: input.project.uid,
      short_id: input.project.shortId,
      name_at_creation: input.project.name,
      source: 'offline_catalogue',
      cache_freshness_at_use: null,
    },
    template: {
      name: input.template.name,
      version: input.template.version,
      source_path: input.template.sourcePath,
      ...(input.template.runScope ? { run_scope: input.template.runScope } : {}),
    },
    variables: input.variables,
    paths: { local: input.local, nas: input.nas },
    plugins_applied: input.pluginsApplied ?? [],
    orchestrator: {
      enabled: true,
      host: LAB_HOST,
      label: LAB_STATION,
      equipment_label: input.equipmentLabel,
      completeness_signal: 'sentinel_file',
      sentinel_filename: SENTINEL_FILENAME,
    },
    sync_status: input.syncStatus,
    validation_overrides: [],
  };
}

/** The README fields of one folder, shared by readme_fields.json (§11.4) and README.md (§10.7). */
export interface ReadmeFields {
  label: string;
  operator: string;
  objective: string;
  templateFields: Record<string, string>;
  configFields: Record<string, string | null>;
  system: {
    created: Date;
    equipment: { id: string; label: string };
    template: { name: string; version: string };
    project: string;
    /** Run folder name and kind (run level only). */
    run?: { name: string; kind: RunKind };
  };
}

function systemFields(fields: ReadmeFields): Record<string, unknown> {
  return {
    created: formatUtcTimestamp(fields.system.created),
    created_by: LAB_OS_USER,
    equipment: fields.system.equipment,
    template: fields.system.template,
    project: fields.system.project,
    ...(fields.system.run ? { run: fields.system.run.name, run_kind: fields.system.run.kind } : {}),
  };
}

/** `.exlab-wizard/readme_fields.json` at schema 1.1 (§11.4), validated with the product's schema. */
export function readmeFieldsText(fields: ReadmeFields): string {
  return jsonText(
    ReadmeFieldsJsonSchema.parse({
      schema_version: SCHEMA_VERSIONS.readme_fields_json,
      generated_at: formatUtcTimestamp(new Date(fields.system.created.getTime() + 5000)),
      core_fields: { label: fields.label, operator: fields.operator, objective: fields.objective },
      template_fields: fields.templateFields,
      config_fields: fields.configFields,
      custom_fields: [],
      system_fields: systemFields(fields),
    }),
  );
}

function yamlMapping(value: Record<string, unknown>, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      lines.push(`${indent}${key}:`);
      lines.push(...yamlMapping(item as Record<string, unknown>, `${indent}  `));
    } else {
      lines.push(`${indent}${key}: ${q(item)}`);
    }
  }
  return lines;
}

/**
 * README.md with the §10.7 front matter (JSON-quoted scalars are valid YAML) and a short prose
 * body. `terminated: false` leaves out the closing `---`, the seeded malformed front matter.
 * The prose is exempt from the §8.1.1 scan, so `proseNote` may hold an identifier-shaped token.
 */
export function readmeText(fields: ReadmeFields, terminated: boolean, proseNote = '*(none)*'): string {
  const front = [
    '---',
    `readme_schema_version: ${q(SCHEMA_VERSIONS.readme_front_matter)}`,
    '',
    '# Mandatory core fields',
    `label: ${q(fields.label)}`,
    `operator: ${q(fields.operator)}`,
    `objective: ${q(fields.objective)}`,
    '',
    ...(Object.keys(fields.templateFields).length > 0
      ? ['template_fields:', ...yamlMapping(fields.templateFields, '  ')]
      : ['template_fields: {}']),
    ...(Object.keys(fields.configFields).length > 0
      ? ['config_fields:', ...yamlMapping(fields.configFields, '  ')]
      : ['config_fields: {}']),
    'custom_fields: []',
    '',
    '# Auto-filled system fields',
    'system:',
    ...yamlMapping(systemFields(fields), '  '),
  ];
  if (terminated) front.push('---');
  const body = [
    '',
    `# ${fields.label}`,
    '',
    '## Notes',
    '',
    proseNote,
    '',
    '*Generated by ExLab-Wizard. Do not edit the YAML front matter block.*',
  ];
  return `${[...front, ...body].join('\n')}\n`;
}

/** `data/measurements.csv`: a few rows of intensities. */
export function measurementsCsv(rng: SeededRandom, lookAlike: boolean): string {
  const rows = ['time_s,channel_nm,intensity'];
  if (lookAlike) rows.unshift('# buffer: HEPES <2 mM> CaCl2, see <foo bar> protocol');
  for (let i = 0; i < 6; i += 1) rows.push(`${(i * 0.5).toFixed(1)},${rng.pick([405, 488, 561, 640])},${rng.int(200, 4000)}`);
  return `${rows.join('\n')}\n`;
}

/** `acquisition_notes.txt`: rendered notes with every placeholder filled in. */
export function notesText(run: { label: string; operator: string; sampleId: string; objectiveLens: string }, lookAlike: boolean): string {
  const lines = [
    `Acquisition notes: ${run.label}`,
    `Operator: ${run.operator}`,
    `Sample: ${run.sampleId}`,
    `Objective lens: ${run.objectiveLens}`,
  ];
  if (lookAlike) {
    lines.push('Calcium kept <2 mM>; tags like <foo bar>, <123> and \\\\smb\\share\\raw are not placeholders.');
  }
  return `${lines.join('\n')}\n`;
}

/** `settings/acquisition.yaml`, rendered. */
export function settingsYaml(run: { sampleId: string; objectiveLens: string; laserPowerPct: number; operator: string }): string {
  return [`sample_id: ${q(run.sampleId)}`, `objective_lens: ${q(run.objectiveLens)}`, `laser_power_pct: ${run.laserPowerPct}`, ''].join(
    '\n',
  );
}

/** `.exlab-answers.yml` as Copier writes it beside the rendered run (DECISIONS: always written). */
export function answersYaml(templatePath: string, answers: Record<string, unknown>): string {
  const lines = [
    '# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY',
    `_src_path: ${q(templatePath)}`,
    `_exlab_template: ${q(RUN_TEMPLATE.name)}`,
    `_exlab_version: ${q(RUN_TEMPLATE.version)}`,
    ...Object.entries(answers).map(([key, value]) => `${key}: ${q(value)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** A binary `.txt` whose first 8 KiB hold a NUL byte: skipped by the content scan although it carries `{{ x }}`. */
export function binaryTextLookAlike(): Uint8Array {
  const text = new TextEncoder().encode('DUMP {{ x }} <sample_id> {% if %}');
  const bytes = new Uint8Array(64 + text.length);
  bytes.set([0x00, 0x01, 0x02, 0x00], 0);
  bytes.set(text, 64);
  return bytes;
}

/** The config.yaml of a generated lab (valid for loadConfig). */
export function configYaml(dirs: LabDirs, equipment: readonly { id: string; label: string }[]): string {
  const lines = [
    '# Synthetic lab written by `pnpm gen-tree` (tools/src/gen-tree.ts). Deterministic for its seed.',
    'paths:',
    `  templates_dir: ${q(dirs.templates)}`,
    `  plugin_dir: ${q(dirs.plugins)}`,
    `  local_root: ${q(dirs.lab)}`,
    '',
    'lims:',
    `  offline_catalogue_path: ${q(dirs.catalogue)}`,
    '',
    'readme:',
    '  defaults:',
    `    - id: ${REQUIRED_CONFIG_FIELD}`,
    '      label: "IRB protocol"',
    '      type: string',
    '      required: true',
    `    - id: ${OPTIONAL_CONFIG_FIELD}`,
    '      label: "Funding code"',
    '      type: string',
    '      required: false',
    '',
    'equipment:',
  ];
  for (const entry of equipment) {
    lines.push(
      `  - id: ${q(entry.id)}`,
      `    label: ${q(entry.label)}`,
      `    nas_root: ${q(dirs.nas)}`,
      '    completeness_signal: "sentinel_file"',
      `    sentinel_filename: ${q(SENTINEL_FILENAME)}`,
      '    sync_mode: "nas"',
      '    transport:',
      '      type: "local"',
      `      path: ${q(dirs.nas)}`,
    );
  }
  lines.push('', 'orchestrator:', `  label: ${q(LAB_STATION)}`, `  staging_root: ${q(dirs.staging)}`, '');
  return lines.join('\n');
}

/** The run template's copier.yml: no README field of its own is required. */
export const RUN_TEMPLATE_MANIFEST = `_exlab_type: run
_exlab_version: "${RUN_TEMPLATE.version}"
_exlab_run_scope: both
_exlab_description: "Imaging run: acquisition notes, instrument settings, raw data."

sample_id:
  type: str
  default: "S-001"
objective_lens:
  type: str
  default: "40x oil"
  choices: ["10x air", "20x air", "40x oil", "63x oil"]
laser_power_pct:
  type: float
  default: 5.0
`;

/** The project template's copier.yml. */
export const PROJECT_TEMPLATE_MANIFEST = `_exlab_type: project
_exlab_version: "${PROJECT_TEMPLATE.version}"
_exlab_description: "Empty project folder."
`;
