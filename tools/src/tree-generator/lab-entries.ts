import { join as joinPath } from 'node:path';
import { FILE_NAMES, RUN_KIND_FOLDER, RUN_KIND_MARKER, RUN_KIND_PREFIX, SCHEMA_VERSIONS, type RunKind } from '@exlab/core/constants';
import { runStamp } from '@exlab/core/paths';
import { formatUtcTimestamp } from '@exlab/core/schemas';
import { countByRule, isHard, sortFindings, type AnswerKey, type ExpectedFinding } from './answer-key.js';
import { LAB_EPOCH, runRelativePath, type LabPlan, type ProjectPlan, type RunPlan } from './lab-plan.js';
import {
  answersYaml,
  binaryTextLookAlike,
  configYaml,
  creationJson,
  creationJsonText,
  jsonText,
  measurementsCsv,
  notesText,
  PROJECT_TEMPLATE,
  PROJECT_TEMPLATE_MANIFEST,
  readmeFieldsText,
  readmeText,
  RUN_TEMPLATE,
  RUN_TEMPLATE_MANIFEST,
  settingsYaml,
  type LabDirs,
  type ReadmeFields,
} from './run-content.js';
import { OPTIONAL_CONFIG_FIELD, REQUIRED_CONFIG_FIELD, tiffLike, type RunDraft } from './seeded-problems.js';
import { SeededRandom } from './seeded-random.js';

/** One thing to write, its path relative to the output folder with `/` separators. */
export type LabEntry = { path: string; content: string | Uint8Array } | { path: string; dir: true };

/** Top-level folder names of a generated lab, relative to the output folder. */
export const LAB_LAYOUT = {
  lab: 'lab',
  nas: 'nas',
  templates: 'templates',
  plugins: 'plugins',
  staging: 'staging',
  catalogue: 'lims-catalogue.json',
  config: 'config.yaml',
  answerKey: 'answer-key.json',
} as const;

/** The absolute folders of a lab generated into `out`. */
export function labDirs(out: string): LabDirs {
  return {
    out,
    lab: joinPath(out, LAB_LAYOUT.lab),
    nas: joinPath(out, LAB_LAYOUT.nas),
    templates: joinPath(out, LAB_LAYOUT.templates),
    plugins: joinPath(out, LAB_LAYOUT.plugins),
    staging: joinPath(out, LAB_LAYOUT.staging),
    catalogue: joinPath(out, LAB_LAYOUT.catalogue),
  };
}

const rel = (...parts: string[]): string => parts.join('/');
const cache = (folder: string, file: string): string => rel(folder, FILE_NAMES.cacheDir, file);

function projectPath(project: ProjectPlan): string {
  return rel(LAB_LAYOUT.lab, project.equipmentId, project.name);
}

function equipmentLabel(plan: LabPlan, id: string): string {
  return plan.equipment.find((e) => e.id === id)?.label ?? id;
}

/** The draft of one run and the findings its seeded problem must raise (none for a clean run). */
export function draftRun(plan: LabPlan, project: ProjectPlan, run: RunPlan): { draft: RunDraft; findings: ExpectedFinding[] } {
  const draft: RunDraft = {
    path: rel(projectPath(project), runRelativePath(run)),
    projectPath: projectPath(project),
    creation: 'valid',
    notes: notesText(run, run.lookAlikes),
    settingsYaml: settingsYaml(run),
    readmeObjective: run.lookAlikes
      ? 'Image fixed sections in buffer kept <2 mM> calcium to check labelling density.'
      : 'Image fixed sections to check labelling density across layers.',
    readmeTerminated: true,
    configFields: { [REQUIRED_CONFIG_FIELD]: `IRB-2025-${String(100 + (run.index % 900)).padStart(4, '0')}` },
    extraFiles: [],
  };
  if (run.index % 3 === 0) draft.configFields[OPTIONAL_CONFIG_FIELD] = `GRANT-${run.index % 17}`;
  const findings = run.problem ? run.problem.kind.apply(draft, run.problem.variant) : [];
  return { draft, findings };
}

