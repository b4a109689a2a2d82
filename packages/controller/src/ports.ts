import type { CreationJsonBody, EquipmentRecordInput } from '@exlab/core/cache';
import type { RunKind, SyncStatus } from '@exlab/core/constants';
import type { ReadmeInput, ReadmeLayers } from '@exlab/core/readme';
import type {
  Config,
  CreationJson,
  CustomReadmeField,
  Finding,
  LimsProjectRef,
  ProjectCreateRequest,
  RunCreateRequest,
} from '@exlab/core/schemas';
import type { TemplateManifest } from '@exlab/core/template';
import type { TreeCheckInput as CoreTreeCheckInput } from '@exlab/core/validator';
import type { PluginInputField, PluginInputPrompt, PluginPassContext, PluginPassOptions, PluginPassResult } from '@exlab/core/plugins';

// The ports the controller composes (issue 6: ports, not concretions). `createDefaultController`
// wires the real implementations from `@exlab/core`; an embedding tool or a test may pass its own.

/** Template engine (§4.4.2): look-up, answers, render and the answers file. */
export interface TemplateEnginePort {
  /** The template `templatePath` of `type` for the equipment; throws `template_load_error` (requirements B3 step 10). */
  resolve(config: Config, equipmentId: string, templatePath: string, type: 'project' | 'run', runKind?: RunKind): Promise<TemplateManifest>;
  /** Every question's answer: provided, else the default; throws `validation_failed` naming `variables.<name>`. */
  resolveAnswers(
    manifest: TemplateManifest,
    provided: Readonly<Record<string, unknown>>,
    base: Readonly<Record<string, unknown>>,
  ): Record<string, unknown>;
  /** Renders the template into `destination`; returns the files written, relative, POSIX separators. */
  render(manifest: TemplateManifest, destination: string, context: Readonly<Record<string, unknown>>): Promise<{ written: string[] }>;
  /** Writes `.exlab-answers.yml` into `destination`. */
  writeAnswers(destination: string, manifest: TemplateManifest, answers: Readonly<Record<string, unknown>>): Promise<void>;
}

/** README generator (§10): the field layers checked at the gate, then README.md and readme_fields.json. */
export interface ReadmeGeneratorPort {
  /**
   * Resolves the template, config and custom layers and lists the required field ids; throws
   * `validation_failed` on a blank required field (requirements B3 step 11).
   */
  layers(
    manifest: TemplateManifest,
    config: Config,
    values: Readonly<Record<string, unknown>>,
    customFields: readonly CustomReadmeField[],
  ): { layers: ReadmeLayers; requiredIds: string[] };
  /** Writes README.md and `.exlab-wizard/readme_fields.json` into `dir`. */
  generate(dir: string, input: ReadmeInput): Promise<void>;
}

/** The cache files a creation writes (§11), all through CacheWriter. */
export interface CacheWriterPort {
  /** Writes a new creation.json (exclusive). */
  createCreation(dir: string, body: CreationJsonBody): Promise<CreationJson>;
  /** Sets creation.json's `sync_status`. */
  setSyncStatus(dir: string, status: SyncStatus): Promise<unknown>;
  /** Writes `runs.json` / `test_runs.json` under the project once. */
  writeRunKindMarkerOnce(projectDirectory: string, kind: RunKind, project: string, equipment: string, now?: Date): Promise<unknown>;
  /** Rewrites `equipment.json`. */
  writeEquipmentJson(equipmentDirectory: string, equipment: EquipmentRecordInput, now?: Date): Promise<unknown>;
}

/** What the post-creation validation checks (§4.7 POST_VALIDATE, §7.3). */
export type TreeCheckInput = CoreTreeCheckInput & { config: Config };

/** The §8.1 validator engine, run over a written tree. */
export interface ValidatorPort {
  /** Every finding of the tree, sorted; a hard finding blocks sync. */
  checkTree(input: TreeCheckInput): Promise<Finding[]>;
}

/** Where a creation's LIMS project comes from (§7.2, read only). */
export interface LimsPort {
  /** The project a run belongs to: inherited from the project's creation.json, else looked up. */
  projectForRun(config: Config, projectDirectory: string, request: RunCreateRequest): Promise<LimsProjectRef>;
  /** The LIMS project a new project folder is created for. */
  projectForNewProject(config: Config, request: ProjectCreateRequest): Promise<LimsProjectRef>;
}

/** A published creation handed to NAS sync. */
export interface SyncEnqueueRequest {
  /** The published folder. */
  path: string;
  /** Its NAS path (creation.json `paths.nas`). */
  nasPath: string;
  equipmentId: string;
  level: 'project' | 'run';
}

/** How much work the NAS sync queue holds, for `/health` (requirements C7). */
export interface SyncQueueStats {
  /** Jobs waiting or retrying. */
  queue_depth: number;
  /** Jobs transferring or verifying now. */
  in_flight: number;
  /** Jobs that failed for good and wait for an operator's retry. */
  failed?: number;
  /** Why the queue cannot work at all (it could not be opened); absent when it works. */
  error?: string;
}

/** NAS sync (§7.1). Optional: without it creation.json keeps `sync_status: pending` and nothing is enqueued. */
export interface NasSyncPort {
  /** Queues a published, unblocked creation; a failure is logged and the session still ends done (requirements B4). */
  enqueue(request: SyncEnqueueRequest): Promise<void> | void;
  /** The queue's size now; absent when the sync cannot tell. */
  stats?(): SyncQueueStats;
}

// The pass's shapes are the plugin host's own (one definition, in @exlab/core/plugins); the port
// below is what the controller needs of it, so another host can stand in.
export type { PluginInputField as PluginPromptField, PluginInputPrompt, PluginPassContext, PluginPassOptions, PluginPassResult };

/** What the plugin host holds, for `/health` (requirements C7). */
export interface PluginHostStatus {
  /** Plugins that passed the manifest rules and can run. */
  registered_plugins: number;
  /** Plugin folders refused, with the rule each broke. */
  rejected: { dir: string; code: string; reason: string }[];
  /** Worker processes running now. */
  live_workers: number;
}

/** The plugin host as the controller uses it (§4.4.3). */
export interface PluginPassPort {
  /** Runs every matching plugin; throws `plugin_variable_validation_failed` when the pre-flight fails. */
  runPass(options: PluginPassOptions): Promise<PluginPassResult>;
  /** Kills the workers still running (TERM, grace, KILL); called when the controller closes. */
  shutdown?(graceMs?: number): Promise<void>;
  /** The registry as the next pass will see it (at once when already read); absent when the host cannot tell. */
  status?(): PluginHostStatus | Promise<PluginHostStatus>;
}

/** Every port of the controller. */
export interface CreationPorts {
  templates: TemplateEnginePort;
  readme: ReadmeGeneratorPort;
  cache: CacheWriterPort;
  validator: ValidatorPort;
  lims: LimsPort;
  plugins: PluginPassPort;
  /** Absent until NAS sync exists: runs stay `pending` and nothing is enqueued. */
  sync?: NasSyncPort | undefined;
}
