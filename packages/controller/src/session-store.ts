import { randomUUID } from 'node:crypto';
import { TIMINGS, type Phase, type SessionState } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import {
  formatUtcTimestamp,
  type CreateSessionRequest,
  type CreationResult,
  type PendingInput,
  type SessionError,
  type SessionEvent,
  type SessionHandle,
} from '@exlab/core/schemas';
import { assertTransition, currentPhaseOf, isFinal, phaseFrameOf } from './session-states.js';

/** A creation session as the store keeps it (§4.4.7, requirements B7). */
export interface Session {
  /** uuid4 of the session. */
  id: string;
  /** What the session creates. */
  kind: 'project' | 'run';
  /** The request that opened it. */
  request: CreateSessionRequest | null;
  /** Current state (§4.7); changed only through {@link SessionStore.transition} and {@link SessionStore.close}. */
  state: SessionState;
  /** When the session was opened. */
  createdAt: Date;
  /** Last sign of a client (open, resume, GET, an open WebSocket). */
  lastHeartbeat: Date;
  /** The prompt a suspended session waits on; null otherwise. */
  pendingInput: PendingInput | null;
  /** Failure (failed) or the reason of an abort (aborted). */
  error: SessionError | null;
  /** Outcome, once done. */
  result: CreationResult | null;
  /** Every frame sent so far, in order (replayed to each new subscriber, requirements C5). */
  events: SessionEvent[];
}

/** How a session ended, as {@link SessionStore.close} records it. */
export type SessionOutcome =
  | { state: 'done'; result: CreationResult }
  | { state: 'failed'; error: SessionError; phase: Phase }
  | { state: 'aborted'; reason: SessionError };

/** The timer functions the GC loop uses; tests pass fake ones. */
export interface SessionTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Clock for timestamps, heartbeats and the GC. */
  clock?: () => Date;
  /** Timers for the GC loop. */
  timers?: SessionTimers;
}

/** Options of {@link SessionStore.startGc}. */
export interface SessionGcOptions {
  /** Aborts an abandoned session; the controller passes its cancel, so the pipeline wakes (requirements B8). */
  abandon: (sessionId: string) => void | Promise<void>;
  /** Pass interval (default 300 s, §4.4.7). */
  intervalMs?: number;
  /** Idle time after which a suspended session is abandoned (default 3600 s). */
  abandonAfterMs?: number;
}

interface Watch {
  session: Session;
  /** Called on every change of the session (a new frame, a new state). */
  listeners: Set<() => void>;
}

