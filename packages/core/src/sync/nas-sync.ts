import { access, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { activeOverrides, CacheWriter, readCreationJson } from '../cache/index.js';
import { FILE_NAMES, RUN_KIND_FOLDER, SYNC_BACKOFF_SECONDS, TIMINGS, type SyncFailureKind, type SyncJobState } from '../constants/index.js';
import { describeError, ExLabError } from '../errors/index.js';
import { writeFileAtomic } from '../io/index.js';
import { appendEquipmentLog, createNullLogger, type Logger } from '../logging/index.js';
import { equipmentDir } from '../paths/index.js';
import { findExecutable } from '../process/executable.js';
import { formatUtcTimestamp, type Config, type EquipmentConfig, type Finding, type NasTransport, type SyncJob } from '../schemas/index.js';
import { checkTree } from '../validator/index.js';
import { uploadLimitAt } from './bandwidth.js';
import { SyncJobStore, type SyncJobCounts } from './job-store.js';
import { cleanupHold, removeVerifiedFiles, type CleanupHold } from './cleanup.js';
import { compareManifests, formatChecksums, parseChecksums, scanFolder, type HashManifest, type ScannedFolder } from './manifest.js';
import { describeOutcome, runCommand, type CommandOutcome } from './run-command.js';
import { runShareOp, shareFailureKind, ShareOpError } from './share-ops.js';
import {
  classifyFailure,
  DEFAULT_SYNC_COMMANDS,
  pushCommand,
  remoteHashCommand,
  remoteLocation,
  remotePath,
  remoteRoot,
  remoteRootProbe,
  type Command,
  type PushRequest,
  type SyncCommands,
} from './transport.js';

/** Timers the worker schedules its wake-ups with (tests pass fake ones). */
export interface SyncTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link NasSync.open}. */
export interface NasSyncOptions {
  /** The queue file, `<state_dir>/sync_queue.db`. */
  queuePath: string;
  /** The current configuration, read on every enqueue and job (config changes apply live). */
  getConfig: () => Config | null;
  /** Writes creation.json's `sync_status`; one is made when not given. */
  cache?: CacheWriter;
  logger?: Logger;
  clock?: () => Date;
  timers?: SyncTimers;
  /** The transport programs and extra ssh options. */
  commands?: Partial<SyncCommands>;
  /** Environment of the transport programs (default this process's). */
  env?: NodeJS.ProcessEnv;
  /**
   * The share processes of a mounted-share transport (see share-ops.ts): the Node program that
   * runs them, and how long one may show no progress before it is stopped (default 10 min).
   */
  share?: { node?: string; stallMs?: number };
}

/** A published folder to push. */
export interface EnqueueRequest {
  path: string;
  /** The equipment it belongs to; found from the path when absent. */
  equipmentId?: string;
  /** Default: what creation.json says. */
  level?: 'project' | 'run';
}

/** Options of {@link NasSync.enqueue}. */
export interface EnqueueOptions {
  /**
   * Run the pre-sync gate (§7.3) first (default true). The creation controller passes false: its
   * post-creation validation ran the same engine over the same tree a moment before.
   */
  gate?: boolean;
}

/** What {@link NasSync.enqueue} did (S3). */
export type EnqueueResult =
  | { state: 'blocked'; job: null; blockingFindings: Finding[] }
  | { state: 'not_synced'; job: null; reason: string }
  | { state: SyncJobState; job: SyncJob; blockingFindings: [] };

/** Queue sizes for `/health` (requirements C7) and the quit drain (Q1). */
export interface SyncStats {
  /** Jobs waiting for a push or a verification, the one in hand excluded. */
  queue_depth: number;
  /** 1 while the worker pushes or verifies a job. */
  in_flight: number;
  /** Jobs that failed for good and wait for an operator's retry. */
  failed: number;
}

const REAL_TIMERS: SyncTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Longest single timer; a wake-up further away is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A job's folders the push and the verification leave out: a project job never carries its runs. */
function skippedFolders(job: Pick<SyncJob, 'level'>): string[] {
  return job.level === 'project' ? Object.values(RUN_KIND_FOLDER) : [];
}

