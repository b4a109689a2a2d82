import { access } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { RunKind } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import { equipmentDir, projectDir, runDir } from '@exlab/core/paths';
import type { ReadmeLayers } from '@exlab/core/readme';
import type {
  Config,
  CreateSessionRequest,
  EquipmentConfig,
  LimsProjectRef,
  ProjectCreateRequest,
  RunCreateRequest,
} from '@exlab/core/schemas';
import type { TemplateManifest } from '@exlab/core/template';
import { type GatedRunInputs, gateProjectRequest, gateRunRequest } from './creation-gate.js';
import type { CreationPorts } from './ports.js';

/** Everything a creation needs after the gate passed (requirements B3). */
export interface CreationPlan {
  level: 'project' | 'run';
  config: Config;
  equipment: EquipmentConfig;
  equipmentDirectory: string;
  /** The project folder name (the LIMS project name as written). */
  projectName: string;
  projectDirectory: string;
  /** The folder the creation publishes. */
  destination: string;
  /** The run's kind; null for a project. */
  runKind: RunKind | null;
  manifest: TemplateManifest;
  /** The template answers, for `.exlab-answers.yml`. */
  answers: Record<string, unknown>;
  /** What creation.json records as `variables`: the request's variables with the answers, secrets left out. */
  variables: Record<string, unknown>;
  /** The render context (requirements B4): the request's variables, the answers, and the core values where absent. */
  renderContext: Record<string, unknown>;
  limsProject: LimsProjectRef;
  createdAt: Date;
  readmeLayers: ReadmeLayers;
  /** README field ids that must have a value. */
  requiredIds: string[];
  /** Trimmed core fields. */
  core: { label: string; operator: string; objective: string };
  /** The NAS path mirroring the local layout under `nas_root/<EQ>` (DECISIONS.md). */
  nasPath: string;
}

/** What the planner reads besides the request. */
export interface PlanContext {
  config: Config;
  ports: Pick<CreationPorts, 'templates' | 'readme' | 'lims'>;
  clock: () => Date;
  /**
   * Takes `destination` for this creation, or answers false when another session of this
   * controller holds it. Called synchronously, before the planner's first wait, so of two
   * same-minute creations the one asked first wins.
   */
  claim: (destination: string) => boolean;
  /** Gives back a destination `claim` took, when planning fails after taking it. */
  release: (destination: string) => void;
}

/** The NAS path of a local path under the equipment: the NAS mirrors the local layout under `nas_root` (DECISIONS.md). */
export function nasPathFor(equipment: EquipmentConfig, relativeSegments: readonly string[]): string {
  const root = equipment.nas_root.replace(/[\\/]+$/, '');
  return [root, equipment.id, ...relativeSegments].join('/');
}

function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function destinationExists(destination: string, level: 'project' | 'run'): ExLabError {
  const hint =
    level === 'run'
      ? 'runs in the same minute share a folder name, so retry in a minute.'
      : 'the project already exists; create a run in it instead.';
  return new ExLabError('destination_exists', `${destination} already exists; ${hint}`, {
    field: level === 'run' ? 'run_date' : 'lims_project.name',
    details: { path: destination },
  });
}

/**
 * The creation gate (requirements B3) and the plan it yields: steps 1-9, the template (10), the
 * README fields (11), then the LIMS project, the destination (it must not exist, nor be in
 * creation by another session) and the template answers. Throws the first failure; writes nothing.
 * A plan that is returned holds its destination's claim; the caller releases it when the creation ends.
 */
export async function planCreation(request: CreateSessionRequest, context: PlanContext): Promise<CreationPlan> {
  const { config } = context;
  const level = request.kind;
  const gated = level === 'run' ? gateRunRequest(config, request) : gateProjectRequest(config, request);
  const equipmentDirectory = equipmentDir(config, gated.equipment.id) as string;
  const projectName = request.kind === 'run' ? request.project_name : request.lims_project.name;
  const projectDirectory = projectDir(equipmentDirectory, projectName);
  const runKind: RunKind | null = request.kind === 'run' ? request.run_kind : null;
  const createdAt = request.kind === 'run' && request.run_date !== undefined ? new Date(request.run_date) : context.clock();
  const destination = runKind === null ? projectDirectory : runDir(projectDirectory, runKind, createdAt);
  const claimed = context.claim(destination);
  try {
    return await planClaimed(request, context, {
      gated,
      equipmentDirectory,
      projectName,
      projectDirectory,
      runKind,
      createdAt,
      destination,
      claimed,
    });
  } catch (error) {
    if (claimed) context.release(destination);
    throw error;
  }
}

/** What planCreation worked out before its first wait. */
interface PlanStart {
  gated: GatedRunInputs;
  equipmentDirectory: string;
  projectName: string;
  projectDirectory: string;
  runKind: RunKind | null;
  createdAt: Date;
  destination: string;
  /** False when another session of this controller is creating the destination. */
  claimed: boolean;
}

async function planClaimed(request: CreateSessionRequest, context: PlanContext, start: PlanStart): Promise<CreationPlan> {
  const { config, ports } = context;
  const { gated, equipmentDirectory, projectName, projectDirectory, runKind, createdAt, destination } = start;
  const level = request.kind;
  // The template, the LIMS project and the destination are looked up side by side (all read only);
  // their failures are still reported in the gate's order: template, README fields, LIMS, destination.
  const [manifestLookup, limsLookup, destinationLookup] = await Promise.allSettled([
    ports.templates.resolve(config, gated.equipment.id, request.template_path, level, runKind ?? undefined),
    request.kind === 'run'
      ? ports.lims.projectForRun(config, projectDirectory, request as RunCreateRequest)
      : ports.lims.projectForNewProject(config, request as ProjectCreateRequest),
    exists(destination),
  ]);
  const manifest = settledValue(manifestLookup);
  const { layers, requiredIds } = ports.readme.layers(manifest, config, request.readme_extra, request.readme_custom_fields);
  const limsProject = settledValue(limsLookup);
  if (!start.claimed || settledValue(destinationLookup)) throw destinationExists(destination, level);

  const base = {
    label: gated.label,
    operator: gated.operator,
    objective: gated.objective,
    project_name: projectName,
    project_short_id: limsProject.short_id,
    // §6.1.4: the spec's project-level run_kind is "" (the reference's "project" is not ported).
    run_kind: runKind ?? '',
  };
  const answers = ports.templates.resolveAnswers(manifest, request.variables, base);
  const allValues: Record<string, unknown> = { ...request.variables, ...answers };
  const renderContext: Record<string, unknown> = { ...allValues };
  for (const [key, value] of Object.entries(base)) if (!(key in renderContext)) renderContext[key] = value;
  // Secret answers render but are never recorded (core.md D5 keeps them out of the answers file too).
  const secrets = new Set(manifest.questions.filter((q) => q.secret).map((q) => q.name));
  const variables = Object.fromEntries(Object.entries(allValues).filter(([key]) => !secrets.has(key)));
  const relative = runKind === null ? [projectName] : [projectName, basename(dirname(destination)), basename(destination)];

  return {
    level,
    config,
    equipment: gated.equipment,
    equipmentDirectory,
    projectName,
    projectDirectory,
    destination,
    runKind,
    manifest,
    answers,
    variables,
    renderContext,
    limsProject,
    createdAt,
    readmeLayers: layers,
    requiredIds,
    core: { label: gated.label, operator: gated.operator, objective: gated.objective },
    nasPath: nasPathFor(gated.equipment, relative),
  };
}
