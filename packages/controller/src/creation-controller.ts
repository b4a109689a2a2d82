import { hostname as osHostname, userInfo } from 'node:os';
import { createActor, type Actor } from 'xstate';
import type { Phase } from '@exlab/core/constants';
import { ExLabError, describeError } from '@exlab/core/errors';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import type {
  Config,
  CreateSessionRequest,
  ProjectCreateRequestInput,
  RunCreateRequestInput,
  SessionError,
  SessionEvent,
  SessionHandle,
} from '@exlab/core/schemas';
import { CoalescedWrites } from './coalesced-writes.js';
import { CreationJob } from './creation-job.js';
import { planCreation } from './creation-plan.js';
import { parseCreationRequest, type CreationRequestInput } from './request.js';
import { sweepInterruptedCreations, type InterruptedCreation } from './crash-recovery.js';
import { defaultPorts } from './default-ports.js';
import type { CreationPorts, PluginHostStatus, SyncQueueStats } from './ports.js';
import { publicStateOf, sessionMachine, type SessionSnapshot, type SessionSteps } from './session-machine.js';
import { currentPhaseOf, isFinal } from './session-states.js';
import { SessionStore, toSessionHandle, type SessionTimers } from './session-store.js';

/** Messages the controller reports about a creation, for the app and equipment logs. */
export interface CreationEvents {
  /** A creation finished and its folder is published. */
  created?(info: {
    equipmentDirectory: string;
    equipmentId: string;
    project: string;
    /** `experimental`, `test`, or `project` for a project folder. */
    runKind: string;
    path: string;
    template: string;
    version: string;
  }): void;
  /** A creation succeeded but a best-effort record after publishing could not be written. */
  warning?(info: { equipmentId: string; project: string; message: string }): void;
  /** A creation failed after the gate. */
  failed?(info: { equipmentId: string; project: string; error: unknown }): void;
}

/** Options of {@link CreationController}. */
export interface CreationControllerOptions {
  /** The current configuration (re-read on every request, so config changes apply live). */
  getConfig: () => Config | null;
  /** Implementations of the ports; each one not given is the real one from `@exlab/core`. */
  ports?: Partial<CreationPorts>;
  /** Clock for run dates, timestamps, heartbeats and the GC. */
  clock?: () => Date;
  /** Timers of the session GC loop. */
  timers?: SessionTimers;
  /** Start the session GC loop (default true). */
  gc?: boolean;
  /** Sweep the temporary folders of interrupted creations when the controller starts (default true, §4.8). */
  sweepOnStart?: boolean;
  /** Where the default plugin host writes plugin stderr logs (default: the OS log folder). */
  logDir?: string;
  /** Logger for failures, sweeps and warnings. */
  logger?: Logger;
  /** Hostname recorded in creation.json. */
  hostname?: string;
  /** OS user recorded as `created_by`. */
  osUser?: string;
  /** Observer of creation outcomes. */
  events?: CreationEvents;
}

/** Options of {@link CreationController.cancel}. */
export interface CancelOptions {
  /** true deletes the partial tree; false (default) moves it into place as an orphan (§4.6.1). */
  discardFiles?: boolean;
}

interface Entry {
  job: CreationJob;
  actor: Actor<typeof sessionMachine>;
  /** Resolves once the session is final and cleaned up. */
  settled: Promise<void>;
}

const CANCELLED: SessionError = { code: 'cancelled', message: 'The session was cancelled.' };
const ABANDONED: SessionError = {
  code: 'session_abandoned',
  message: 'The session waited for operator input for over an hour without a client and was aborted; its files were kept.',
};
const SHUTTING_DOWN: SessionError = {
  code: 'shutting_down',
  message: 'ExLab-Wizard shut down while the session ran; its files were kept.',
};

/**
 * Drives creation sessions through the §4.7 state machine (§4.4.1): the gate, the render into a
 * hidden folder, the plugin pass with operator prompts, the cache files, the post-creation
 * validation, the sync decision and the publish. Every session's frames can be replayed and
 * followed with {@link subscribe}.
 */