const realTimers: SessionTimers = {
  setInterval: (callback, ms) => {
    const handle = setInterval(callback, ms);
    // The GC must never keep a script that embeds the controller alive.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/**
 * In-memory sessions keyed by uuid4 (§4.4.7). Nothing is persisted (§4.8). Each session keeps its
 * frames, so every subscriber gets the whole history and then the live frames.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Watch>();
  readonly #clock: () => Date;
  readonly #timers: SessionTimers;

  constructor(options: SessionStoreOptions = {}) {
    this.#clock = options.clock ?? (() => new Date());
    this.#timers = options.timers ?? realTimers;
  }

  /** Opens a new session in `pending`. */
  open(kind: Session['kind'], request: CreateSessionRequest | null = null): Session {
    const now = this.#clock();
    const session: Session = {
      id: randomUUID(),
      kind,
      request,
      state: 'pending',
      createdAt: now,
      lastHeartbeat: now,
      pendingInput: null,
      error: null,
      result: null,
      events: [],
    };
    this.#sessions.set(session.id, { session, listeners: new Set() });
    return session;
  }

  /** The session with `id`, or undefined. */
  get(id: string): Session | undefined {
    return this.#sessions.get(id)?.session;
  }

  /**
   * Moves session `id` to `state` along a §4.7 edge (an illegal edge throws), and sends the frame
   * the new state has: `phase` for a state with a phase (again on every re-entry of plugin_pass),
   * `input_required` with `pendingInput` for input_required. Final states go through {@link close}.
   */
  transition(id: string, state: Exclude<SessionState, 'done' | 'failed' | 'aborted'>, pendingInput?: PendingInput): Session {
    const watch = this.#require(id);
    const { session } = watch;
    assertTransition(session.state, state);
    session.state = state;
    if (state === 'input_required') {
      if (pendingInput === undefined)
        throw new ExLabError('internal_error', 'A session enters input_required only with the prompt it waits on.');
      session.pendingInput = pendingInput;
      this.#append(watch, {
        kind: 'input_required',
        fields: pendingInput.fields,
        reason: pendingInput.reason,
        plugin: pendingInput.plugin,
      });
      return session;
    }
    session.pendingInput = null;
    const phase = phaseFrameOf(state);
    if (phase !== null) this.#append(watch, { kind: 'phase', phase, at: formatUtcTimestamp(this.#clock()) });
    else this.#notify(watch);
    return session;
  }

  /** Sends a `progress` or `warning` frame of session `id` (ignored once the session is final). */
  emit(id: string, event: Extract<SessionEvent, { kind: 'progress' | 'warning' }>): void {
    const watch = this.#require(id);
    if (isFinal(watch.session.state)) return;
    this.#append(watch, event);
  }

  /**
   * Ends session `id` (§4.4.7 `close`): moves it to the outcome's final state along a legal edge
   * and records the outcome, `result` for done and `error` for failed and aborted (the reason,
   * e.g. `cancelled` or `session_abandoned`). done and failed send their frame; aborted sends none
   * (§4.7.1). Subscribers end after this.
   */
  close(id: string, outcome: SessionOutcome): Session {
    const watch = this.#require(id);
    const { session } = watch;
    assertTransition(session.state, outcome.state);
    session.state = outcome.state;
    session.pendingInput = null;
    switch (outcome.state) {
      case 'done':
        session.result = outcome.result;
        this.#append(watch, { kind: 'done', result: outcome.result });
        break;
      case 'failed':
        session.error = outcome.error;
        this.#append(watch, { kind: 'failed', phase: outcome.phase, error: outcome.error });
        break;
      case 'aborted':
        session.error = outcome.reason;
        this.#notify(watch);
        break;
    }
    return session;
  }

  /** Records a heartbeat for `id`; unknown ids are ignored, so a stale client cannot crash anything. */
  heartbeat(id: string): void {
    const watch = this.#sessions.get(id);
    if (watch) watch.session.lastHeartbeat = this.#clock();
  }

  /** Ids of input_required sessions whose last heartbeat is more than `ageMs` ago (the GC's candidates). */
  abandonedOlderThan(ageMs: number): string[] {
    const cutoff = this.#clock().getTime() - ageMs;
    const ids: string[] = [];
    for (const { session } of this.#sessions.values()) {
      if (session.state === 'input_required' && session.lastHeartbeat.getTime() < cutoff) ids.push(session.id);
    }
    return ids;
  }

  /** Every session still held, oldest first (`GET /api/v1/operations`, requirements C6). */
  list(): Session[] {
    return [...this.#sessions.values()].map((watch) => watch.session).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Sessions not yet in a final state. */
  activeCount(): number {
    let count = 0;
    for (const { session } of this.#sessions.values()) if (!isFinal(session.state)) count += 1;
    return count;
  }

  /** Sessions waiting for operator input. */
  inputRequiredCount(): number {
    let count = 0;
    for (const { session } of this.#sessions.values()) if (session.state === 'input_required') count += 1;
    return count;
  }

  /** Resolves with the session once `predicate` holds for it (checked now and after every change). */
  when(id: string, predicate: (session: Session) => boolean): Promise<Session> {
    const watch = this.#require(id);
    if (predicate(watch.session)) return Promise.resolve(watch.session);
    return new Promise((resolve) => {
      const listener = (): void => {
        if (!predicate(watch.session)) return;
        watch.listeners.delete(listener);
        resolve(watch.session);
      };
      watch.listeners.add(listener);
    });
  }

  /**
   * Every frame of session `id`: first those sent so far, then live ones; the iterator ends once
   * the session is final and its frames are delivered. Each call is an independent subscriber.
   */
  subscribe(id: string): AsyncIterableIterator<SessionEvent> {
    const watch = this.#require(id);
    let index = 0;
    let wake: (() => void) | null = null;
    let stopped = false;
    const listener = (): void => {
      const resume = wake;
      wake = null;
      resume?.();
    };
    watch.listeners.add(listener);
    const stop = (): IteratorResult<SessionEvent> => {
      stopped = true;
      watch.listeners.delete(listener);
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<SessionEvent> = {
      next: async () => {
        for (;;) {
          if (stopped) return { done: true, value: undefined };
          const event = watch.session.events[index];
          if (event !== undefined) {
            index += 1;
            return { done: false, value: event };
          }
          if (isFinal(watch.session.state)) return stop();
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      return: async () => stop(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Starts the GC loop (requirements B8): every `intervalMs`, each input_required session without a
   * heartbeat for `abandonAfterMs` is handed to `abandon`. Returns the function that stops it.
   */
  startGc(options: SessionGcOptions): () => void {
    const intervalMs = options.intervalMs ?? TIMINGS.sessionGcIntervalMs;
    const abandonAfterMs = options.abandonAfterMs ?? TIMINGS.sessionAbandonAfterMs;
    const handle = this.#timers.setInterval(() => {
      for (const id of this.abandonedOlderThan(abandonAfterMs)) {
        // A failing abort is retried on the next pass; it must not stop the loop.
        void Promise.resolve()
          .then(() => options.abandon(id))
          .catch(() => undefined);
      }
    }, intervalMs);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.#timers.clearInterval(handle);
    };
  }

  #require(id: string): Watch {
    const watch = this.#sessions.get(id);
    if (!watch) throw new ExLabError('session_not_found', `No session with id "${id}".`, { field: 'session_id' });
    return watch;
  }

  #append(watch: Watch, event: SessionEvent): void {
    watch.session.events.push(event);
    this.#notify(watch);
  }

  #notify(watch: Watch): void {
    for (const listener of [...watch.listeners]) listener();
  }
}

/** The API snapshot of a session (requirements B7, C4). */
export function toSessionHandle(session: Session): SessionHandle {
  return {
    session_id: session.id,
    kind: session.kind,
    state: session.state,
    current_phase: currentPhaseOf(session.state),
    next_action: session.state === 'input_required' ? 'awaiting_input' : 'none',
    pending_input: session.pendingInput,
    error: session.error,
    result: session.result,
    created_at: formatUtcTimestamp(session.createdAt),
  };
}