function* runEntries(plan: LabPlan, dirs: LabDirs, project: ProjectPlan, run: RunPlan): Generator<LabEntry> {
  const { draft } = draftRun(plan, project, run);
  const rng = new SeededRandom(`${plan.seed}:run:${run.index}`);
  const leafName = `${RUN_KIND_PREFIX[run.leaf]}${runStamp(run.stamp)}`;
  const templatePath = joinPath(dirs.templates, RUN_TEMPLATE.name);
  const variables = { sample_id: run.sampleId, objective_lens: run.objectiveLens, laser_power_pct: run.laserPowerPct };
  const creationPath = cache(draft.path, FILE_NAMES.creation);

  if (draft.creation === 'valid' || draft.creation === 'schema_invalid') {
    const body = creationJson({
      level: 'run',
      runKind: run.recorded,
      createdAt: run.createdAt,
      project: { uid: project.uid, shortId: project.shortId, name: project.name },
      template: { ...RUN_TEMPLATE, sourcePath: templatePath, runScope: 'both' },
      variables,
      local: joinPath(dirs.out, draft.path),
      nas: joinPath(dirs.nas, project.equipmentId, project.name, RUN_KIND_FOLDER[run.folder], leafName),
      equipmentLabel: equipmentLabel(plan, project.equipmentId),
      syncStatus: run.syncStatus,
      pluginsApplied:
        run.index % 5 === 0 ? [{ plugin: 'stamp_metadata', version: '1.2.0', files_affected: ['README.md'], status: 'success' }] : [],
    });
    // A schema-invalid file is valid JSON whose `level` is not one of project|run.
    yield { path: creationPath, content: draft.creation === 'valid' ? creationJsonText(body) : jsonText({ ...body, level: 'experiment' }) };
  } else if (draft.creation === 'not_json') {
    yield { path: creationPath, content: '{"schema_version": "1.9", "created_at": ' };
  }

  const fields: ReadmeFields = {
    label: run.label,
    operator: run.operator,
    objective: draft.readmeObjective,
    templateFields: { sample_id: run.sampleId, objective_lens: run.objectiveLens },
    configFields: draft.configFields,
    system: {
      created: run.createdAt,
      equipment: { id: project.equipmentId, label: equipmentLabel(plan, project.equipmentId) },
      template: RUN_TEMPLATE,
      project: project.name,
      run: { name: leafName, kind: run.recorded },
    },
  };
  yield { path: cache(draft.path, FILE_NAMES.readmeFields), content: readmeFieldsText(fields) };
  // §8.1.1: Markdown prose is exempt, only the front matter is scanned.
  const prose = run.lookAlikes ? 'See the <your_protocol> reference for the staining steps.' : undefined;
  yield { path: rel(draft.path, FILE_NAMES.readme), content: readmeText(fields, draft.readmeTerminated, prose) };
  yield { path: rel(draft.path, FILE_NAMES.answers), content: answersYaml(templatePath, variables) };
  yield { path: rel(draft.path, 'acquisition_notes.txt'), content: draft.notes };
  yield { path: rel(draft.path, 'settings', 'acquisition.yaml'), content: draft.settingsYaml };
  yield { path: rel(draft.path, 'data', 'measurements.csv'), content: measurementsCsv(rng, run.lookAlikes) };
  yield { path: rel(draft.path, 'raw', 'frame_0001.tif'), content: tiffLike(run.index % 251) };
  if (run.lookAlikes) {
    // Names and bytes that resemble problems but are not (§8.1.1 regex, §8.1.2 reserved stems, binary sniff).
    yield { path: rel(draft.path, 'CONsole.txt'), content: 'console output: ok\n' };
    yield { path: rel(draft.path, 'COM10'), content: 'serial capture\n' };
    yield { path: rel(draft.path, 'raw', 'frame_dump.txt'), content: binaryTextLookAlike() };
    yield { path: rel(draft.path, 'analysis_plan.md'), content: '# Analysis plan\n\nFollow <protocol_id> and keep {{ raw }} untouched.\n' };
  }
  for (const file of draft.extraFiles) yield { path: rel(draft.path, file.path), content: file.content };
}

