import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { runKindMarkerPath } from '@exlab/core/cache';
import { FILE_NAMES, type SyncStatus } from '@exlab/core/constants';
import { ExLabError, describeError } from '@exlab/core/errors';
import type { Logger } from '@exlab/core/logging';
import { allSettledOrThrow } from '@exlab/core/io';
import {
  formatUtcTimestamp,
  type CreationJson,
  type CreationResult,
  type Finding,
  type PluginApplied,
  type SessionEvent,
} from '@exlab/core/schemas';
import type { CoalescedWrites } from './coalesced-writes.js';
import type { CreationPlan } from './creation-plan.js';
import type { CreationPorts } from './ports.js';
import type { PromptAnswer } from './session-machine.js';
import type { PendingInput } from '@exlab/core/schemas';

/** What a creation's steps use besides the plan. */
export interface CreationJobDeps {
  ports: CreationPorts;
  logger: Logger;
  /** `created_by` of creation.json and the README: the OS user (DECISIONS.md). */
  createdBy: string;
  /** `orchestrator.host` of creation.json. */
  hostname: string;
  /** Sends a progress or warning frame of the session. */
  emit: (event: Extract<SessionEvent, { kind: 'progress' | 'warning' }>) => void;
  /** Serialises the equipment.json writes of concurrent creations (one per equipment at a time). */
  equipmentWrites: CoalescedWrites;
}

/**
 * The hidden temporary folder a creation renders into, beside its destination. The name carries
 * the creating process's pid, so a crash sweep in another process leaves live creations alone.
 */
