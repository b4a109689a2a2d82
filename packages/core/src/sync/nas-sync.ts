import { access, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
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
import { cleanupHold, removeRunData, type CleanupHold } from './cleanup.js';
import { copyFolder } from './folder-copy.js';
import {
  compareManifests,
  formatChecksums,
  localManifest,
  parseChecksums,
  type HashManifest,
  type ManifestComparison,
} from './manifest.js';
import { describeOutcome, runCommand, type CommandOutcome } from './run-command.js';
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

/**
 * The NAS sync module (§7.1): a durable queue of published folders, and one worker that pushes
 * them with the equipment's transport, verifies every file by SHA-256 on the NAS, records the
 * result in creation.json, retries network failures with back-off and fails for good on
 * authentication problems. It lives in the tray process; the queue survives restarts.
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
  #stopping = false;
  #pumping = false;
  #idleWaiters: (() => void)[] = [];
  #rsyncLookup: Promise<boolean> | undefined;

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
   * The worker does not run until {@link start}.
   */
  static async open(options: NasSyncOptions): Promise<NasSync> {
    const store = await SyncJobStore.open(options.queuePath);
    const sync = new NasSync(store, options);
    const requeued = store.recoverAfterRestart();
    if (requeued > 0) sync.#logger.info(`NAS sync: ${requeued} interrupted push${requeued === 1 ? '' : 'es'} queued again`);
    return sync;
  }

  /** Starts the worker: it takes the oldest due job whenever it is idle. */
  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#wake();
  }

  /**
   * Queues a published folder for the NAS (S3). With the gate on, a hard finding no active
   * override covers blocks it: creation.json gets `blocked_by_validation` and no job is made. A
   * folder whose job failed is queued afresh; any other existing job is left as it is.
   */
  async enqueue(request: EnqueueRequest, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const config = this.#config();
    const path = resolve(request.path);
    const creation = await readCreationJson(path);
    const equipment = this.#equipmentOf(config, path, request.equipmentId);
    if (equipment.sync_mode === 'stage') {
      return {
        state: 'not_synced',
        job: null,
        reason: `${equipment.id} hands its runs to the orchestrator's staging area (sync_mode: stage)`,
      };
    }
    const level = request.level ?? creation.level;
    if (options.gate !== false) {
      const blocking = await this.#gate(config, path, equipment, creation.run_kind, level, creation.validation_overrides);
      if (blocking.length > 0) {
        await this.#cache.setSyncStatus(path, 'blocked_by_validation');
        this.#logger.warn(`NAS sync of ${path} blocked by ${blocking.length} hard finding(s): ${blocking.map((f) => f.rule).join(', ')}`);
        return { state: 'blocked', job: null, blockingFindings: blocking };
      }
    }
    const now = formatUtcTimestamp(this.#clock());
    let job = this.#store.byPath(path);
    if (job === undefined) {
      job = this.#store.insert({ run_path: path, equipment_id: equipment.id, level, nas_path: creation.paths.nas, enqueued_at: now });
      this.#logger.info(`NAS sync: queued ${path}`, { equipment: equipment.id });
    } else if (job.state === 'failed') {
      job = this.#reset(job);
    } else {
      this.#wake();
      return { state: job.state, job, blockingFindings: [] };
    }
    if (creation.sync_status !== 'pending') await this.#cache.setSyncStatus(path, 'pending');
    this.#wake();
    return { state: job.state, job, blockingFindings: [] };
  }

  /** Queues a failed job again (the Problems tab's Retry on `nas_sync_failed`, §7.1.5). */
  async retry(jobId: string): Promise<SyncJob> {
    const job = this.#store.get(jobId);
    if (job === undefined) throw new ExLabError('sync_job_not_found', `No NAS sync job ${jobId}.`, { field: 'job_id' });
    if (job.state !== 'failed') {
      throw new ExLabError('sync_job_state_changed', `NAS sync job ${jobId} is ${job.state}; only a failed job can be retried.`, {
        field: 'job_id',
        details: { state: job.state },
      });
    }
    const reset = this.#reset(job);
    await this.#cache.setSyncStatus(job.run_path, 'pending').catch((error: unknown) => {
      this.#logger.warn(`could not mark ${job.run_path} pending again: ${describeError(error)}`);
    });
    this.#wake();
    return reset;
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
   * within `graceMs`, then its transfer is stopped and the job waits in the queue for the next
   * start. Closes the queue.
   */
  async stop(graceMs = 0): Promise<void> {
    this.#stopping = true;
    if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
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

  // D6: the equipment is named or found from the folder; never a fallback to another equipment's remote.
  #equipmentOf(config: Config, path: string, equipmentId: string | undefined): EquipmentConfig {
    if (equipmentId !== undefined) {
      const named = config.equipment.find((entry) => entry.id === equipmentId);
      if (named === undefined) {
        throw new ExLabError('equipment_not_configured', `Equipment "${equipmentId}" is not configured; nothing was queued for the NAS.`, {
          field: 'equipment_id',
          details: { allowed: config.equipment.map((entry) => entry.id) },
        });
      }
      return named;
    }
    const found = config.equipment.find((entry) => isInside(path, equipmentDir(config, entry.id) as string));
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

  #reset(job: SyncJob): SyncJob {
    // S3: attempts, back-off and the failure are cleared, so a later hash mismatch is a first one again.
    const reset = this.#store.transition(job.id, ['failed'], 'queued', {
      attempts: 0,
      next_attempt_at: null,
      last_error: null,
      last_error_detail: null,
    });
    this.#logger.info(`NAS sync: ${job.run_path} queued again after ${job.last_error ?? 'a failure'}`);
    return reset;
  }

  #isIdle(): boolean {
    return this.#current === null && (this.#stopping || !this.#started || this.#dueJob() === undefined);
  }

  #dueJob(): SyncJob | undefined {
    const config = this.#options.getConfig();
    if (config === null || !config.sync.enabled) return undefined;
    return this.#store.nextDue(formatUtcTimestamp(this.#clock()), { cleanup: config.nas_cleanup.enabled });
  }

  #wake(): void {
    if (!this.#started || this.#stopping || this.#pumping) return;
    void this.#pump();
  }

  // The worker (S4): one job at a time, oldest due first; sleeps until the next back-off ends.
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer);
      this.#wakeTimer = null;
      for (;;) {
        if (this.#stopping) return;
        const job = this.#dueJob();
        if (job === undefined) break;
        const abort = new AbortController();
        let finished = (): void => undefined;
        const done = new Promise<void>((resolveDone) => (finished = resolveDone));
        this.#current = { job, abort, done };
        try {
          await this.#run(job, abort.signal);
        } catch (error) {
          this.#logger.error(`NAS sync of ${job.run_path} stopped on an unexpected error: ${describeError(error)}`);
        } finally {
          this.#current = null;
          finished();
        }
      }
      this.#armTimer();
    } finally {
      this.#pumping = false;
      if (this.#isIdle()) for (const waiter of this.#idleWaiters.splice(0)) waiter();
    }
  }

  #armTimer(): void {
    if (this.#stopping) return;
    const next = this.#store.nextWakeAt({ cleanup: this.#options.getConfig()?.nas_cleanup.enabled === true });
    if (next === undefined) return;
    const wait = Math.max(0, Math.min(MAX_TIMER_MS, Date.parse(next) - this.#clock().getTime()));
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
      const target = this.#targetOf(config, equipment, job.run_path);
      if (!(await exists(job.run_path))) throw new JobFailure('local_file_vanished', `${job.run_path} no longer exists`);
      if (job.state === 'verified') {
        await this.#nextPass(job, config, equipment, target, signal);
        return;
      }
      if (job.state === 'cleanup_eligible') {
        await this.#reap(job, config, equipment, target, signal);
        return;
      }
      let current = job;
      if (current.state === 'queued') {
        current = await this.#push(current, equipment.transport, target, signal);
        if (current.state !== 'awaiting_verify') return;
      }
      await this.#verify(current, config, equipment.transport, target, signal);
    } catch (error) {
      if (signal.aborted) {
        this.#putBack(job);
        return;
      }
      if (error instanceof JobFailure) {
        await this.#fail(this.#store.get(job.id) ?? job, error.kind, error.detail);
        return;
      }
      // Something on this machine failed (a cache file, the disk): the job waits and tries again
      // like after a network failure, instead of being taken up again at once.
      const current = this.#store.get(job.id) ?? job;
      const to = current.state === 'running' ? 'queued' : current.state;
      try {
        this.#backOff(current, current.state, to, `unexpected error: ${describeError(error)}`, 'local_error');
      } catch (failure) {
        if (!(failure instanceof JobFailure)) throw failure;
        await this.#fail(current, failure.kind, failure.detail);
      }
    }
  }

  // The NAS mirrors the local layout under the transport's root (DECISIONS.md): <EQ>/<project>/Runs/<run>.
  #targetOf(config: Config, equipment: EquipmentConfig, path: string): string {
    const root = dirname(equipmentDir(config, equipment.id) as string);
    const target = relative(root, path);
    if (target === '' || target.startsWith('..') || resolve(root, target) !== path) {
      throw new JobFailure('equipment_not_configured', `${path} is not under ${equipment.id}'s folder ${join(root, equipment.id)}`);
    }
    return target.split(sep).join('/');
  }

  async #push(job: SyncJob, transport: NasTransport, target: string, signal: AbortSignal): Promise<SyncJob> {
    const now = this.#clock();
    const running = this.#store.transition(job.id, ['queued'], 'running', { last_attempt_at: formatUtcTimestamp(now) });
    this.#logger.info(`NAS sync: pushing ${job.run_path} to ${remoteLocation(transport, target)}`, { equipment: job.equipment_id });
    const pushed = await this.#pushFolder(
      job,
      transport,
      { source: job.run_path, target, bwlimitKiB: uploadLimitAt(transport.bandwidth, now), exclude: skippedFolders(job) },
      signal,
    );
    if (pushed === null) return this.#store.transition(running.id, ['running'], 'awaiting_verify');
    if (!(await exists(job.run_path))) throw new JobFailure('local_file_vanished', `${job.run_path} disappeared during the push`);
    if (pushed.kind !== 'network') throw new JobFailure(pushed.kind, pushed.detail);
    return this.#backOff(running, 'running', 'queued', pushed.detail);
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
      try {
        await copyFolder(request.source, destination, { exclude: request.exclude, signal });
        return null;
      } catch (error) {
        signal.throwIfAborted();
        const code = (error as NodeJS.ErrnoException).code;
        const detail = `copying into ${destination} failed: ${describeError(error)}`;
        return { kind: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'auth' : 'network', detail };
      }
    }
    const command = pushCommand(transport, request, this.#commands);
    const outcome = await this.#runTransport(command, signal, job);
    if (outcome.exitCode === 0 && outcome.spawnError === null) return null;
    const kind = outcome.spawnError !== null ? 'transport_unavailable' : classifyFailure(transport, outcome.exitCode, outcome.stderr);
    return { kind, detail: describeOutcome(command, outcome) };
  }

  // Looked up once per worker: whether the rsync program is on the transports' PATH.
  #hasRsync(): Promise<boolean> {
    this.#rsyncLookup ??= findExecutable(this.#commands.rsync, { env: this.#options.env ?? process.env }).then((path) => path !== null);
    return this.#rsyncLookup;
  }

  // §7.1.5: a network failure waits 30 s, 2 min, 8 min, 30 min, 2 h; after sync.retry_attempts retries it fails.
  #backOff(job: SyncJob, from: SyncJobState, to: SyncJobState, detail: string, kind: 'network' | 'local_error' = 'network'): SyncJob {
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
    return this.#store.transition(job.id, [from], to, {
      attempts,
      next_attempt_at: next,
      last_error: kind,
      last_error_detail: detail,
    });
  }

  // §7.1.4 (S6): hash every local file, ask the NAS for its digests, compare; record the manifest and `synced`.
  async #verify(job: SyncJob, config: Config, transport: NasTransport, target: string, signal: AbortSignal): Promise<void> {
    const checked = await this.#compareWithNas(job, transport, target, signal);
    if (checked === 'retry') return;
    const { local, comparison, remoteFiles } = checked;
    if (!comparison.ok) {
      const detail = mismatchDetail(comparison, remoteFiles);
      if (job.last_error === 'hash_mismatch') throw new JobFailure('hash_mismatch', `${detail} (second time)`);
      // §7.1.5: a mismatch is pushed once more, then verified again.
      this.#logger.warn(`NAS sync of ${job.run_path}: ${detail}; pushing again`, { equipment: job.equipment_id });
      this.#store.transition(job.id, ['awaiting_verify'], 'queued', {
        last_error: 'hash_mismatch',
        last_error_detail: detail,
        next_attempt_at: null,
      });
      return;
    }
    await writeFileAtomic(join(job.run_path, FILE_NAMES.cacheDir, FILE_NAMES.checksums), formatChecksums(local));
    await this.#cache.setSyncStatus(job.run_path, 'synced');
    // DECISIONS.md: the metadata changed after the push (checksums, sync_status), so it goes again.
    await this.#pushMetadata(job, transport, target, signal);
    this.#passed(job, ['awaiting_verify'], config);
    this.#logger.info(`NAS sync: ${job.run_path} verified on the NAS (${local.size} file${local.size === 1 ? '' : 's'})`, {
      equipment: job.equipment_id,
    });
  }

  // Hashes the local files and asks the NAS for its digests; 'retry' when the NAS could not answer and the job backs off.
  async #compareWithNas(
    job: SyncJob,
    transport: NasTransport,
    target: string,
    signal: AbortSignal,
  ): Promise<{ local: HashManifest; comparison: ManifestComparison; remoteFiles: number } | 'retry'> {
    let local: HashManifest;
    try {
      local = await localManifest(job.run_path, skippedFolders(job));
    } catch (error) {
      if (!(await exists(job.run_path))) throw new JobFailure('local_file_vanished', `${job.run_path} disappeared before its verification`);
      throw error;
    }
    signal.throwIfAborted();
    const remote = await this.#remoteManifest(job, transport, target, signal);
    if (remote === 'retry') return 'retry';
    return { local, comparison: compareManifests(local, remote), remoteFiles: remote.size };
  }

  // One more confirmed pass: verified with the count and time; the next step is scheduled (§7.1.6).
  #passed(job: SyncJob, from: readonly SyncJobState[], config: Config): SyncJob {
    const now = this.#clock();
    const passes = job.verify_passes + 1;
    return this.#store.transition(job.id, from, 'verified', {
      verify_passes: passes,
      verified_at: formatUtcTimestamp(now),
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
  async #nextPass(job: SyncJob, config: Config, equipment: EquipmentConfig, target: string, signal: AbortSignal): Promise<void> {
    const transport = equipment.transport as NasTransport;
    if (job.verify_passes < config.nas_cleanup.min_verify_passes) {
      const checked = await this.#compareWithNas(job, transport, target, signal);
      if (checked === 'retry') return;
      if (!checked.comparison.ok) {
        throw new JobFailure('hash_mismatch', `re-verification: ${mismatchDetail(checked.comparison, checked.remoteFiles)}`);
      }
      this.#passed(job, ['verified'], config);
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

  // Interlocks 1, 2 and 4, plus the pre-sync gate once more: a run that is blocked now is not deleted.
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
    return null;
  }

  /**
   * The cleanup reaper (§7.1.6, §7.1.10): with `nas_cleanup.enabled`, the interlocks hold again,
   * the NAS root answers, and a last verification finds every local file on the NAS, the local
   * data goes (the cache folder stays with `retain_cache`). Every deletion is logged with what it
   * removed and the verifications that allowed it.
   */
  async #reap(job: SyncJob, config: Config, equipment: EquipmentConfig, target: string, signal: AbortSignal): Promise<void> {
    const transport = equipment.transport as NasTransport;
    const later = (why: string): void => {
      this.#store.transition(job.id, ['cleanup_eligible'], 'cleanup_eligible', {
        next_attempt_at: formatUtcTimestamp(new Date(this.#clock().getTime() + TIMINGS.syncCleanupRetryMs)),
      });
      this.#logger.warn(`NAS sync: ${job.run_path} not cleaned yet: ${why}`, { equipment: job.equipment_id });
    };
    const hold = await this.#cleanupHold(job, config, equipment);
    if (hold !== null) return later(hold.detail);
    if (!(await this.#nasRootAnswers(transport, signal, job)))
      return later(`the NAS root ${remoteLocation(transport, '')} does not answer`);
    const checked = await this.#compareWithNas(job, transport, target, signal);
    if (checked === 'retry') return;
    if (!checked.comparison.ok) {
      // Something changed here after the verified push: deleting would lose it.
      throw new JobFailure(
        'hash_mismatch',
        `not cleaned: the local copy no longer matches the NAS (${mismatchDetail(checked.comparison, checked.remoteFiles)}); nothing was deleted`,
      );
    }
    signal.throwIfAborted();
    const retain = config.nas_cleanup.retain_cache;
    if (retain) await this.#cache.setSyncStatus(job.run_path, 'cleaned');
    const report = await removeRunData(job.run_path, retain);
    this.#store.transition(job.id, ['cleanup_eligible'], 'cleaned', { next_attempt_at: null });
    const message = `Cleaned ${job.run_path}: ${report.files} file(s), ${report.bytes} bytes removed${retain ? ', .exlab-wizard kept' : ''}; verified ${job.verify_passes} time(s), last at ${job.verified_at}, on ${remoteLocation(transport, target)}`;
    this.#logger.info(`NAS sync: ${message}`, { equipment: job.equipment_id });
    await appendEquipmentLog(
      equipmentDir(config, equipment.id) as string,
      { level: 'INFO', tags: { equip: equipment.id }, msg: message },
      { logger: this.#logger },
    );
  }

  async #nasRootAnswers(transport: NasTransport, signal: AbortSignal, job: SyncJob): Promise<boolean> {
    const command = remoteRootProbe(transport, this.#commands);
    if (command === null) return isDirectory(remoteRoot(transport));
    const outcome = await this.#runTransport(command, signal, job);
    return outcome.exitCode === 0 && outcome.spawnError === null;
  }

  async #remoteManifest(job: SyncJob, transport: NasTransport, target: string, signal: AbortSignal): Promise<HashManifest | 'retry'> {
    const command = remoteHashCommand(transport, target, this.#commands);
    if (command === null) {
      // A mounted share: its files are hashed here; a missing folder is an empty NAS side.
      const destination = remoteLocation(transport, target);
      return (await exists(destination)) ? localManifest(destination, skippedFolders(job)) : new Map();
    }
    const outcome = await this.#runTransport(command, signal, job);
    if (outcome.exitCode === 0 && outcome.spawnError === null) {
      // rclone names files relative to the folder; find names them by the absolute path it was given.
      return parseChecksums(outcome.stdout, transport.type === 'rsync_ssh' ? remotePath(transport, target) : '');
    }
    const detail = describeOutcome(command, outcome);
    // S6: a probe that cannot run takes the hash-mismatch path; auth fails; anything else backs off.
    if (outcome.spawnError !== null) return new Map();
    const kind = classifyFailure(transport, outcome.exitCode, outcome.stderr);
    if (kind === 'auth') throw new JobFailure('auth', detail);
    if (kind === 'hash_mismatch') return new Map();
    this.#backOff(job, 'awaiting_verify', 'awaiting_verify', detail);
    return 'retry';
  }

  async #pushMetadata(job: SyncJob, transport: NasTransport, target: string, signal: AbortSignal): Promise<void> {
    const request = {
      source: join(job.run_path, FILE_NAMES.cacheDir),
      target: `${target}/${FILE_NAMES.cacheDir}`,
      bwlimitKiB: uploadLimitAt(transport.bandwidth, this.#clock()),
      exclude: [],
    };
    const failed = await this.#pushFolder(job, transport, request, signal);
    if (failed !== null) {
      this.#logger.warn(
        `NAS sync of ${job.run_path}: the data is verified, but its metadata did not reach the NAS again: ${failed.detail}`,
        {
          equipment: job.equipment_id,
        },
      );
    }
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
    this.#store.transition(job.id, [job.state], 'failed', { last_error: kind, last_error_detail: detail, next_attempt_at: null });
    this.#logger.error(`NAS sync of ${job.run_path} failed (${kind}): ${detail}`, { equipment: job.equipment_id });
    // §7.1.5: a job that failed for good shows as `failed` in the run's own record too.
    await this.#cache.setSyncStatus(job.run_path, 'failed').catch((error: unknown) => {
      if (kind !== 'local_file_vanished') this.#logger.warn(`could not record the failed sync in ${job.run_path}: ${describeError(error)}`);
    });
  }

  // A stopped transfer goes back to the queue as it was, for the next start (Q5: the queue persists).
  #putBack(job: SyncJob): void {
    const now = this.#store.get(job.id);
    if (now?.state === 'running') this.#store.transition(job.id, ['running'], 'queued');
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && resolve(folder, rel) === path;
}

function mismatchDetail(comparison: { missing: string[]; differing: string[] }, remoteFiles: number): string {
  if (remoteFiles === 0) return 'the NAS copy has no files';
  const parts: string[] = [];
  if (comparison.missing.length > 0)
    parts.push(`${comparison.missing.length} missing on the NAS (${comparison.missing.slice(0, 3).join(', ')})`);
  if (comparison.differing.length > 0) parts.push(`${comparison.differing.length} differ (${comparison.differing.slice(0, 3).join(', ')})`);
  return `hash mismatch: ${parts.join('; ')}`;
}
