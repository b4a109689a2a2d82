/**
 * The plugin host (§6.2.2-6.4, requirements A4-A13): runs one pass of plugins over a rendered
 * folder for the creation controller. Each plugin gets one worker process with its limits;
 * failures are recorded and the pass goes on; a plugin asking for input suspends the pass
 * until the operator answers or cancels.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { PluginInputField } from '@exlab/plugin-sdk';
import { FRAME_MAX_BYTES, PROTOCOL_VERSION, WORKER_EXIT_CODES } from '@exlab/plugin-sdk';
import type { InvokeRequest, ResultFrame } from '@exlab/plugin-sdk/ipc';
import { PLUGIN_LIMITS, TIMINGS } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { createNullLogger, type Logger } from '../logging/index.js';
import type { PluginApplied } from '../schemas/index.js';
import { selectPlugins, type SelectedPlugin } from './dispatch.js';
import { verdictOf } from './outcome.js';
import type { PluginRecord, PluginRegistry } from './registry.js';
import { diffSnapshot, isForbiddenPath, relativePosix, restoreFromSnapshot, takeSnapshot, type TreeSnapshot } from './tree-snapshot.js';
import { PluginWorker, REAL_TIMERS, type PluginTimers, type WorkerExit } from './worker-process.js';
import {
  probeIsolationSupport,
  resolveWorkerRuntime,
  withCompileCache,
  workerEnv,
  type AppliedIsolation,
  type IsolationSupport,
  type WorkerRuntime,
} from './worker-launch.js';

export type { PluginInputField } from '@exlab/plugin-sdk';

/** The creation a pass runs for; becomes the plugins' `PluginContext`. */
export interface PluginPassContext {
  variables: Record<string, unknown>;
  answersFile: string;
  templateName: string;
  templateVersion: string;
  runKind: string;
  equipmentId: string;
  project: string;
  /** Names the stderr log file of each plugin: `<logDir>/<plugin>/<runId>.stderr`. */
  runId: string;
}

/** What the operator is asked when a plugin raises PluginInputRequired (§6.4). */
export interface PluginInputPrompt {
  plugin: string;
  fields: PluginInputField[];
  reason: string;
  /** The file that raised it, when a file did. */
  file: string | null;
}

/** One pass of plugins over a rendered folder. */
export interface PluginPassOptions {
  /** Directory the plugins work in (the hidden temp run dir). */
  dstRoot: string;
  /** Absolute paths of candidate files (rendered files). */
  files: string[];
  /** The template's `_exlab_plugins`. */
  order?: readonly string[];
  context: PluginPassContext;
  dryRun?: boolean;
  /** Abort: kill the running worker's group, stop the pass, resolve `{aborted: true}`. */
  signal?: AbortSignal;
  /** Asks the operator; null cancels the pass. */
  onInputRequired?: (prompt: PluginInputPrompt) => Promise<Record<string, unknown> | null>;
  /** Called before each plugin starts. */
  onProgress?: (p: { current: number; total: number; plugin: string }) => void;
}

/** The records of a pass, in run order; `aborted` when it was cancelled. */
export interface PluginPassResult {
  applied: PluginApplied[];
  aborted: boolean;
}