export class CreationController {
  /** The sessions this controller opened. */
  readonly sessions: SessionStore;
  readonly #options: CreationControllerOptions;
  readonly #clock: () => Date;
  readonly #logger: Logger;
  readonly #ports: CreationPorts;
  readonly #entries = new Map<string, Entry>();
  /** Destinations of the creations in flight, so a second one is refused before it renders. */
  readonly #destinations = new Set<string>();
  readonly #equipmentWrites = new CoalescedWrites();
  readonly #stopGc: () => void;
  readonly #recovery: Promise<InterruptedCreation[]>;
  #swept: InterruptedCreation[] = [];
  #closed = false;

  constructor(options: CreationControllerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
    this.#logger = options.logger ?? createNullLogger();
    this.#ports = {
      ...defaultPorts({ getConfig: options.getConfig, clock: this.#clock, logger: this.#logger, logDir: options.logDir }),
      ...options.ports,
    };
    this.sessions = new SessionStore({ clock: this.#clock, ...(options.timers ? { timers: options.timers } : {}) });
    this.#stopGc =
      options.gc === false
        ? () => undefined
        : this.sessions.startGc({ abandon: (id) => this.#abort(id, { discardFiles: false, reason: ABANDONED }) });
    const config = options.sweepOnStart === false ? null : options.getConfig();
    this.#recovery = (config === null ? Promise.resolve([]) : sweepInterruptedCreations(config, { logger: this.#logger })).then(
      (swept) => (this.#swept = swept),
      (error: unknown) => {
        this.#logger.error(`sweeping interrupted creations failed: ${describeError(error)}`);
        return [];
      },
    );
  }

  /** Temporary folders of interrupted creations removed at start (§4.8), once the sweep finished; for health. */
  get interruptedCreations(): readonly InterruptedCreation[] {
    return this.#swept;
  }

  /**
   * The plugin registry and live workers, for health; null when the plugin port cannot tell. At
   * once when the port already knows it (health polls then need no promise), else a promise.
   */
  pluginHostStatus(): PluginHostStatus | null | Promise<PluginHostStatus | null> {
    const status = this.#ports.plugins.status?.();
    if (status === undefined) return null;
    return status instanceof Promise ? status.then((known) => known ?? null) : status;
  }

  /** The NAS sync queue's size, for health; null when no sync port is wired or it cannot tell. */
  syncQueueStats(): SyncQueueStats | null {
    return this.#ports.sync?.stats?.() ?? null;
  }

  /** Resolves with the start-up sweep's result (§4.8). */
  recovery(): Promise<InterruptedCreation[]> {
    return this.#recovery;
  }

  /**
   * Opens a run session. Resolves once the gate has run: `failed` with the gate's error, or
   * `rendering` with the rest of the pipeline running in the background (requirements B3).
   */
  createRun(request: RunCreateRequestInput): Promise<SessionHandle> {
    return this.#create(request);
  }

  /** Opens a project session; resolves after the gate, as {@link createRun}. */
  createProject(request: ProjectCreateRequestInput): Promise<SessionHandle> {
    return this.#create(request);
  }

  /** Opens a session for either kind of request (the `POST /api/v1/sessions` body). */
  create(request: CreationRequestInput): Promise<SessionHandle> {
    return this.#create(request);
  }

  /**
   * Answers the prompt a session waits on (requirements B5): the answers go to the suspended
   * plugin pass, the session returns to plugin_pass, and the heartbeat is refreshed.
   */
  async resume(id: string, extraInputs: Record<string, unknown>): Promise<SessionHandle> {
    const { session, entry } = this.#require(id);
    if (isFinal(session.state)) {
      throw new ExLabError('session_already_completed', `Session ${id} has already ended ${session.state}.`, { field: 'session_id' });
    }
    if (session.state !== 'input_required') {
      throw new ExLabError('session_not_awaiting_input', `Session ${id} is ${session.state}, not waiting for input.`, {
        field: 'session_id',
        details: { state: session.state },
      });
    }
    this.sessions.heartbeat(id);
    entry.actor.send({ type: 'RESUME', extraInputs });
    return toSessionHandle(session);
  }

  /**
   * Cancels a session (requirements B6): it always ends `aborted`, the plugin worker is killed and
   * a waiting prompt woken. `discardFiles: true` removes the partial tree; otherwise it is moved
   * into place as an orphan. Resolves once that is done. A session already final is left as it is.
   */
  async cancel(id: string, options: CancelOptions = {}): Promise<SessionHandle> {
    this.#require(id);
    await this.#abort(id, { discardFiles: options.discardFiles ?? false, reason: CANCELLED });
    return this.#handle(id);
  }

  /** The snapshot of session `id`, or undefined; reading it counts as a heartbeat (requirements B8). */
  status(id: string): SessionHandle | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    this.sessions.heartbeat(id);
    return toSessionHandle(session);
  }

  /**
   * The frames of session `id` (§4.6.2): every frame so far (a pending prompt included), then the
   * live ones, ending after done, failed or aborted. Each call is its own subscriber. Throws
   * `session_not_found` for an unknown id.
   */
  subscribe(id: string): AsyncIterableIterator<SessionEvent> {
    const iterator = this.sessions.subscribe(id);
    this.sessions.heartbeat(id);
    return iterator;
  }

  /** Resolves with the final snapshot of session `id` once it is done, failed or aborted and cleaned up. */
  async settled(id: string): Promise<SessionHandle> {
    const { entry } = this.#require(id);
    await entry.settled;
    return this.#handle(id);
  }

  /**
   * Stops the GC and ends every session still running as aborted with its files kept (requirements
   * B9: partial trees become orphans), then shuts the plugin host down. New sessions are refused.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopGc();
    await Promise.all([...this.#entries.keys()].map((id) => this.#abort(id, { discardFiles: false, reason: SHUTTING_DOWN })));
    await this.#ports.plugins.shutdown?.();
  }

  async #create(input: CreationRequestInput): Promise<SessionHandle> {
    if (this.#closed) throw new ExLabError('shutting_down', 'The creation controller is closed and takes no new sessions.');
    const request = parseCreationRequest(input);
    const config = this.#options.getConfig();
    if (config === null) throw new ExLabError('setup_incomplete', 'No configuration is loaded; finish setup first.');
    // A creation must not start while the sweep could still take its temporary folder for a leftover.
    await this.#recovery;
    const session = this.sessions.open(request.kind, request);
    const job = new CreationJob(session.id, {
      ports: this.#ports,
      logger: this.#logger,
      createdBy: this.#options.osUser ?? safeUserName(),
      hostname: this.#options.hostname ?? osHostname(),
      emit: (event) => this.sessions.emit(session.id, event),
      equipmentWrites: this.#equipmentWrites,
    });
    const actor = createActor(sessionMachine, { input: { steps: this.#stepsFor(job, config, request) } });
    let markSettled = (): void => undefined;
    const settled = new Promise<void>((resolve) => (markSettled = resolve));
    this.#entries.set(session.id, { job, actor, settled });
    let finalizing = false;
    actor.subscribe({
      next: (snapshot) => {
        const state = publicStateOf(snapshot);
        if (!isFinal(state)) {
          this.#follow(session.id, snapshot);
          return;
        }
        if (finalizing) return;
        finalizing = true;
        void this.#finalize(session.id, job, snapshot).finally(markSettled);
      },
      error: (error) => this.#logger.error(`session ${session.id} machine failed: ${describeError(error)}`),
    });
    actor.start();
    actor.send({ type: 'START' });
    await this.sessions.when(session.id, (s) => s.state !== 'pending' && s.state !== 'validating');
    return toSessionHandle(session);
  }

  #stepsFor(job: CreationJob, config: Config, request: CreateSessionRequest): SessionSteps {
    return {
      validate: () =>
        job.track(async () => {
          const plan = await planCreation(request, {
            config,
            ports: this.#ports,
            clock: this.#clock,
            // Checked and taken in one turn of the event loop, so two sessions cannot both pass.
            claim: (destination) => !this.#destinations.has(destination) && Boolean(this.#destinations.add(destination)),
            release: (destination) => this.#destinations.delete(destination),
          });
          job.plan = plan;
        }),
      render: (signal) => job.track(() => job.render(signal)),
      runPlugins: (signal, ask) => job.track(() => job.runPlugins(signal, ask)),
      writeCache: (signal) => job.track(() => job.writeCache(signal)),
      postValidate: (signal) => job.track(() => job.postValidate(signal)),
      queueSync: (signal) => job.track(() => job.queueSync(signal)),
    };
  }

  /** Mirrors a non-final machine state into the store (which checks the edge and sends the frame). */
  #follow(id: string, snapshot: SessionSnapshot): void {
    const session = this.sessions.get(id);
    const state = publicStateOf(snapshot);
    if (!session || session.state === state || isFinal(state)) return;
    try {
      if (state === 'input_required') {
        const prompt = snapshot.context.prompt;
        if (prompt === null) throw new ExLabError('internal_error', 'The plugin pass suspended without a prompt.');
        this.sessions.transition(id, state, prompt);
      } else {
        this.sessions.transition(id, state);
      }
    } catch (error) {
      this.#logger.error(`session ${id}: ${describeError(error)}`);
      const actor = this.#entries.get(id)?.actor;
      if (actor?.getSnapshot().status === 'active')
        actor.send({ type: 'FAIL', error: { code: 'internal_error', message: describeError(error) } });
    }
  }

  /** Once the machine is final: wait for the running step, clean up as the outcome says, then close the session. */
  async #finalize(id: string, job: CreationJob, snapshot: SessionSnapshot): Promise<void> {
    const state = publicStateOf(snapshot);
    // A step left running (a gate still planning when the session was cancelled) may yet set the plan.
    await job.idle();
    const plan = job.plan;
    const who = plan ? { equipmentId: plan.equipment.id, project: plan.projectName } : null;
    try {
      if (state === 'done' && job.result !== null) {
        this.sessions.close(id, { state: 'done', result: job.result });
        if (plan && who) {
          const created = {
            equipmentDirectory: plan.equipmentDirectory,
            equipmentId: plan.equipment.id,
            project: plan.projectName,
            runKind: plan.runKind ?? 'project',
            path: plan.destination,
            template: plan.manifest.name,
            version: plan.manifest.version,
          };
          notify(() => this.#options.events?.created?.(created));
          for (const message of job.warnings) notify(() => this.#options.events?.warning?.({ ...who, message }));
        }
      } else if (state === 'aborted') {
        const cancel = snapshot.context.cancel ?? { discardFiles: false, reason: CANCELLED };
        const kept = cancel.discardFiles ? (await job.discard(), null) : await job.leaveOrphan();
        this.#logger.info(`session ${id} aborted (${cancel.reason.code})${kept ? `; the partial tree is kept at ${kept}` : ''}`);
        this.sessions.close(id, { state: 'aborted', reason: cancel.reason });
      } else {
        const error = snapshot.context.error ?? { code: 'internal_error', message: 'The session ended without a result.' };
        await job.discard();
        // DECISIONS.md: a failed session publishes nothing and its failure is logged with the reason.
        if (plan) this.#logger.warn(`creation of ${plan.destination} failed: ${error.code}: ${error.message}`, { session: id });
        this.sessions.close(id, { state: 'failed', error, phase: this.#failedPhase(id) });
        if (who) notify(() => this.#options.events?.failed?.({ ...who, error }));
      }
    } catch (error) {
      this.#logger.error(`session ${id}: cleanup failed: ${describeError(error)}`);
      const session = this.sessions.get(id);
      if (session && !isFinal(session.state)) {
        this.sessions.close(id, {
          state: 'failed',
          error: { code: 'internal_error', message: describeError(error) },
          phase: this.#failedPhase(id),
        });
      }
    } finally {
      if (plan) this.#destinations.delete(plan.destination);
    }
  }

  /** The phase a failed frame names: where the session was (a suspended one was running plugins). */
  #failedPhase(id: string): Phase {
    const session = this.sessions.get(id);
    return (session && currentPhaseOf(session.state)) ?? 'validating_inputs';
  }

  async #abort(id: string, cancel: { discardFiles: boolean; reason: SessionError }): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    // A machine already final ignores the event; its cleanup may still be running, so wait for it either way.
    if (entry.actor.getSnapshot().status === 'active') {
      entry.actor.send({ type: 'CANCEL', discardFiles: cancel.discardFiles, reason: cancel.reason });
    }
    await entry.settled;
  }

  #require(id: string): { session: NonNullable<ReturnType<SessionStore['get']>>; entry: Entry } {
    const session = this.sessions.get(id);
    const entry = this.#entries.get(id);
    if (!session || !entry) throw new ExLabError('session_not_found', `No session with id "${id}".`, { field: 'session_id' });
    return { session, entry };
  }

  #handle(id: string): SessionHandle {
    return toSessionHandle(this.#require(id).session);
  }
}

// Observers write logs; a throwing observer must not change a session's outcome.
function notify(call: () => void): void {
  try {
    call();
  } catch {
    // Nothing to report to: the observer is the reporting channel.
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
