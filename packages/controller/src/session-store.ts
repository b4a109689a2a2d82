import { randomUUID } from 'node:crypto';
import { FINAL_SESSION_STATES, PHASE_OF_STATE, type SessionState } from '@exlab/core/constants';
import { formatUtcTimestamp, type CreationResult, type SessionError, type SessionHandle } from '@exlab/core/schemas';

/** A creation session as the store keeps it. */
export interface Session {
  /** uuid4 of the session. */
  id: string;
  /** What the session creates. */
  kind: 'project' | 'run';
  /** Current state (§4.7). */
  state: SessionState;
  /** When the session was opened. */
  createdAt: Date;
  /** Last sign of a client (open, GET, WebSocket). */
  lastHeartbeat: Date;
  /** Failure, once failed. */
  error: SessionError | null;
  /** Outcome, once done. */
  result: CreationResult | null;
}

/** In-memory sessions keyed by id (§4.4.7). The XState machine and GC arrive with the controller step. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: () => Date;

  constructor(clock: () => Date = () => new Date()) {
    this.#clock = clock;
  }

  /** Opens a new session in `pending`. */
  open(kind: Session['kind']): Session {
    const now = this.#clock();
    const session: Session = { id: randomUUID(), kind, state: 'pending', createdAt: now, lastHeartbeat: now, error: null, result: null };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The session with `id`, or undefined. */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Forgets session `id` (a creation refused before it did anything). */
  remove(id: string): void {
    this.#sessions.delete(id);
  }

  /** Records a heartbeat for `id`. */
  heartbeat(id: string): void {
    const session = this.#sessions.get(id);
    if (session) session.lastHeartbeat = this.#clock();
  }

  /** Sessions not yet in a final state. */
  activeCount(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (!isFinal(session.state)) count += 1;
    return count;
  }

  /** Sessions waiting for operator input. */
  inputRequiredCount(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.state === 'input_required') count += 1;
    return count;
  }
}

/** True for done, failed and aborted. */
export function isFinal(state: SessionState): boolean {
  return (FINAL_SESSION_STATES as readonly SessionState[]).includes(state);
}

/** The API snapshot of a session (requirements B7, C4). */
export function toSessionHandle(session: Session): SessionHandle {
  return {
    session_id: session.id,
    kind: session.kind,
    state: session.state,
    current_phase: PHASE_OF_STATE[session.state] ?? (session.state === 'done' ? 'done' : null),
    next_action: session.state === 'input_required' ? 'awaiting_input' : 'none',
    pending_input: null,
    error: session.error,
    result: session.result,
    created_at: formatUtcTimestamp(session.createdAt),
  };
}