function* projectEntries(plan: LabPlan, dirs: LabDirs, project: ProjectPlan): Generator<LabEntry> {
  const path = projectPath(project);
  const label = equipmentLabel(plan, project.equipmentId);
  if (!project.orphan) {
    const templatePath = joinPath(dirs.templates, PROJECT_TEMPLATE.name);
    const body = creationJson({
      level: 'project',
      runKind: 'experimental',
      createdAt: project.createdAt,
      project: { uid: project.uid, shortId: project.shortId, name: project.name },
      template: { ...PROJECT_TEMPLATE, sourcePath: templatePath },
      variables: {},
      local: joinPath(dirs.out, path),
      nas: joinPath(dirs.nas, project.equipmentId, project.name),
      equipmentLabel: label,
      syncStatus: 'synced',
    });
    yield { path: cache(path, FILE_NAMES.creation), content: creationJsonText(body) };
  }
  const fields: ReadmeFields = {
    label: project.name,
    operator: 'asmith',
    objective: `Project folder for ${project.shortId}.`,
    templateFields: {},
    configFields: { [REQUIRED_CONFIG_FIELD]: 'IRB-2025-0001' },
    system: {
      created: project.createdAt,
      equipment: { id: project.equipmentId, label },
      template: PROJECT_TEMPLATE,
      project: project.name,
    },
  };
  yield { path: cache(path, FILE_NAMES.readmeFields), content: readmeFieldsText(fields) };
  yield { path: rel(path, FILE_NAMES.readme), content: readmeText(fields, true) };

  for (const kind of ['experimental', 'test'] as const satisfies readonly RunKind[]) {
    const first = project.runs.find((run) => run.folder === kind);
    if (!first) continue;
    yield {
      path: cache(rel(path, RUN_KIND_FOLDER[kind]), RUN_KIND_MARKER[kind]),
      content: jsonText({
        schema_version: SCHEMA_VERSIONS.runs_json,
        run_kind: kind,
        created_at: formatUtcTimestamp(first.createdAt),
        project: project.name,
        equipment: project.equipmentId,
      }),
    };
  }
  for (const run of project.runs) yield* runEntries(plan, dirs, project, run);
}

/** Everything a lab generated into `out` consists of, in a fixed order (the answer key is separate). */
export function* labEntries(plan: LabPlan, out: string): Generator<LabEntry> {
  const dirs = labDirs(out);
  yield { path: LAB_LAYOUT.config, content: configYaml(dirs, plan.equipment) };
  yield {
    path: LAB_LAYOUT.catalogue,
    content: jsonText({
      schema_version: SCHEMA_VERSIONS.offline_catalogue,
      produced_by: 'ExLab-Wizard tree generator',
      produced_at: formatUtcTimestamp(new Date(LAB_EPOCH)),
      lims_endpoint: '',
      projects: plan.projects.map((p) => ({
        uid: p.uid,
        short_id: p.shortId,
        name: p.name,
        status: 'active',
        owner: 'lab.lead@lab.example',
        contact: 'Lab Lead',
        members: ['asmith', 'bchen'],
      })),
    }),
  };
  yield { path: rel(LAB_LAYOUT.templates, RUN_TEMPLATE.name, FILE_NAMES.copierManifest), content: RUN_TEMPLATE_MANIFEST };
  yield { path: rel(LAB_LAYOUT.templates, PROJECT_TEMPLATE.name, FILE_NAMES.copierManifest), content: PROJECT_TEMPLATE_MANIFEST };
  for (const dir of [LAB_LAYOUT.plugins, LAB_LAYOUT.staging, LAB_LAYOUT.nas]) yield { path: dir, dir: true };
  for (const equipment of plan.equipment) {
    yield {
      path: cache(rel(LAB_LAYOUT.lab, equipment.id), FILE_NAMES.equipment),
      content: jsonText({
        schema_version: SCHEMA_VERSIONS.equipment_json,
        id: equipment.id,
        label: equipment.label,
        configured_local_root: dirs.lab,
        configured_nas_root: dirs.nas,
        first_seen_at: formatUtcTimestamp(new Date(LAB_EPOCH - 30 * 86_400_000)),
        last_modified_at: formatUtcTimestamp(new Date(LAB_EPOCH)),
      }),
    };
  }
  for (const project of plan.projects) yield* projectEntries(plan, dirs, project);
}

/** The answer key of a plan: every seeded problem's findings, sorted, with counts. */
export function answerKeyOf(plan: LabPlan): AnswerKey {
  const findings: ExpectedFinding[] = [];
  const seededByKind: Record<string, number> = {};
  for (const project of plan.projects) {
    for (const run of project.runs) {
      if (!run.problem) continue;
      seededByKind[run.problem.kind.id] = (seededByKind[run.problem.kind.id] ?? 0) + 1;
      findings.push(...draftRun(plan, project, run).findings);
    }
  }
  const sorted = sortFindings(findings);
  const hard = sorted.filter((f) => isHard(f.rule)).length;
  return {
    seed: plan.seed,
    counts: {
      runs: plan.runCount,
      projects: plan.projects.length,
      equipment: plan.equipment.length,
      seeded_problems: plan.problemCount,
      seeded_by_kind: Object.fromEntries(Object.entries(seededByKind).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      findings: sorted.length,
      hard,
      soft: sorted.length - hard,
      by_rule: countByRule(sorted),
    },
    findings: sorted,
  };
}