export function temporaryFolderFor(destination: string): string {
  return join(
    dirname(destination),
    `${FILE_NAMES.creationTempPrefix}${basename(destination)}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
}

// rename() onto an existing non-empty folder fails, so a run created in the same minute by
// another process is never replaced.
async function publish(staging: string, destination: string): Promise<void> {
  try {
    await rename(staging, destination);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') {
      throw new ExLabError(
        'destination_exists',
        `${destination} was created by someone else while this creation ran; nothing was replaced.`,
        {
          field: 'run_date',
          details: { path: destination },
        },
      );
    }
    throw error;
  }
}

/**
 * One creation's work and what it produced, step by step (§4.7, requirements B4): render into a
 * hidden temporary folder, plugin pass, cache files, post-creation validation, then the sync
 * decision and the publish by rename. Cleanup for a failed or cancelled session is here too.
 */
export class CreationJob {
  /** The session this job belongs to. */
  readonly sessionId: string;
  /** Set by the validating step. */
  plan: CreationPlan | null = null;
  /** The hidden temporary folder, once created. */
  staging: string | null = null;
  /** Files the template rendered, relative to the tree. */
  rendered: string[] = [];
  /** `plugins_applied` of creation.json. */
  applied: PluginApplied[] = [];
  /** The written creation.json. */
  creation: CreationJson | null = null;
  /** Post-creation findings. */
  findings: Finding[] = [];
  /** A hard finding blocks sync. */
  blocked = false;
  /** True once the tree is at its destination. */
  published = false;
  /** The done result. */
  result: CreationResult | null = null;
  /** Best-effort records that could not be written. */
  readonly warnings: string[] = [];
  readonly #deps: CreationJobDeps;
  readonly #running = new Set<Promise<unknown>>();
  #firstCreated: string | undefined;
  /** The equipment.json write started during post-validation. */
  #equipmentRecord: Promise<string | null> | undefined;

  constructor(sessionId: string, deps: CreationJobDeps) {
    this.sessionId = sessionId;
    this.#deps = deps;
  }

  /** Runs `work` as a step and remembers it until it settles, so cleanup never races a step still writing. */
  track<T>(work: () => Promise<T>): Promise<T> {
    const promise = Promise.resolve().then(work);
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return promise;
  }

  /** Resolves once no step is running (a render cannot be interrupted, only waited for). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #plan(): CreationPlan {
    if (this.plan === null) throw new ExLabError('internal_error', 'A creation step ran before the creation gate.');
    return this.plan;
  }

  #tree(): string {
    if (this.staging === null) throw new ExLabError('internal_error', 'A creation step ran before the render.');
    return this.staging;
  }

  /** rendering: the template and `.exlab-answers.yml` into a new hidden folder beside the destination. */
  async render(signal: AbortSignal): Promise<void> {
    const plan = this.#plan();
    signal.throwIfAborted();
    const staging = temporaryFolderFor(plan.destination);
    // mkdir -p returns the first folder it created, so cleanup removes exactly the folders this creation added.
    this.#firstCreated = await mkdir(staging, { recursive: true });
    this.staging = staging;
    const rendered = await this.#deps.ports.templates.render(plan.manifest, staging, plan.renderContext);
    this.rendered = rendered.written;
    await this.#deps.ports.templates.writeAnswers(staging, plan.manifest, plan.answers);
  }

  /**
   * plugin_pass: the plugins over the rendered files (README.md and the answers file are theirs to
   * leave alone, §6.1.5). A prompt suspends the session through `ask`; a progress frame goes out
   * before each plugin; a plugin that did not succeed is a warning, not a failure (requirements A10).
   */
  async runPlugins(signal: AbortSignal, ask: (prompt: PendingInput) => Promise<PromptAnswer>): Promise<void> {
    const plan = this.#plan();
    const tree = this.#tree();
    const files = this.rendered.filter((file) => file !== FILE_NAMES.readme && file !== FILE_NAMES.answers).map((file) => join(tree, file));
    const result = await this.#deps.ports.plugins.runPass({
      dstRoot: tree,
      files,
      order: plan.manifest.pluginOrder,
      signal,
      context: {
        variables: { ...plan.renderContext },
        answersFile: join(tree, FILE_NAMES.answers),
        templateName: plan.manifest.name,
        templateVersion: plan.manifest.version,
        runKind: plan.runKind ?? '',
        equipmentId: plan.equipment.id,
        project: plan.limsProject.short_id,
        runId: this.sessionId,
      },
      onInputRequired: (prompt) => ask({ plugin: prompt.plugin, fields: prompt.fields, reason: prompt.reason }),
      onProgress: ({ current, total, plugin }) => this.#deps.emit({ kind: 'progress', phase: 'running_plugins', current, total, plugin }),
    });
    signal.throwIfAborted();
    this.applied = result.applied;
    for (const entry of result.applied) {
      if (entry.status === 'success' || entry.status === 'skipped') continue;
      const why = entry.error !== undefined ? `: ${entry.error}` : '';
      this.#deps.emit({ kind: 'warning', phase: 'running_plugins', message: `Plugin ${entry.plugin} ended ${entry.status}${why}.` });
    }
  }

  /** cache_write: README.md and readme_fields.json, then creation.json with `plugins_applied` and `sync_status: pending`. */
  async writeCache(signal: AbortSignal): Promise<void> {
    const plan = this.#plan();
    const tree = this.#tree();
    signal.throwIfAborted();
    // README (with readme_fields.json) and creation.json are independent files: written side by side.
    const readme = this.#deps.ports.readme.generate(tree, {
      core: plan.core,
      layers: plan.readmeLayers,
      system: {
        createdBy: this.#deps.createdBy,
        equipment: { id: plan.equipment.id, label: plan.equipment.label },
        template: { name: plan.manifest.name, version: plan.manifest.version },
        project: plan.limsProject.short_id,
        ...(plan.runKind !== null ? { run: basename(plan.destination), runKind: plan.runKind } : {}),
      },
      createdAt: plan.createdAt,
    });
    const creation = this.#deps.ports.cache.createCreation(tree, {
      created_at: formatUtcTimestamp(plan.createdAt),
      created_by: this.#deps.createdBy,
      level: plan.level,
      // creation.json always carries a run kind; a project records the default.
      run_kind: plan.runKind ?? 'experimental',
      lims_project: plan.limsProject,
      template: {
        name: plan.manifest.name,
        version: plan.manifest.version,
        source_path: plan.manifest.path,
        ...(plan.manifest.runScope ? { run_scope: plan.manifest.runScope } : {}),
      },
      variables: plan.variables,
      paths: { local: plan.destination, nas: plan.nasPath },
      plugins_applied: this.applied,
      orchestrator: {
        enabled: true,
        host: this.#deps.hostname,
        label: plan.config.orchestrator.label,
        equipment_label: plan.equipment.label,
        completeness_signal: plan.equipment.completeness_signal,
        ...(plan.equipment.sentinel_filename ? { sentinel_filename: plan.equipment.sentinel_filename } : {}),
        ...(plan.equipment.manifest_filename ? { manifest_filename: plan.equipment.manifest_filename } : {}),
      },
      sync_status: 'pending',
      validation_overrides: [],
    });
    await allSettledOrThrow([readme, creation]);
    this.creation = await creation;
  }

  /** post_validate: the §8.1 rules over the written tree as it will be published (§4.7); a hard finding blocks sync. */
  async postValidate(signal: AbortSignal): Promise<void> {
    const plan = this.#plan();
    signal.throwIfAborted();
    // equipment.json records the equipment, not this run, so it is written while the tree is checked.
    this.#equipmentRecord = this.track(() => this.#writeEquipmentRecord());
    this.findings = await this.#deps.ports.validator.checkTree({
      config: plan.config,
      tree: this.#tree(),
      destination: plan.destination,
      equipmentDirectory: plan.equipmentDirectory,
      runKind: plan.runKind,
      requiredIds: plan.requiredIds,
      readmeFields: { ...plan.readmeLayers.config_fields, ...plan.readmeLayers.template_fields },
    });
    this.blocked = this.findings.some((finding) => finding.tier === 'hard' && !finding.override_active);
  }

  /**
   * sync_queued (requirements B4): a blocked tree gets `blocked_by_validation` and a warning frame;
   * the tree is published by rename; the folder-level records follow (best effort); an unblocked
   * creation is enqueued to NAS sync when a sync port exists (a failure is a warning).
   */
  async queueSync(signal: AbortSignal): Promise<void> {
    const plan = this.#plan();
    const tree = this.#tree();
    signal.throwIfAborted();
    let syncStatus: SyncStatus = 'pending';
    if (this.blocked) {
      await this.#deps.ports.cache.setSyncStatus(tree, 'blocked_by_validation');
      syncStatus = 'blocked_by_validation';
      const hard = this.findings.filter((finding) => finding.tier === 'hard');
      const sample = hard
        .slice(0, 3)
        .map((finding) => `${finding.rule} at ${finding.offending_path}${finding.matched_token ? ` (${finding.matched_token})` : ''}`)
        .join('; ');
      this.#deps.emit({
        kind: 'warning',
        phase: 'queueing_nas_sync',
        message: `Not queued for NAS sync: ${hard.length} hard finding${hard.length === 1 ? '' : 's'} (${sample}${hard.length > 3 ? '; ...' : ''}). Fix them or record an override in Problems.`,
      });
    }
    signal.throwIfAborted();
    await publish(tree, plan.destination);
    this.published = true;
    await this.#writeFolderRecords();
    if (!this.blocked && this.#deps.ports.sync !== undefined) {
      try {
        await this.#deps.ports.sync.enqueue({
          path: plan.destination,
          nasPath: plan.nasPath,
          equipmentId: plan.equipment.id,
          level: plan.level,
        });
      } catch (error) {
        // requirements B4: enqueue errors are swallowed; the run stays pending and the next sync pass picks it up.
        this.#warn(`could not queue ${plan.destination} for NAS sync: ${describeError(error)}`, 'queueing_nas_sync');
      }
    }
    this.result = { path: plan.destination, sync_status: syncStatus, blocked: this.blocked, findings: this.findings };
  }

  // The run-kind marker records a run, so it follows the publish; equipment.json (started during
  // post-validation) only describes the equipment. A failed write is a warning (§8), never a failed
  // creation of a tree that is already in place.
  async #writeFolderRecords(): Promise<void> {
    const plan = this.#plan();
    const { cache } = this.#deps.ports;
    const marker = async (): Promise<void> => {
      if (plan.runKind === null) return;
      // Written once per kind folder: after the first run it exists, and trying again costs a synced write.
      if (await exists(runKindMarkerPath(plan.projectDirectory, plan.runKind))) return;
      try {
        await cache.writeRunKindMarkerOnce(plan.projectDirectory, plan.runKind, plan.projectName, plan.equipment.id, plan.createdAt);
      } catch (error) {
        this.#warn(`could not write the ${plan.runKind} run marker: ${describeError(error)}`, 'queueing_nas_sync');
      }
    };
    const equipment = async (): Promise<void> => {
      const failure = await (this.#equipmentRecord ?? this.#writeEquipmentRecord());
      if (failure !== null) this.#warn(failure, 'queueing_nas_sync');
    };
    await Promise.all([marker(), equipment()]);
  }

  /** Rewrites equipment.json (core.md F7); resolves with the warning to give when it failed, never rejects. */
  async #writeEquipmentRecord(): Promise<string | null> {
    const plan = this.#plan();
    const record = {
      id: plan.equipment.id,
      label: plan.equipment.label,
      configuredLocalRoot: plan.equipment.local_root ?? plan.config.paths.local_root,
      configuredNasRoot: plan.equipment.nas_root,
    };
    try {
      await this.#deps.equipmentWrites.write(plan.equipmentDirectory, plan.createdAt, (at) =>
        this.#deps.ports.cache.writeEquipmentJson(plan.equipmentDirectory, record, at),
      );
      return null;
    } catch (error) {
      return `could not write equipment.json: ${describeError(error)}`;
    }
  }

  #warn(message: string, phase: 'queueing_nas_sync'): void {
    this.warnings.push(message);
    this.#deps.logger.warn(message, { session: this.sessionId });
    this.#deps.emit({ kind: 'warning', phase, message });
  }

  /**
   * A failed creation publishes nothing, and cancel with `discard_files: true` keeps nothing
   * (DECISIONS.md): the temporary tree goes, and so do the empty parent folders it created. A tree
   * already published is a finished creation and stays.
   */
  async discard(): Promise<void> {
    if (this.staging === null || this.published) return;
    await rm(this.staging, { recursive: true, force: true });
    await removeEmptyFoldersCreated(dirname(this.staging), this.#firstCreated);
  }

  /**
   * Cancel with `discard_files: false`: the partial tree is moved into place as it is, an orphan
   * the validator reports (§4.8). Returns where it went, or null when there was nothing to move.
   */
  async leaveOrphan(): Promise<string | null> {
    const plan = this.plan;
    if (this.staging === null || this.published || plan === null) return null;
    try {
      await rename(this.staging, plan.destination);
      return plan.destination;
    } catch (error) {
      // The destination appeared meanwhile: nothing may be replaced, so the partial tree goes.
      this.#deps.logger.warn(`could not keep the cancelled tree at ${plan.destination}: ${describeError(error)}; removed it`, {
        session: this.sessionId,
      });
      await this.discard();
      return null;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

// Deepest first, and only while empty: rmdir refuses a folder another creation has written into meanwhile.
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