class JobFailure extends Error {
  constructor(
    readonly kind: SyncFailureKind,
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

/** How long the worker waits after the queue itself failed (locked by another program, a full disk). */
const QUEUE_RETRY_MS = 30_000;

/**
 * The NAS sync module (§7.1): a durable queue of published folders, and one worker that pushes
 * them with the equipment's transport, verifies every file by SHA-256 on the NAS, records the
 * result in creation.json, retries network failures with back-off and fails for good on
 * authentication problems; verified runs are verified again and, with `nas_cleanup.enabled`,
 * their local data is removed once every interlock holds. It lives in the tray process; the queue
 * survives restarts.
 */
export class NasSync {
  readonly #store: SyncJobStore;
  readonly #options: NasSyncOptions;
  readonly #cache: CacheWriter;
  readonly #logger: Logger;
  readonly #clock: () => Date;
  readonly #timers: SyncTimers;
  readonly #commands: SyncCommands;
  #wakeTimer: unknown = null;
  #current: { job: SyncJob; abort: AbortController; done: Promise<void> } | null = null;
  #started = false;
  #paused = false;
  #stopping = false;
  #pumping = false;
  #idleWaiters: (() => void)[] = [];
  #rsyncLookup: Promise<boolean> | undefined;
  #noRsyncNoticed = false;
  /** Set while the worker waits to look at a queue that failed; it counts as idle meanwhile. */
  #queueRetrying = false;

  private constructor(store: SyncJobStore, options: NasSyncOptions) {
    this.#store = store;
    this.#options = options;
    this.#logger = options.logger ?? createNullLogger();
    this.#clock = options.clock ?? (() => new Date());
    this.#cache = options.cache ?? new CacheWriter({ clock: this.#clock, logger: this.#logger });
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#commands = { ...DEFAULT_SYNC_COMMANDS, ...options.commands };
  }

  /**
   * Opens the queue and recovers it after a restart (S2): a job that was pushing is queued again.
   * The worker does not run until {@link start}; a process that only enqueues never starts it.
   */
  static async open(options: NasSyncOptions): Promise<NasSync> {
    const store = await SyncJobStore.open(options.queuePath);
    let requeued: number;
    try {
      requeued = store.recoverAfterRestart();
    } catch (error) {
      store.close();
      throw error;
    }
    const sync = new NasSync(store, options);
    if (requeued > 0) sync.#logger.info(`NAS sync: ${requeued} interrupted push${requeued === 1 ? '' : 'es'} queued again`);
    return sync;
  }

  /** Starts the worker: it takes the oldest due job whenever it is idle. */
  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#wake();
  }

  /** Takes no new job (a quit is draining); the one in hand goes on. {@link stop} ends it. */
  pause(): void {
    this.#paused = true;
    this.#clearTimer();
  }

  /**
   * Queues a published folder for the NAS (S3). A folder whose job is under way or done is left
   * as it is (its creation.json too). Otherwise, with the gate on, a hard finding no active
   * override covers blocks it: creation.json gets `blocked_by_validation` and no job is made; a
   * failed job is queued afresh, and a new folder gets a job.
   */
  async enqueue(request: EnqueueRequest, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const config = this.#config();
    const path = resolve(request.path);
    const existing = this.#store.byPath(path);
    if (existing !== undefined && existing.state !== 'failed') {
      this.#wake();
      return { state: existing.state, job: existing, blockingFindings: [] };
    }
    const creation = await readCreationJson(path);
    const equipment = this.#equipmentOf(config, path, request.equipmentId ?? existing?.equipment_id);
    if (equipment.sync_mode === 'stage') {
      return {
        state: 'not_synced',
        job: null,
        reason: `${equipment.id} hands its runs to the orchestrator's staging area (sync_mode: stage)`,
      };
    }
    const level = request.level ?? existing?.level ?? creation.level;
    if (options.gate !== false) {
      const blocking = await this.#gate(config, path, equipment, creation.run_kind, level, creation.validation_overrides);
      if (blocking.length > 0) {
        await this.#cache.setSyncStatus(path, 'blocked_by_validation');
        this.#logger.warn(`NAS sync of ${path} blocked by ${blocking.length} hard finding(s): ${blocking.map((f) => f.rule).join(', ')}`);
        return { state: 'blocked', job: null, blockingFindings: blocking };
      }
    }
    let job: SyncJob;
    if (existing === undefined) {
      job = this.#store.insert({
        run_path: path,
        equipment_id: equipment.id,
        level,
        nas_path: creation.paths.nas,
        enqueued_at: formatUtcTimestamp(this.#clock()),
      });
      this.#logger.info(`NAS sync: queued ${path}`, { equipment: equipment.id });
    } else {
      // S3: attempts, back-off and the failure are cleared, so a later hash mismatch is a first one again.
      job = this.#store.transition(existing.id, ['failed'], 'queued', {
        attempts: 0,
        mismatches: 0,
        next_attempt_at: null,
        last_error: null,
        last_error_detail: null,
        equipment_id: equipment.id,
      });
      this.#logger.info(`NAS sync: ${path} queued again after ${existing.last_error ?? 'a failure'}`, { equipment: equipment.id });
    }
    if (creation.sync_status !== 'pending') await this.#cache.setSyncStatus(path, 'pending');
    this.#wake();
    return { state: job.state, job, blockingFindings: [] };
  }

  /**
   * Queues a failed job again (the Problems tab's Retry on `nas_sync_failed`, §7.1.5), through
   * the pre-sync gate like any enqueue (G1): a run that is blocked now stays out of the queue.
   */
  async retry(jobId: string): Promise<EnqueueResult> {
    const job = this.#store.get(jobId);
    if (job === undefined) throw new ExLabError('sync_job_not_found', `No NAS sync job ${jobId}.`, { field: 'job_id' });
    if (job.state !== 'failed') {
      throw new ExLabError('sync_job_state_changed', `NAS sync job ${jobId} is ${job.state}; only a failed job can be retried.`, {
        field: 'job_id',
        details: { state: job.state },
      });
    }
    return this.enqueue({ path: job.run_path, equipmentId: job.equipment_id, level: job.level });
  }

  /** Looks for due jobs again, e.g. after a config change turned `sync.enabled` on. */
  wake(): void {
    this.#wake();
  }

  /** The state of a folder's job, or `none` (S3). */
  status(path: string): SyncJobState | 'none' {
    return this.#store.byPath(resolve(path))?.state ?? 'none';
  }

  /** The job with this id. */
  job(id: string): SyncJob | undefined {
    return this.#store.get(id);
  }

  /** Every job, oldest first; only those in `states` when given. */
  jobs(states?: readonly SyncJobState[]): SyncJob[] {
    return this.#store.list(states);
  }

  /** How many jobs are in each state. */
  counts(): SyncJobCounts {
    return this.#store.counts();
  }

  /** Queue sizes for health and the quit drain. */
  stats(): SyncStats {
    const counts = this.#store.counts();
    const inHandState = this.#current === null ? undefined : this.#store.get(this.#current.job.id)?.state;
    const inHand = inHandState === 'queued' || inHandState === 'awaiting_verify' ? 1 : 0;
    return {
      queue_depth: Math.max(0, counts.queued + counts.awaiting_verify - inHand),
      in_flight: this.#current === null ? 0 : 1,
      failed: counts.failed,
    };
  }

  /** Resolves once the worker has no job in hand and none is due now. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolveIdle) => this.#idleWaiters.push(resolveIdle));
  }

  /**
   * Stops the worker (Q5: the queue persists): no new job is taken; the one in hand may finish
   * within `graceMs`, then its transfer, hashing or copy is stopped and the job waits in the queue
   * for the next start. Closes the queue.
   */
  async stop(graceMs = 0): Promise<void> {
    this.#stopping = true;
    this.#clearTimer();
    const current = this.#current;
    if (current !== null) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolveGrace) => {
        timer = setTimeout(resolveGrace, graceMs);
      });
      await Promise.race([current.done, graceOver]);
      clearTimeout(timer);
      current.abort.abort();
      await current.done;
    }
    this.#store.close();
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  #config(): Config {
    const config = this.#options.getConfig();
    if (config === null) throw new ExLabError('setup_incomplete', 'No configuration is loaded; finish setup before syncing to the NAS.');
    return config;
  }

  // D6: the equipment is named or found from the folder, and the folder must be under it; never a
  // fallback to another equipment's remote.
  #equipmentOf(config: Config, path: string, equipmentId: string | undefined): EquipmentConfig {
    const allowed = config.equipment.map((entry) => entry.id);
    if (equipmentId !== undefined) {
      const named = config.equipment.find((entry) => entry.id === equipmentId);
      if (named === undefined) {
        throw new ExLabError('equipment_not_configured', `Equipment "${equipmentId}" is not configured; nothing was queued for the NAS.`, {
          field: 'equipment_id',
          details: { allowed },
        });
      }
      const folder = equipmentDir(config, named.id) as string;
      if (!isInside(path, folder)) {
        throw new ExLabError(
          'equipment_not_configured',
          `${path} is not under ${named.id}'s folder ${folder}; nothing was queued for the NAS.`,
          {
            field: 'path',
            details: { equipment_id: named.id, folder },
          },
        );
      }
      return named;
    }
    // The deepest equipment folder holding the path (equipment roots may nest).
    const found = config.equipment
      .map((entry) => ({ entry, folder: equipmentDir(config, entry.id) as string }))
      .filter(({ folder }) => isInside(path, folder))
      .sort((a, b) => b.folder.length - a.folder.length)[0]?.entry;
    if (found === undefined) {
      throw new ExLabError(
        'equipment_not_configured',
        `${path} is not under any configured equipment folder; nothing was queued for the NAS.`,
        {
          field: 'path',
          details: { allowed: config.equipment.map((entry) => equipmentDir(config, entry.id)) },
        },
      );
    }
    return found;
  }

  // §7.3 (G1, G2): the creation gate's rules over the folder; hard findings without an active override block.
  async #gate(
    config: Config,
    path: string,
    equipment: EquipmentConfig,
    runKind: 'experimental' | 'test',
    level: 'project' | 'run',
    overrides: Parameters<typeof activeOverrides>[0],
  ): Promise<Finding[]> {
    const findings = await checkTree({
      config,
      tree: path,
      destination: path,
      equipmentDirectory: equipmentDir(config, equipment.id) as string,
      runKind: level === 'run' ? runKind : null,
      requiredIds: [],
      readmeFields: {},
      skipFolders: skippedFolders({ level }),
    });
    const overridden = new Set<string>(activeOverrides(overrides, this.#clock()).map((entry) => entry.problem_class));
    return findings.filter((finding) => finding.tier === 'hard' && !overridden.has(finding.rule));
  }

  #isIdle(): boolean {
    if (this.#current !== null) return false;
    if (this.#stopping || this.#paused || !this.#started || this.#queueRetrying) return true;
    try {
      return this.#dueJob() === undefined;
    } catch {
      return true;
    }
  }

  #enabledConfig(): Config | null {
    const config = this.#options.getConfig();
    return config !== null && config.sync.enabled ? config : null;
  }

  #dueJob(): SyncJob | undefined {
    const config = this.#enabledConfig();
    if (config === null) return undefined;
    return this.#store.nextDue(formatUtcTimestamp(this.#clock()), { cleanup: config.nas_cleanup.enabled });
  }

  #wake(): void {
    if (!this.#started || this.#stopping || this.#paused || this.#pumping) return;
    void this.#pump();
  }

  #clearTimer(): void {
    if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
  }

  // The worker (S4): one job at a time, oldest due first; sleeps until the next back-off ends.
  // Nothing escapes it: a queue that fails (locked, full disk) makes it wait and look again later.
  async #pump(): Promise<void> {
    this.#pumping = true;
    this.#queueRetrying = false;
    try {
      this.#clearTimer();
      for (;;) {
        if (this.#stopping || this.#paused) return;
        let job: SyncJob | undefined;
        try {
          job = this.#dueJob();
        } catch (error) {
          if (this.#setAsideUnreadable(error)) continue;
          throw error;
        }
        if (job === undefined) break;
        await this.#runInHand(job);
      }
      this.#armTimer();
    } catch (error) {
      this.#logger.error(
        `NAS sync: the queue ${this.#store.path} failed (${describeError(error)}); looking again in ${QUEUE_RETRY_MS / 1000} s`,
      );
      this.#queueRetrying = true;
      this.#armTimer(QUEUE_RETRY_MS);
    } finally {
      this.#pumping = false;
      if (this.#isIdle()) for (const waiter of this.#idleWaiters.splice(0)) waiter();
    }
  }

  async #runInHand(job: SyncJob): Promise<void> {
    const abort = new AbortController();
    let finished = (): void => undefined;
    const done = new Promise<void>((resolveDone) => (finished = resolveDone));
    this.#current = { job, abort, done };
    try {
      await this.#run(job, abort.signal);
    } finally {
      this.#current = null;
      finished();
    }
  }

  // A row that does not read as a job is moved aside (kept in unreadable_jobs) so the others go on.
  #setAsideUnreadable(error: unknown): boolean {
    if (!(error instanceof ExLabError) || error.code !== 'sync_queue_invalid') return false;
    const id = (error.details as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return false;
    const path = this.#store.setAside(id, error.message, formatUtcTimestamp(this.#clock()));
    this.#logger.error(
      `NAS sync: moved unreadable job ${id}${path ? ` (${path})` : ''} out of the queue: ${error.message}; enqueue the folder again to sync it`,
    );
    return true;
  }

  #armTimer(afterMs?: number): void {
    if (this.#stopping || this.#paused || !this.#started) return;
    let wait = afterMs;
    if (wait === undefined) {
      // Nothing to wake for while sync is off or no config is loaded: a config change wakes the worker.
      const config = this.#enabledConfig();
      if (config === null) return;
      const next = this.#store.nextWakeAt({ cleanup: config.nas_cleanup.enabled });
      if (next === undefined) return;
      wait = Math.max(0, Math.min(MAX_TIMER_MS, Date.parse(next) - this.#clock().getTime()));
    }
    this.#wakeTimer = this.#timers.setTimeout(() => {
      this.#wakeTimer = null;
      this.#wake();
    }, wait);
  }

  async #run(job: SyncJob, signal: AbortSignal): Promise<void> {
    try {
      const config = this.#config();
      const equipment = config.equipment.find((entry) => entry.id === job.equipment_id);
      if (equipment === undefined) {
        throw new JobFailure('equipment_not_configured', `equipment ${job.equipment_id} is no longer configured`);
      }
      if (equipment.sync_mode !== 'nas' || equipment.transport === undefined) {
        throw new JobFailure('transport_missing', `equipment ${equipment.id} has no NAS transport (sync_mode: ${equipment.sync_mode})`);
      }
      const transport = equipment.transport;
      const target = this.#targetOf(config, equipment, job.run_path);
      if (!(await exists(job.run_path))) throw new JobFailure('local_file_vanished', `${job.run_path} no longer exists`);
      const step = { job, config, equipment, transport, target, signal };
      switch (job.state) {
        case 'queued': {
          const pushed = await this.#push(step);
          if (pushed.state === 'awaiting_verify') await this.#verify({ ...step, job: pushed });
          return;
        }
        case 'awaiting_verify':
          return await this.#verify(step);
        case 'verified':
          return await this.#nextPass(step);
        case 'cleanup_eligible':
          return await this.#reap(step);
        default:
          return;
      }
    } catch (error) {
      if (signal.aborted) {
        this.#putBack(job);
        return;
      }
      const current = this.#store.get(job.id) ?? job;
      if (error instanceof JobFailure) {
        await this.#fail(current, error.kind, error.detail);
        return;
      }
      // Something on this machine failed (a cache file, the disk): the job waits and tries again,
      // instead of being taken up again at once.
      const detail = `unexpected error: ${describeError(error)}`;
      if (current.state === 'verified' || current.state === 'cleanup_eligible') {
        this.#postpone(current, detail);
        return;
      }
      try {
        this.#backOff(current, current.state === 'running' ? 'queued' : current.state, detail, 'local_error');
      } catch (failure) {
        if (!(failure instanceof JobFailure)) throw failure;
        await this.#fail(current, failure.kind, failure.detail);
      }
    }
  }

  // The NAS mirrors the local layout under the transport's root (DECISIONS.md): <EQ>/<project>/Runs/<run>.
  #targetOf(config: Config, equipment: EquipmentConfig, path: string): string {
    const folder = equipmentDir(config, equipment.id) as string;
    if (!isInside(path, folder)) {
      throw new JobFailure('equipment_not_configured', `${path} is not under ${equipment.id}'s folder ${folder}`);
    }
    return relative(dirname(folder), path).split(sep).join('/');
  }

  /**
   * The NAS root must be there before anything is written to it, and is never created: a share
   * that is not mounted leaves an empty mount-point folder, or none. A mounted share must not
   * overlap the lab's own folders (a copy onto itself would "verify" and could then be cleaned).
   * Returns why the NAS cannot be used now, or null.
   */
  async #nasRootProblem(step: JobStep): Promise<string | null> {
    const { transport, config, equipment, job, signal } = step;
    if (transport.type === 'local') {
      const root = remoteRoot(transport);
      let probe: { real: string | null; directory: boolean; empty: boolean | null };
      try {
        probe = await runShareOp(
          { op: 'probe', path: root, checkEmpty: job.state === 'cleanup_eligible' },
          { ...this.#shareOptions(), signal },
        );
      } catch (error) {
        signal.throwIfAborted();
        if (!(error instanceof ShareOpError)) throw error;
        return `the NAS folder ${root} does not answer: ${error.message}`;
      }
      const real = probe.real;
      if (real === null || !probe.directory) return `the NAS folder ${root} is missing (is the share mounted?)`;
      const local = await realpath(equipmentDir(config, equipment.id) as string).catch(() => null);
      if (local !== null && (isInside(local, real) || isInside(real, local) || local === real)) {
        throw new JobFailure(
          'nas_root_invalid',
          `the NAS folder ${root} overlaps ${equipment.id}'s local folder ${local}; a run cannot be its own NAS copy`,
        );
      }
      if (probe.empty === true && job.state === 'cleanup_eligible') {
        return `the NAS folder ${root} is empty (is the share mounted?)`;
      }
      return null;
    }
    const command = remoteRootProbe(transport, this.#commands);
    if (command === null) return null;
    const outcome = await this.#runTransport(command, signal, job);
    if (outcome.exitCode === 0 && outcome.spawnError === null) return null;
    const detail = describeOutcome(command, outcome);
    if (outcome.spawnError !== null) throw new JobFailure('transport_unavailable', detail);
    if (classifyFailure(transport, outcome.exitCode, outcome.stderr) === 'auth') throw new JobFailure('auth', detail);
    return `the NAS root ${remoteLocation(transport, '')} does not answer: ${detail}`;
  }

  // For a verified job: only a NAS folder overlapping the lab fails it; anything else just waits.
  async #nasRootProblemOrPostpone(step: JobStep): Promise<string | null> {
    try {
      return await this.#nasRootProblem(step);
    } catch (error) {
      if (error instanceof JobFailure && error.kind !== 'nas_root_invalid') return error.detail;
      throw error;
    }
  }

  async #push(step: JobStep): Promise<SyncJob> {
    const { job, transport, target, signal } = step;
    const now = this.#clock();
    const running = this.#store.transition(job.id, ['queued'], 'running', { last_attempt_at: formatUtcTimestamp(now) });
    const rootProblem = await this.#nasRootProblem({ ...step, job: running });
    if (rootProblem !== null) return this.#backOff(running, 'queued', rootProblem);
    this.#logger.info(`NAS sync: pushing ${job.run_path} to ${remoteLocation(transport, target)}`, { equipment: job.equipment_id });
    const pushed = await this.#pushFolder(
      running,
      transport,
      { source: job.run_path, target, bwlimitKiB: uploadLimitAt(transport.bandwidth, now), exclude: skippedFolders(job) },
      signal,
    );
    if (pushed === null) return this.#store.transition(running.id, ['running'], 'awaiting_verify');
    if (!(await exists(job.run_path))) throw new JobFailure('local_file_vanished', `${job.run_path} disappeared during the push`);
    if (pushed.kind !== 'network' && pushed.kind !== 'local_error') throw new JobFailure(pushed.kind, pushed.detail);
    return this.#backOff(running, 'queued', pushed.detail, pushed.kind);
  }

  /**
   * One push with the transport's program; null when it worked, else the failure's kind (S5). A
   * mounted share is written in-process when rsync is not installed (Windows, a bare workstation).
   */
  async #pushFolder(
    job: SyncJob,
    transport: NasTransport,
    request: PushRequest,
    signal: AbortSignal,
  ): Promise<{ kind: SyncFailureKind; detail: string } | null> {
    if (transport.type === 'local' && !(await this.#hasRsync())) {
      const destination = remoteLocation(transport, request.target);
      if (request.bwlimitKiB !== null && !this.#noRsyncNoticed) {
        this.#noRsyncNoticed = true;
        this.#logger.warn(`NAS sync: rsync is not installed, so the mounted share is written directly and no bandwidth limit applies`);
      }
      try {
        await runShareOp(
          { op: 'copy', source: request.source, destination, exclude: [...request.exclude] },
          { ...this.#shareOptions(), signal },
        );
        return null;
      } catch (error) {
        signal.throwIfAborted();
        if (!(error instanceof ShareOpError)) throw error;
        return { kind: shareFailureKind(error, 'copy'), detail: `copying into ${destination} failed: ${error.message}` };
      }
    }
    const command = pushCommand(transport, request, this.#commands);
    const outcome = await this.#runTransport(command, signal, job);
    if (outcome.exitCode === 0 && outcome.spawnError === null) return null;
    const kind = outcome.spawnError !== null ? 'transport_unavailable' : classifyFailure(transport, outcome.exitCode, outcome.stderr);
    return { kind, detail: describeOutcome(command, outcome) };
  }

  #shareOptions(): { node?: string; stallMs?: number; env?: NodeJS.ProcessEnv } {
    const { share, env } = this.#options;
    return {
      ...(share?.node !== undefined ? { node: share.node } : {}),
      ...(share?.stallMs !== undefined ? { stallMs: share.stallMs } : {}),
      ...(env !== undefined ? { env } : {}),
    };
  }

  // Whether the run and its copy on a mounted share are on one disk (the share side looked at by a
  // share process); null when that could not be found out.
  async #sameDevice(runPath: string, nasPath: string, signal: AbortSignal): Promise<boolean | null> {
    const local = await stat(runPath).catch(() => null);
    if (local === null) return null;
    try {
      const probe = await runShareOp({ op: 'probe', path: nasPath, checkEmpty: false }, { ...this.#shareOptions(), signal });
      return probe.dev === null ? null : probe.dev === local.dev;
    } catch (error) {
      signal.throwIfAborted();
      if (!(error instanceof ShareOpError)) throw error;
      return null;
    }
  }

  // Looked up once per worker: whether the rsync program is on the transports' PATH.
  #hasRsync(): Promise<boolean> {
    this.#rsyncLookup ??= findExecutable(this.#commands.rsync, { env: this.#options.env ?? process.env }).then((path) => path !== null);
    return this.#rsyncLookup;
  }

  /**
   * §7.1.5: a network (or local) failure of a push or its verification waits 30 s, 2 min, 8 min,
   * 30 min, 2 h; after `sync.retry_attempts` retries the job fails. Throws the failure then.
   */
  #backOff(job: SyncJob, to: SyncJobState, detail: string, kind: 'network' | 'local_error' = 'network'): SyncJob {
    const attempts = job.attempts + 1;
    const allowed = this.#options.getConfig()?.sync.retry_attempts ?? 0;
    if (attempts > allowed) {
      throw new JobFailure(kind, `${detail} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    }
    const waitSeconds = SYNC_BACKOFF_SECONDS[Math.min(attempts, SYNC_BACKOFF_SECONDS.length) - 1] as number;
    const next = formatUtcTimestamp(new Date(this.#clock().getTime() + waitSeconds * 1000));
    this.#logger.warn(`NAS sync of ${job.run_path} failed (${detail}); retry ${attempts} of ${allowed} at ${next}`, {
      equipment: job.equipment_id,
    });
    return this.#store.transition(job.id, [job.state], to, {
      attempts,
      next_attempt_at: next,
      last_error: kind,
      last_error_detail: detail,
    });
  }

  // A verified run is never failed for a NAS that does not answer or a hiccup here: the check waits.
  #postpone(job: SyncJob, detail: string): void {
    const next = formatUtcTimestamp(new Date(this.#clock().getTime() + TIMINGS.syncCleanupRetryMs));
    this.#store.transition(job.id, [job.state], job.state, { next_attempt_at: next });
    this.#logger.warn(`NAS sync: ${job.run_path} checked again at ${next}: ${detail}`, { equipment: job.equipment_id });
  }

  // §7.1.4 (S6): hash every local file, ask the NAS for its digests, compare; record the manifest and `synced`.
  async #verify(step: JobStep): Promise<void> {
    const { job, config, transport, target, signal } = step;
    const scanned = await this.#scanLocal(job, signal);
    const remote = await this.#remoteManifest(job, transport, target, signal, false);
    let digests: HashManifest;
    if ('failure' in remote) {
      // S6: a probe that cannot run takes the hash-mismatch path; auth fails; the network backs off.
      if (remote.failure.kind === 'auth') throw new JobFailure('auth', remote.failure.detail);
      if (remote.failure.kind === 'network' || remote.failure.kind === 'local_error') {
        this.#backOff(job, 'awaiting_verify', remote.failure.detail, remote.failure.kind);
        return;
      }
      digests = new Map();
    } else {
      digests = remote.digests;
    }
    const comparison = compareManifests(scanned.digests, digests);
    if (!comparison.ok) {
      const detail = mismatchDetail(comparison, digests.size);
      const mismatches = job.mismatches + 1;
      if (mismatches >= 2) throw new JobFailure('hash_mismatch', `${detail} (second time)`);
      // §7.1.5: a mismatch is pushed once more, then verified again.
      this.#logger.warn(`NAS sync of ${job.run_path}: ${detail}; pushing again`, { equipment: job.equipment_id });
      this.#store.transition(job.id, ['awaiting_verify'], 'queued', {
        mismatches,
        last_error: 'hash_mismatch',
        last_error_detail: detail,
        next_attempt_at: null,
      });
      return;
    }
    await writeFileAtomic(join(job.run_path, FILE_NAMES.cacheDir, FILE_NAMES.checksums), formatChecksums(scanned.digests));
    await this.#cache.setSyncStatus(job.run_path, 'synced');
    // DECISIONS.md: the metadata changed after the push (checksums, sync_status), so it goes again.
    const metadata = await this.#pushMetadata(job, transport, target, signal);
    if (metadata !== null) {
      this.#logger.warn(`NAS sync of ${job.run_path}: the data is verified, but its metadata did not reach the NAS again: ${metadata}`, {
        equipment: job.equipment_id,
      });
    }
    this.#passed(job, config);
    const size = scanned.digests.size;
    const skipped = scanned.unsupported.length;
    this.#logger.info(
      `NAS sync: ${job.run_path} verified on the NAS (${size} file${size === 1 ? '' : 's'}${skipped > 0 ? `; ${skipped} link(s) or special file(s) not carried: ${scanned.unsupported.slice(0, 3).join(', ')}` : ''})`,
      { equipment: job.equipment_id },
    );
  }

  async #scanLocal(job: SyncJob, signal: AbortSignal, includeCache = false): Promise<ScannedFolder> {
    try {
      return await scanFolder(job.run_path, { skip: skippedFolders(job), includeCache, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      if (!(await exists(job.run_path))) throw new JobFailure('local_file_vanished', `${job.run_path} disappeared before its verification`);
      throw error;
    }
  }

  // One more confirmed pass: verified with the count and time, attempts cleared; the next step is scheduled (§7.1.6).
  #passed(job: SyncJob, config: Config): SyncJob {
    const now = this.#clock();
    const passes = job.verify_passes + 1;
    return this.#store.transition(job.id, [job.state], 'verified', {
      verify_passes: passes,
      verified_at: formatUtcTimestamp(now),
      attempts: 0,
      next_attempt_at: this.#nextCheckAfterPass(job.level, passes, now, config),
    });
  }

  /**
   * When a verified job is looked at again: another verification pass an hour on while it has
   * fewer than `min_verify_passes`, then the cleanup check once `min_age_hours` have passed. A
   * project folder is never cleaned, so it is not looked at again.
   */
  #nextCheckAfterPass(level: SyncJob['level'], passes: number, now: Date, config: Config): string | null {
    if (level === 'project') return null;
    const settings = config.nas_cleanup;
    const wait = passes < settings.min_verify_passes ? TIMINGS.syncReverifyAfterMs : settings.min_age_hours * 3_600_000;
    return formatUtcTimestamp(new Date(now.getTime() + wait));
  }

  // A verified job came due: verify it once more (S8's re-verify audit), or check the cleanup interlocks.
  async #nextPass(step: JobStep): Promise<void> {
    const { job, config, equipment, transport, target, signal } = step;
    if (job.level === 'project') {
      this.#store.transition(job.id, ['verified'], 'verified', { next_attempt_at: null });
      return;
    }
    if (job.verify_passes < config.nas_cleanup.min_verify_passes) {
      // An unmounted share or a NAS that does not answer postpones the pass; it never fails a verified run.
      const rootProblem = await this.#nasRootProblemOrPostpone(step);
      if (rootProblem !== null) return this.#postpone(job, `the re-verification waits: ${rootProblem}`);
      const remote = await this.#remoteManifest(job, transport, target, signal, false);
      if ('failure' in remote) return this.#postpone(job, `the re-verification could not ask the NAS: ${remote.failure.detail}`);
      const scanned = await this.#scanLocal(job, signal);
      const comparison = compareManifests(scanned.digests, remote.digests);
      if (!comparison.ok) throw new JobFailure('hash_mismatch', `re-verification: ${mismatchDetail(comparison, remote.digests.size)}`);
      this.#passed(job, config);
      this.#logger.info(`NAS sync: ${job.run_path} verified again (pass ${job.verify_passes + 1})`, { equipment: job.equipment_id });
      return;
    }
    const hold = await this.#cleanupHold(job, config, equipment);
    if (hold !== null) {
      const retry = hold.reason === 'min_age' ? hold.until : new Date(this.#clock().getTime() + TIMINGS.syncCleanupRetryMs);
      this.#store.transition(job.id, ['verified'], 'verified', { next_attempt_at: formatUtcTimestamp(retry) });
      if (hold.reason !== 'min_age')
        this.#logger.info(`NAS sync: ${job.run_path} is kept locally: ${hold.detail}`, { equipment: job.equipment_id });
      return;
    }
    // S8: eligible whether or not cleanup is on; the reaper deletes only when it is.
    this.#store.transition(job.id, ['verified'], 'cleanup_eligible', { next_attempt_at: null });
    this.#logger.info(`NAS sync: ${job.run_path} may now be cleaned locally`, { equipment: job.equipment_id });
  }

  // Interlocks 1, 2 and 4, the pre-sync gate once more, and nothing a push cannot carry (links).
  async #cleanupHold(job: SyncJob, config: Config, equipment: EquipmentConfig): Promise<CleanupHold | null> {
    const creation = await readCreationJson(job.run_path);
    const hold = cleanupHold(job, creation.validation_overrides, config.nas_cleanup, this.#clock());
    if (hold !== null) return hold;
    const blocking = await this.#gate(config, job.run_path, equipment, creation.run_kind, job.level, creation.validation_overrides);
    if (blocking.length > 0) {
      return {
        reason: 'override_revoked',
        detail: `${blocking.length} hard finding(s) block it now (${blocking.map((f) => f.rule).join(', ')})`,
      };
    }
    const uncarried = await entriesNotCarried(job.run_path);
    if (uncarried.length > 0) {
      return {
        reason: 'not_carried',
        detail: `it holds ${uncarried.length} link(s) or special file(s) the NAS copy lacks (${uncarried.slice(0, 3).join(', ')})`,
      };
    }
    return null;
  }

  /**
   * The cleanup reaper (§7.1.6, §7.1.10), only with `nas_cleanup.enabled`: the interlocks hold
   * again, the NAS root is there and answers, a mounted share is another disk, the NAS listing is
   * taken first and the local files are hashed after it, and every local file is on the NAS. Then
   * exactly the files that were hashed, and are unchanged since, are removed; anything written
   * meanwhile stays and the run is pushed again. `retain_cache: false` first pushes and checks the
   * cache folder too. Every deletion is logged with what it removed and the verifications behind it.
   */
  async #reap(step: JobStep): Promise<void> {
    const { job, config, equipment, transport, target, signal } = step;
    if (job.level === 'project') {
      this.#store.transition(job.id, ['cleanup_eligible'], 'verified', { next_attempt_at: null });
      return;
    }
    const hold = await this.#cleanupHold(job, config, equipment);
    if (hold !== null) return this.#postpone(job, `not cleaned yet: ${hold.detail}`);
    const rootProblem = await this.#nasRootProblemOrPostpone(step);
    if (rootProblem !== null) return this.#postpone(job, `not cleaned yet: ${rootProblem}`);
    if (transport.type === 'local') {
      const sameDisk = await this.#sameDevice(job.run_path, remoteLocation(transport, target), signal);
      if (sameDisk === null)
        return this.#postpone(job, `not cleaned yet: could not check which disk ${remoteLocation(transport, target)} is on`);
      if (sameDisk)
        return this.#postpone(job, `not cleaned: the NAS copy ${remoteLocation(transport, target)} is on the same disk as the run`);
    }
    const retain = config.nas_cleanup.retain_cache;
    if (!retain) {
      // The cache folder goes too: it must be on the NAS as it is now (overrides, logs, manifest).
      const metadata = await this.#pushMetadata(job, transport, target, signal);
      if (metadata !== null) return this.#postpone(job, `not cleaned yet: the metadata did not reach the NAS: ${metadata}`);
    }
    const remote = await this.#remoteManifest(job, transport, target, signal, !retain);
    if ('failure' in remote) return this.#postpone(job, `not cleaned yet: ${remote.failure.detail}`);
    const scanned = await this.#scanLocal(job, signal, !retain);
    const comparison = compareManifests(scanned.digests, remote.digests);
    if (!comparison.ok) {
      throw new JobFailure(
        'hash_mismatch',
        `not cleaned: the local copy no longer matches the NAS (${mismatchDetail(comparison, remote.digests.size)}); nothing was deleted`,
      );
    }
    signal.throwIfAborted();
    const report = await removeVerifiedFiles(job.run_path, scanned, signal);
    if (report.kept.length > 0) {
      // Written while the cleanup ran: kept, and pushed like new data.
      this.#store.transition(job.id, ['cleanup_eligible'], 'queued', {
        verify_passes: 0,
        mismatches: 0,
        attempts: 0,
        next_attempt_at: null,
        last_error_detail: `${report.kept.length} file(s) changed during the cleanup and were kept: ${report.kept.slice(0, 3).join(', ')}`,
      });
      await this.#cache.setSyncStatus(job.run_path, 'pending').catch(() => undefined);
      this.#logger.warn(
        `NAS sync: ${job.run_path}: ${report.files} verified file(s) removed; ${report.kept.length} changed during the cleanup and were kept (${report.kept.slice(0, 3).join(', ')}); queued again`,
        { equipment: job.equipment_id },
      );
      return;
    }
    if (retain) await this.#cache.setSyncStatus(job.run_path, 'cleaned');
    this.#store.transition(job.id, ['cleanup_eligible'], 'cleaned', { next_attempt_at: null });
    const message = `Cleaned ${job.run_path}: ${report.files} file(s), ${report.bytes} bytes removed${retain ? ', .exlab-wizard kept' : ', folder removed'}; verified ${job.verify_passes} time(s), last at ${job.verified_at}, on ${remoteLocation(transport, target)}`;
    this.#logger.info(`NAS sync: ${message}`, { equipment: job.equipment_id });
    await appendEquipmentLog(
      equipmentDir(config, equipment.id) as string,
      { level: 'INFO', tags: { equip: equipment.id }, msg: message },
      { logger: this.#logger },
    );
  }

  // The NAS side's digests, or why they could not be had.
  async #remoteManifest(
    job: SyncJob,
    transport: NasTransport,
    target: string,
    signal: AbortSignal,
    includeCache: boolean,
  ): Promise<{ digests: HashManifest } | { failure: { kind: SyncFailureKind; detail: string } }> {
    const command = remoteHashCommand(transport, target, this.#commands);
    if (command === null) {
      // A mounted share: its files are hashed by a share process; a missing folder is an empty NAS side.
      const destination = remoteLocation(transport, target);
      try {
        const answer = await runShareOp(
          { op: 'hash', root: destination, skip: skippedFolders(job), includeCache },
          { ...this.#shareOptions(), signal },
        );
        return { digests: new Map(answer.digests) };
      } catch (error) {
        signal.throwIfAborted();
        if (!(error instanceof ShareOpError)) throw error;
        return { failure: { kind: shareFailureKind(error, 'hash'), detail: `hashing ${destination} failed: ${error.message}` } };
      }
    }
    const outcome = await this.#runTransport(command, signal, job);
    if (outcome.exitCode === 0 && outcome.spawnError === null) {
      // rclone names files relative to the folder; find names them by the absolute path it was given.
      return { digests: parseChecksums(outcome.stdout, transport.type === 'rsync_ssh' ? remotePath(transport, target) : '') };
    }
    const detail = describeOutcome(command, outcome);
    const kind = outcome.spawnError !== null ? 'transport_unavailable' : classifyFailure(transport, outcome.exitCode, outcome.stderr);
    return { failure: { kind, detail } };
  }

  // Pushes .exlab-wizard/ again; null when it worked, else what went wrong.
  async #pushMetadata(job: SyncJob, transport: NasTransport, target: string, signal: AbortSignal): Promise<string | null> {
    const request = {
      source: join(job.run_path, FILE_NAMES.cacheDir),
      target: `${target}/${FILE_NAMES.cacheDir}`,
      bwlimitKiB: uploadLimitAt(transport.bandwidth, this.#clock()),
      exclude: [],
    };
    const failed = await this.#pushFolder(job, transport, request, signal);
    return failed === null ? null : failed.detail;
  }

  async #runTransport(command: Command, signal: AbortSignal, job: SyncJob): Promise<CommandOutcome> {
    const outcome = await runCommand(command, {
      signal,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    signal.throwIfAborted();
    if (outcome.stderr.trim() !== '' && outcome.exitCode === 0) {
      this.#logger.debug(`${command.file}: ${outcome.stderr.trim().slice(0, 2000)}`, { equipment: job.equipment_id });
    }
    return outcome;
  }

  async #fail(job: SyncJob, kind: SyncFailureKind, detail: string): Promise<void> {
    if (job.state === 'failed') return;
    const wasVerified = job.state === 'verified' || job.state === 'cleanup_eligible';
    this.#store.transition(job.id, [job.state], 'failed', { last_error: kind, last_error_detail: detail, next_attempt_at: null });
    this.#logger.error(`NAS sync of ${job.run_path} failed (${kind}): ${detail}`, { equipment: job.equipment_id });
    // §7.1.5: a job that failed for good shows as `failed` in the run's own record too, unless its
    // data was verified on the NAS and the failure says nothing against that copy (G3: never un-sync).
    if (wasVerified && kind !== 'hash_mismatch') return;
    await this.#cache.setSyncStatus(job.run_path, 'failed').catch((error: unknown) => {
      if (kind !== 'local_file_vanished') this.#logger.warn(`could not record the failed sync in ${job.run_path}: ${describeError(error)}`);
    });
  }

  // A stopped transfer goes back to the queue as it was, for the next start (Q5: the queue persists).
  #putBack(job: SyncJob): void {
    try {
      const now = this.#store.get(job.id);
      if (now?.state === 'running') this.#store.transition(job.id, ['running'], 'queued');
    } catch (error) {
      this.#logger.warn(
        `NAS sync: could not put ${job.run_path} back in the queue: ${describeError(error)}; the next start queues it again`,
      );
    }
  }
}

/** What a step of the worker works on. */
interface JobStep {
  job: SyncJob;
  config: Config;
  equipment: EquipmentConfig;
  transport: NasTransport;
  target: string;
  signal: AbortSignal;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

// Entries of a run that are neither files nor folders (symbolic links, sockets, devices).
async function entriesNotCarried(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isFile() && !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function mismatchDetail(comparison: { missing: string[]; differing: string[] }, remoteFiles: number): string {
  if (remoteFiles === 0) return 'the NAS copy has no files';
  const parts: string[] = [];
  if (comparison.missing.length > 0)
    parts.push(`${comparison.missing.length} missing on the NAS (${comparison.missing.slice(0, 3).join(', ')})`);
  if (comparison.differing.length > 0) parts.push(`${comparison.differing.length} differ (${comparison.differing.slice(0, 3).join(', ')})`);
  return `hash mismatch: ${parts.join('; ')}`;
}