/** Options of {@link PluginHost}. */
export interface PluginHostOptions {
  registry: PluginRegistry;
  /** `<central_log>/plugins`: each plugin's stderr goes to `<logDir>/<plugin>/<runId>.stderr`. */
  logDir: string;
  logger?: Logger | undefined;
  /** Worker script; default the SDK's built `dist/worker.js`, else its `src/worker.ts`. */
  workerEntry?: string | undefined;
  /** Compile cache folder for the workers; default this process's own (none when it has none), null for none. */
  compileCacheDir?: string | null | undefined;
  /** Monotonic milliseconds, for durations (default `performance.now`). */
  now?: (() => number) | undefined;
  /** Timer functions (default the real ones). */
  timers?: PluginTimers | undefined;
  /** A5 stage 2: run `validateVariables` in the workers before any transform (default true). */
  validateInWorker?: boolean | undefined;
  /** prlimit / unshare / ulimit wrappers (default true). */
  osIsolation?: boolean | undefined;
  /** Environment the worker's is filtered from (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** A plugin whose worker finished or that the pass gave up on. */
type PluginRun = { aborted: true } | { aborted: false; record: PluginApplied };

/** Files of `files` still to do after a prompt raised by `trigger` (A12: the trigger and everything after it). */
function remainingFiles(files: readonly string[], trigger: string | null): string[] {
  const index = trigger === null ? -1 : files.indexOf(trigger);
  return index < 0 ? [...files] : files.slice(index);
}

/** Waits for `promise`, or for `signal` to abort (then resolves null). */
function unlessAborted<T>(promise: Promise<T>, signals: readonly AbortSignal[]): Promise<T | null> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(null);
  return new Promise((resolvePromise, reject) => {
    const onAbort = () => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
      resolvePromise(null);
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new ExLabError('internal_error', String(error)));
      },
    );
  });
}

/** Runs plugin passes for the creation controller and owns every plugin worker process. */
export class PluginHost {
  readonly #registry: PluginRegistry;
  readonly #logDir: string;
  readonly #logger: Logger;
  readonly #workerEntry: string | undefined;
  readonly #now: () => number;
  readonly #timers: PluginTimers;
  readonly #validateInWorker: boolean;
  readonly #osIsolation: boolean;
  readonly #env: NodeJS.ProcessEnv;
  readonly #live = new Set<PluginWorker>();
  readonly #shutdown = new AbortController();
  #runtime: WorkerRuntime | undefined;

  constructor(options: PluginHostOptions) {
    this.#registry = options.registry;
    this.#logDir = resolve(options.logDir);
    this.#logger = (options.logger ?? createNullLogger()).child({ component: 'plugins' });
    this.#workerEntry = options.workerEntry;
    this.#now = options.now ?? (() => performance.now());
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#validateInWorker = options.validateInWorker ?? true;
    this.#osIsolation = options.osIsolation ?? true;
    this.#env = withCompileCache(workerEnv(options.env ?? process.env), options.compileCacheDir);
  }

