import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { CacheWriter } from '@exlab/core/cache';
import { FILE_NAMES } from '@exlab/core/constants';
import { ExLabError, describeError } from '@exlab/core/errors';
import {
  formatUtcTimestamp,
  type Config,
  type CreationJson,
  type EquipmentConfig,
  type LimsProjectRef,
  type RunCreateRequest,
} from '@exlab/core/schemas';
import { writeReadme, type ReadmeLayers } from '@exlab/core/readme';
import { renderTemplate, writeAnswersFile, type RenderResult, type TemplateManifest } from '@exlab/core/template';

/** Everything the run pipeline needs, already checked by the gate. */
export interface RunPlan {
  config: Config;
  request: RunCreateRequest;
  equipment: EquipmentConfig;
  equipmentDirectory: string;
  projectDirectory: string;
  destination: string;
  manifest: TemplateManifest;
  answers: Record<string, unknown>;
  /** What creation.json records as `variables`: the request's variables with the template answers. */
  variables: Record<string, unknown>;
  renderContext: Record<string, unknown>;
  limsProject: LimsProjectRef;
  createdAt: Date;
  createdBy: string;
  hostname: string;
  /** Writes the run's creation.json and the folder-level records. */
  cache: CacheWriter;
  /** The resolved README layers (checked at the gate). */
  readmeLayers: ReadmeLayers;
  /** Trimmed core fields. */
  core: { label: string; operator: string; objective: string };
}

/** What the pipeline produced. */
export interface RunOutcome {
  /** The published run folder. */
  path: string;
  /** The creation.json written. */
  creation: CreationJson;
  /** Files rendered from the template, relative to the run folder. */
  files: string[];
  /** Problems with best-effort records written after the run was published. */
  warnings: string[];
}

/** The NAS path of a local path under the equipment: the NAS mirrors the local layout under `nas_root` (DECISIONS.md). */
export function nasPathFor(equipment: EquipmentConfig, relativeSegments: readonly string[]): string {
  const root = equipment.nas_root.replace(/[\\/]+$/, '');
  return [root, equipment.id, ...relativeSegments].join('/');
}

/**
 * Creates a run atomically (DECISIONS.md): renders into a hidden folder beside the destination,
 * writes the answers file and creation.json there, then renames it into place. On failure the
 * hidden folder is removed and nothing is published.
 */
export async function createRunTree(plan: RunPlan): Promise<RunOutcome> {
  const parent = dirname(plan.destination);
  const staging = join(parent, `${FILE_NAMES.creationTempPrefix}${basename(plan.destination)}-${randomBytes(4).toString('hex')}`);
  // mkdir -p returns the first folder it created, so a failure removes exactly the folders this creation added.
  const firstCreated = await mkdir(staging, { recursive: true });
  let rendered: RenderResult;
  let creation: CreationJson;
  try {
    rendered = await renderTemplate(plan.manifest, staging, plan.renderContext);
    await writeAnswersFile(staging, plan.manifest, plan.answers);
    await writeReadme(
      staging,
      {
        core: plan.core,
        layers: plan.readmeLayers,
        system: {
          createdBy: plan.createdBy,
          equipment: { id: plan.equipment.id, label: plan.equipment.label },
          template: { name: plan.manifest.name, version: plan.manifest.version },
          project: plan.limsProject.short_id,
          run: basename(plan.destination),
          runKind: plan.request.run_kind,
        },
        createdAt: plan.createdAt,
      },
      plan.cache,
    );
    const runFolder = basename(plan.destination);
    const kindFolder = basename(parent);
    creation = await plan.cache.createCreation(staging, {
      created_at: formatUtcTimestamp(plan.createdAt),
      created_by: plan.createdBy,
      level: 'run',
      run_kind: plan.request.run_kind,
      lims_project: plan.limsProject,
      template: {
        name: plan.manifest.name,
        version: plan.manifest.version,
        source_path: plan.manifest.path,
        ...(plan.manifest.runScope ? { run_scope: plan.manifest.runScope } : {}),
      },
      variables: plan.variables,
      paths: {
        local: plan.destination,
        nas: nasPathFor(plan.equipment, [plan.request.project_name, kindFolder, runFolder]),
      },
      plugins_applied: [],
      orchestrator: {
        enabled: true,
        host: plan.hostname,
        label: plan.config.orchestrator.label,
        equipment_label: plan.equipment.label,
        completeness_signal: plan.equipment.completeness_signal,
        ...(plan.equipment.sentinel_filename ? { sentinel_filename: plan.equipment.sentinel_filename } : {}),
        ...(plan.equipment.manifest_filename ? { manifest_filename: plan.equipment.manifest_filename } : {}),
      },
      sync_status: 'pending',
      validation_overrides: [],
    });
    await publish(staging, plan.destination);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    await removeEmptyFoldersCreated(parent, firstCreated);
    throw error;
  }
  // The run is published; the folder-level records below are best effort (§8: a failed cache
  // write is a warning), so their failure is reported, never turned into a failed creation.
  const warnings: string[] = [];
  try {
    await plan.cache.writeRunKindMarkerOnce(
      plan.projectDirectory,
      plan.request.run_kind,
      plan.request.project_name,
      plan.equipment.id,
      plan.createdAt,
    );
  } catch (error) {
    warnings.push(`could not write the ${plan.request.run_kind} run marker: ${describeError(error)}`);
  }
  try {
    await plan.cache.writeEquipmentJson(
      plan.equipmentDirectory,
      {
        id: plan.equipment.id,
        label: plan.equipment.label,
        configuredLocalRoot: plan.equipment.local_root ?? plan.config.paths.local_root,
        configuredNasRoot: plan.equipment.nas_root,
      },
      plan.createdAt,
    );
  } catch (error) {
    warnings.push(`could not write equipment.json: ${describeError(error)}`);
  }
  return { path: plan.destination, creation, files: rendered.written, warnings };
}

// A failed creation publishes nothing (DECISIONS.md), not even empty `<EQ>/<project>/Runs` folders the
// audit would report as orphans. Deepest first, and only while empty: rmdir refuses a folder another
// creation has written into meanwhile.
async function removeEmptyFoldersCreated(deepest: string, firstCreated: string | undefined): Promise<void> {
  if (firstCreated === undefined) return;
  for (let dir = deepest; dir === firstCreated || dir.startsWith(`${firstCreated}${sep}`); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}

// rename() onto an existing non-empty folder fails, so a run created in the same minute by
// someone else is never replaced.
async function publish(staging: string, destination: string): Promise<void> {
  try {
    await rename(staging, destination);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') {
      throw new ExLabError(
        'destination_exists',
        `${destination} already exists; runs in the same minute share a folder name, so retry in a minute.`,
        {
          field: 'run_date',
          details: { path: destination },
        },
      );
    }
    throw error;
  }
}
