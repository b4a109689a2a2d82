import { FINAL_SESSION_STATES, PHASE_OF_STATE, type Phase, type SessionState } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';

/**
 * The legal edges of §4.7 (requirements B1): the pipeline goes forward one state at a time,
 * plugin_pass and input_required alternate, every non-final state may end failed or aborted, and
 * the three final states are sinks.
 */
export const SESSION_EDGES: Readonly<Record<SessionState, readonly SessionState[]>> = {
  pending: ['validating', 'failed', 'aborted'],
  validating: ['rendering', 'failed', 'aborted'],
  rendering: ['plugin_pass', 'failed', 'aborted'],
  plugin_pass: ['input_required', 'cache_write', 'failed', 'aborted'],
  input_required: ['plugin_pass', 'failed', 'aborted'],
  cache_write: ['post_validate', 'failed', 'aborted'],
  post_validate: ['sync_queued', 'failed', 'aborted'],
  sync_queued: ['done', 'failed', 'aborted'],
  done: [],
  failed: [],
  aborted: [],
};

/** True when `from -> to` is an edge of §4.7. */
export function isLegalTransition(from: SessionState, to: SessionState): boolean {
  return SESSION_EDGES[from].includes(to);
}

/** Throws when `from -> to` is not an edge of §4.7: the controller never takes one, so this is a bug. */
export function assertTransition(from: SessionState, to: SessionState): void {
  if (!isLegalTransition(from, to)) {
    throw new ExLabError(
      'internal_error',
      `A session cannot go from ${from} to ${to}; allowed from ${from}: ${SESSION_EDGES[from].join(', ') || 'nothing'}.`,
      {
        details: { from, to, allowed: SESSION_EDGES[from] },
      },
    );
  }
}

/** A state a session never leaves. */
export type FinalSessionState = (typeof FINAL_SESSION_STATES)[number];

/** True for done, failed and aborted. */
export function isFinal(state: SessionState): state is FinalSessionState {
  return (FINAL_SESSION_STATES as readonly SessionState[]).includes(state);
}

/**
 * The phase a `phase` frame announces on entering `state` (§4.7.1, requirements B2); null for
 * pending, input_required, done, failed and aborted, which send their own frame kind or nothing.
 */
export function phaseFrameOf(state: SessionState): Phase | null {
  return PHASE_OF_STATE[state] ?? null;
}

/**
 * `current_phase` of a snapshot (requirements B2): null for pending, failed and aborted; a
 * suspended session is still inside running_plugins; done reports `done`.
 */
export function currentPhaseOf(state: SessionState): Phase | null {
  if (state === 'input_required') return 'running_plugins';
  if (state === 'done') return 'done';
  return PHASE_OF_STATE[state] ?? null;
}