  /** Number of worker processes running now. */
  liveWorkers(): number {
    let count = 0;
    for (const worker of this.#live) if (worker.alive) count += 1;
    return count;
  }

  /** Stops every worker: TERM to each group, then KILL after `graceMs` (A6); later passes are refused. */
  async shutdown(graceMs: number = TIMINGS.workerShutdownGraceMs): Promise<void> {
    this.#shutdown.abort();
    const workers = [...this.#live].filter((w) => w.alive);
    for (const worker of workers) worker.abort('SIGTERM', 'the plugin host shut down');
    if (workers.length === 0) return;
    let timer: unknown;
    const graceOver = new Promise<void>((resolveGrace) => (timer = this.#timers.setTimeout(resolveGrace, graceMs)));
    await Promise.race([Promise.all(workers.map((w) => w.closed)), graceOver]);
    this.#timers.clearTimeout(timer);
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.closed));
  }

  /**
   * Runs the plugins matching `files` (A4) over `dstRoot`. Throws
   * `plugin_variable_validation_failed` before any transform when the pre-flight fails (A5).
   */
  async runPass(options: PluginPassOptions): Promise<PluginPassResult> {
    if (this.#shutdown.signal.aborted)
      throw new ExLabError('plugin_host_unavailable', 'The plugin host is shutting down; no new plugin pass starts.');
    const applied: PluginApplied[] = [];
    const signals = [this.#shutdown.signal, ...(options.signal === undefined ? [] : [options.signal])];
    const aborted = () => signals.some((s) => s.aborted);
    if (aborted()) return { applied, aborted: true };

    const dstRoot = resolve(options.dstRoot);
    // Files outside the folder, and the control surface plugins may not touch, are never candidates (§6.1.5).
    const candidates = options.files
      .map((file) => resolve(dstRoot, file))
      .filter((file) => {
        const path = relativePosix(dstRoot, file);
        return path !== '' && !path.startsWith('../') && path !== '..' && !isForbiddenPath(path);
      });
    const dispatch = selectPlugins(this.#registry, candidates, options.order ?? []);
    for (const name of dispatch.unregistered)
      this.#logger.warn('plugin listed in _exlab_plugins is not installed; skipped', { plugin: name });
    if (dispatch.selected.length === 0) return { applied, aborted: false };

    this.#runtime ??= resolveWorkerRuntime(this.#workerEntry);
    const support = await probeIsolationSupport();
    // The first plugin's snapshot is taken while the validation workers boot, and before any of
    // them is sent a request (plugin code runs only once it has one), so validateVariables
    // cannot touch the forbidden paths unseen either.
    const firstSnapshot = takeSnapshot(dstRoot);
    firstSnapshot.catch(() => undefined); // awaited below; a pre-flight that throws first must not leave it unhandled
    const pass: PassState = { options, dstRoot, support, held: new Map(), signals, aborted, firstSnapshot };
    await this.#preflight(pass, dispatch.selected);
    if (aborted()) {
      await this.#releaseHeld(pass);
      return { applied, aborted: true };
    }

    for (const [index, selected] of dispatch.selected.entries()) {
      if (aborted()) {
        await this.#releaseHeld(pass);
        return { applied, aborted: true };
      }
      options.onProgress?.({ current: index + 1, total: dispatch.selected.length, plugin: selected.record.manifest.name });
      const run = await this.#runPlugin(pass, selected);
      if (run.aborted) {
        await this.#releaseHeld(pass);
        return { applied, aborted: true };
      }
      applied.push(run.record);
    }
    return { applied, aborted: false };
  }

  /** A5: stage 1 checks the manifests' required variables; stage 2 asks each plugin's worker, in parallel. */
  async #preflight(pass: PassState, selected: readonly SelectedPlugin[]): Promise<void> {
    const variables = pass.options.context.variables;
    const errors: string[] = [];
    for (const { record } of selected) {
      for (const name of record.manifest.required_variables) {
        const value = variables[name];
        const empty =
          value === undefined ||
          value === null ||
          (typeof value === 'string' && value.trim() === '') ||
          (Array.isArray(value) && value.length === 0);
        if (empty) errors.push(`${record.manifest.name}: required variable '${name}' is missing or empty`);
      }
    }
    if (this.#validateInWorker) {
      const results = await Promise.all(selected.map(async (s) => this.#validateInHeldWorker(pass, s)));
      for (const found of results) errors.push(...found);
    }
    if (errors.length > 0 && !pass.aborted()) {
      await this.#releaseHeld(pass);
      throw new ExLabError('plugin_variable_validation_failed', `Plugin variable check failed: ${errors.join('; ')}`, {
        details: { phase: 'running_plugins', errors },
      });
    }
  }

  /** Spawns the plugin's worker in validate mode and keeps it for the transform (§6.3.6, docs/decisions.md). */
  async #validateInHeldWorker(pass: PassState, selected: SelectedPlugin): Promise<string[]> {
    const { record } = selected;
    const name = record.manifest.name;
    const request = this.#request(pass, record, 'validate', selected.files, null);
    if (request === null) return []; // too large to send: the transform records ipc_frame_oversize
    const worker = this.#spawn(pass, record, false, PLUGIN_LIMITS.validateCpuSeconds);
    const onAbort = () => worker.abort();
    pass.options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await pass.firstSnapshot;
      const answer = await worker.validate(request, PLUGIN_LIMITS.validateTimeoutMs);
      if ('frame' in answer) {
        if (answer.frame.errors.length === 0 && worker.alive) pass.held.set(name, worker);
        else await worker.release();
        return answer.frame.errors.map((e) => `${name}: ${e}`);
      }
      const { exit } = answer;
      if (exit.failure === 'aborted') return [];
      const why =
        exit.failure === 'timeout'
          ? `validateVariables did not answer within ${PLUGIN_LIMITS.validateTimeoutMs / 1000} s`
          : (exit.detail ?? exit.stderrTail.at(-1) ?? `the validation worker exited with code ${exit.exitCode}`);
      return [`${name}: ${why}`];
    } finally {
      pass.options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Lets every held worker go and waits until they are gone. */
  async #releaseHeld(pass: PassState): Promise<void> {
    const workers = [...pass.held.values()];
    pass.held.clear();
    await Promise.all(workers.map((w) => w.release()));
  }

  /** The invoke request, or null when it would exceed the frame cap (A7: then nothing is spawned). */
  #request(
    pass: PassState,
    record: PluginRecord,
    mode: 'transform' | 'validate',
    files: string[],
    extra: Record<string, unknown> | null,
  ): InvokeRequest | null {
    const { context, dryRun } = pass.options;
    const request: InvokeRequest = {
      kind: 'invoke',
      protocol: PROTOCOL_VERSION,
      request_id: randomUUID(),
      mode,
      plugin_dir: record.dir,
      context: {
        variables: context.variables,
        dst_root: pass.dstRoot,
        answers_file: context.answersFile,
        template_name: context.templateName,
        template_version: context.templateVersion,
        run_kind: context.runKind,
        equipment_id: context.equipmentId,
        project: context.project,
        dry_run: dryRun === true,
      },
      files,
      dry_run: dryRun === true,
      extra_inputs: extra,
    };
    if (mode === 'validate') request.hold = true;
    return Buffer.byteLength(JSON.stringify(request)) > FRAME_MAX_BYTES ? null : request;
  }

  #spawn(pass: PassState, record: PluginRecord, respawn: boolean, extraCpuSeconds = 0): PluginWorker {
    const { isolation, name } = record.manifest;
    const runId = pass.options.context.runId.replace(/[^A-Za-z0-9._-]/g, '_') || 'run';
    const worker = PluginWorker.spawn({
      plugin: name,
      runtime: this.#runtime as WorkerRuntime,
      support: pass.support,
      limits: {
        memoryMb: isolation.memory_mb,
        cpuSeconds: isolation.timeout_seconds * PLUGIN_LIMITS.cpuSecondsPerTimeoutSecond + extraCpuSeconds,
        denyNetwork: !isolation.network,
        osLimits: this.#osIsolation,
      },
      cwd: pass.dstRoot,
      env: this.#env,
      stderrPath: join(this.#logDir, name, `${runId}.stderr`),
      stderrAppend: respawn,
      logger: this.#logger,
      timers: this.#timers,
      now: this.#now,
    });
    this.#live.add(worker);
    void worker.closed.then(() => this.#live.delete(worker));
    return worker;
  }

  /** One plugin: snapshot, worker(s) through any prompts, verdict, forbidden-path check (A10-A13). */
  async #runPlugin(pass: PassState, selected: SelectedPlugin): Promise<PluginRun> {
    const { record } = selected;
    const { manifest } = record;
    const name = manifest.name;
    const first = pass.firstSnapshot;
    pass.firstSnapshot = null;
    const snapshot = await (first ?? takeSnapshot(pass.dstRoot));
    let files = selected.files;
    let extra: Record<string, unknown> | null = null;
    let durationMs = 0;
    let peakMemoryMb = 0;
    let respawn = false;
    let worker: PluginWorker | undefined = pass.held.get(name);
    pass.held.delete(name);
    if (worker !== undefined && !worker.alive) worker = undefined;
    let exit: WorkerExit<ResultFrame> | null = null;
    let isolation: AppliedIsolation = { network: manifest.isolation.network ? 'allowed' : 'none', rlimits: 'none' };
    let verdictOverride: { error: string } | null = null;

    for (;;) {
      if (pass.aborted()) {
        await worker?.release();
        return { aborted: true };
      }
      const request = this.#request(pass, record, 'transform', files, extra);
      if (request === null) {
        await worker?.release();
        verdictOverride = { error: 'ipc_frame_oversize' };
        break;
      }
      worker ??= this.#spawn(pass, record, respawn);
      isolation = worker.isolation;
      // A cancelled pass kills its worker at once; a host shutdown TERMs it itself (shutdown()).
      const current = worker;
      const onAbort = () => current.abort();
      pass.options.signal?.addEventListener('abort', onAbort, { once: true });
      exit = await current.run(request, manifest.isolation.timeout_seconds * 1000);
      pass.options.signal?.removeEventListener('abort', onAbort);
      worker = undefined;
      durationMs += exit.durationMs;
      peakMemoryMb = Math.max(peakMemoryMb, exit.peakMemoryMb);
      if (exit.failure === 'aborted' || pass.aborted()) {
        await this.#enforceForbidden(snapshot, name);
        return { aborted: true };
      }
      const prompt = exit.failure === null && exit.exitCode === 2 ? exit.frame?.input_required : null;
      if (prompt === null || prompt === undefined) break;

      // A12: suspended. No worker lives while the operator answers, so that time is not counted (A9).
      await this.#releaseHeld(pass);
      if (pass.options.onInputRequired === undefined) {
        verdictOverride = { error: 'the plugin asked for input and this pass cannot ask the operator' };
        break;
      }
      this.#logger.info('plugin asks for input', { plugin: name, reason: prompt.reason });
      const answers = await unlessAborted(
        pass.options.onInputRequired({
          plugin: name,
          fields: prompt.fields as PluginInputField[],
          reason: prompt.reason,
          file: prompt.file,
        }),
        pass.signals,
      );
      if (answers === null || pass.aborted()) {
        await this.#enforceForbidden(snapshot, name);
        return { aborted: true };
      }
      extra = { ...(extra ?? {}), ...answers };
      files = remainingFiles(files, prompt.file);
      respawn = true;
    }

    const verdict =
      verdictOverride !== null ? { status: 'failed' as const, error: verdictOverride.error } : verdictOf(exit as WorkerExit<ResultFrame>);
    const changes = await diffSnapshot(snapshot);
    const record_: PluginApplied = {
      plugin: name,
      version: manifest.version,
      files_affected: changes.changed,
      status: verdict.status,
      isolation: {
        duration_ms: Math.round(durationMs),
        exit_code: verdictOverride?.error === 'ipc_frame_oversize' ? WORKER_EXIT_CODES.crash : (exit?.exitCode ?? null),
        peak_memory_mb: peakMemoryMb,
        network: isolation.network,
        rlimits: isolation.rlimits,
      },
    };
    if (verdict.error !== undefined) record_.error = verdict.error;
    if (verdict.crash === true) record_.crash = true;
    if (changes.violations.length > 0) {
      record_.status = 'policy_violation';
      record_.violations = changes.violations;
      record_.files_affected = changes.violations;
      const unrestorable = await restoreFromSnapshot(snapshot, changes.changed);
      this.#logger.warn('plugin touched files it must not; its changes were reverted', {
        plugin: name,
        violations: changes.violations,
        unrestorable,
      });
    }
    const level = record_.status === 'success' || record_.status === 'skipped' ? 'info' : 'warn';
    this.#logger[level]('plugin finished', {
      plugin: name,
      status: record_.status,
      error: record_.error,
      exit_code: record_.isolation?.exit_code,
      duration_ms: record_.isolation?.duration_ms,
      detail: exit?.detail ?? undefined,
    });
    return { aborted: false, record: record_ };
  }

  /** On a cancelled plugin, the control surface is still restored (A11). */
  async #enforceForbidden(snapshot: TreeSnapshot, plugin: string): Promise<void> {
    const changes = await diffSnapshot(snapshot);
    if (changes.violations.length === 0) return;
    await restoreFromSnapshot(snapshot, changes.violations);
    this.#logger.warn('cancelled plugin touched files it must not; they were restored', { plugin, violations: changes.violations });
  }
}

/** State shared by the steps of one pass. */
interface PassState {
  options: PluginPassOptions;
  dstRoot: string;
  support: IsolationSupport;
  /** Workers that passed validation and wait for their transform request. */
  held: Map<string, PluginWorker>;
  /** The caller's signal and the host's shutdown signal: either ends the pass. */
  signals: AbortSignal[];
  aborted: () => boolean;
  /** The tree before any plugin of the pass ran; taken by the first plugin's run (then null). */
  firstSnapshot: Promise<TreeSnapshot> | null;
}
