import { assign, fromPromise, setup, type AnyActorRef, type SnapshotFrom } from 'xstate';
import type { SessionState } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import type { PendingInput, SessionError } from '@exlab/core/schemas';
import { toSessionError } from './session-error.js';

/** Answers to a plugin prompt, or null when the session was cancelled while it waited. */
export type PromptAnswer = Record<string, unknown> | null;

/**
 * The work of each pipeline state, run as a `fromPromise` actor (requirements B1): leaving the
 * state (cancel, fail) aborts `signal`, which a step passes on (the plugin host kills its worker).
 */
export interface SessionSteps {
  /** validating: the creation gate (requirements B3). */
  validate(signal: AbortSignal): Promise<void>;
  /** rendering: the template into the hidden temporary folder. */
  render(signal: AbortSignal): Promise<void>;
  /** plugin_pass: the plugin pass; `ask` suspends the session in input_required until resumed or cancelled. */
  runPlugins(signal: AbortSignal, ask: (prompt: PendingInput) => Promise<PromptAnswer>): Promise<void>;
  /** cache_write: README, readme_fields.json and creation.json. */
  writeCache(signal: AbortSignal): Promise<void>;
  /** post_validate: the pre-sync gate over the written tree. */
  postValidate(signal: AbortSignal): Promise<void>;
  /** sync_queued: blocked status or enqueue, and the publish. */
  queueSync(signal: AbortSignal): Promise<void>;
}

/** Events of the session machine. Step results are the invoked actors' own done/error events. */
export type SessionMachineEvent =
  | { type: 'START' }
  | { type: 'INPUT_REQUIRED'; prompt: PendingInput }
  | { type: 'RESUME'; extraInputs: Record<string, unknown> }
  | { type: 'CANCEL'; discardFiles: boolean; reason: SessionError }
  | { type: 'FAIL'; error: SessionError };

/** How a cancelled session asked to be cleaned up. */
export interface CancelRequest {
  discardFiles: boolean;
  reason: SessionError;
}

/** Hands a prompt's answer from the RESUME event to the suspended plugin pass. */
export class PromptChannel {
  #answer: ((answer: PromptAnswer) => void) | null = null;

  /** Waits for the answer to a prompt; a cancel (abort of `signal`) answers null, which wakes the pass (requirements B6). */
  wait(signal: AbortSignal): Promise<PromptAnswer> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(null);
      const settle = (answer: PromptAnswer): void => {
        this.#answer = null;
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      const onAbort = (): void => settle(null);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#answer = settle;
    });
  }

  /** Delivers `answer` to the waiting pass, if one waits. */
  deliver(answer: PromptAnswer): void {
    this.#answer?.(answer);
  }
}

interface SessionContext {
  steps: SessionSteps;
  prompts: PromptChannel;
  /** Why the session failed (a step's error or a FAIL event). */
  error: SessionError | null;
  /** Set by CANCEL. */
  cancel: CancelRequest | null;
  /** The prompt the pass waits on while in awaitingInput. */
  prompt: PendingInput | null;
}

type StepInput = { steps: SessionSteps };
type PassInput = StepInput & { prompts: PromptChannel; parent: AnyActorRef };

/**
 * The §4.7 creation session in XState v5 (requirements B1). One state per pipeline step, each
 * invoking its step; `pluginPass` is compound {running, awaitingInput} with the pass invoked on
 * the parent, so a suspension does not stop it; CANCEL and FAIL are handled at the root, so they
 * apply in every non-final state and abort whatever step runs.
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionMachineEvent,
    input: {} as { steps: SessionSteps },
  },
  actors: {
    validate: fromPromise<void, StepInput>(({ input, signal }) => input.steps.validate(signal)),
    render: fromPromise<void, StepInput>(({ input, signal }) => input.steps.render(signal)),
    runPlugins: fromPromise<void, PassInput>(({ input, signal }) =>
      input.steps.runPlugins(signal, (prompt) => {
        const answer = input.prompts.wait(signal);
        input.parent.send({ type: 'INPUT_REQUIRED', prompt });
        return answer;
      }),
    ),
    writeCache: fromPromise<void, StepInput>(({ input, signal }) => input.steps.writeCache(signal)),
    postValidate: fromPromise<void, StepInput>(({ input, signal }) => input.steps.postValidate(signal)),
    queueSync: fromPromise<void, StepInput>(({ input, signal }) => input.steps.queueSync(signal)),
  },
  actions: {
    // A step's rejection: the error the session reports.
    recordStepError: assign({ error: ({ event }) => toSessionError((event as { error?: unknown }).error) }),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({ steps: input.steps, prompts: new PromptChannel(), error: null, cancel: null, prompt: null }),
  initial: 'pending',
  on: {
    CANCEL: {
      target: '.aborted',
      actions: assign({ cancel: ({ event }) => ({ discardFiles: event.discardFiles, reason: event.reason }) }),
    },
    FAIL: { target: '.failed', actions: assign({ error: ({ event }) => event.error }) },
  },
  states: {
    pending: { on: { START: 'validating' } },
    validating: {
      invoke: {
        src: 'validate',
        input: ({ context }) => ({ steps: context.steps }),
        onDone: 'rendering',
        onError: { target: 'failed', actions: 'recordStepError' },
      },
    },
    rendering: {
      invoke: {
        src: 'render',
        input: ({ context }) => ({ steps: context.steps }),
        onDone: 'pluginPass',
        onError: { target: 'failed', actions: 'recordStepError' },
      },
    },
    pluginPass: {
      invoke: {
        src: 'runPlugins',
        input: ({ context, self }) => ({ steps: context.steps, prompts: context.prompts, parent: self }),
        onDone: [
          // A pass that ends while its prompt is unanswered broke its contract; input_required -> cache_write is no edge.
          {
            guard: ({ context }) => context.prompt !== null,
            target: 'failed',
            actions: assign({ error: { code: 'internal_error', message: 'The plugin pass ended while it waited for operator input.' } }),
          },
          { target: 'cacheWrite' },
        ],
        onError: { target: 'failed', actions: 'recordStepError' },
      },
      initial: 'running',
      states: {
        running: { on: { INPUT_REQUIRED: { target: 'awaitingInput', actions: assign({ prompt: ({ event }) => event.prompt }) } } },
        awaitingInput: {
          on: {
            RESUME: {
              target: 'running',
              actions: [assign({ prompt: null }), ({ context, event }) => context.prompts.deliver(event.extraInputs)],
            },
          },
        },
      },
    },
    cacheWrite: {
      invoke: {
        src: 'writeCache',
        input: ({ context }) => ({ steps: context.steps }),
        onDone: 'postValidate',
        onError: { target: 'failed', actions: 'recordStepError' },
      },
    },
    postValidate: {
      invoke: {
        src: 'postValidate',
        input: ({ context }) => ({ steps: context.steps }),
        onDone: 'syncQueued',
        onError: { target: 'failed', actions: 'recordStepError' },
      },
    },
    syncQueued: {
      invoke: {
        src: 'queueSync',
        input: ({ context }) => ({ steps: context.steps }),
        onDone: 'done',
        onError: { target: 'failed', actions: 'recordStepError' },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    aborted: { type: 'final' },
  },
});

/** A snapshot of the session machine. */
export type SessionSnapshot = SnapshotFrom<typeof sessionMachine>;

const PUBLIC_STATE: Readonly<Record<string, SessionState>> = {
  pending: 'pending',
  validating: 'validating',
  rendering: 'rendering',
  cacheWrite: 'cache_write',
  postValidate: 'post_validate',
  syncQueued: 'sync_queued',
  done: 'done',
  failed: 'failed',
  aborted: 'aborted',
};

/** The one mapping from a machine snapshot to the public §4.7 state (requirements B1). */
export function publicStateOf(snapshot: SessionSnapshot): SessionState {
  if (snapshot.matches({ pluginPass: 'awaitingInput' })) return 'input_required';
  if (snapshot.matches('pluginPass')) return 'plugin_pass';
  const state = typeof snapshot.value === 'string' ? PUBLIC_STATE[snapshot.value] : undefined;
  if (state === undefined) throw new ExLabError('internal_error', `Unknown session machine state ${JSON.stringify(snapshot.value)}.`);
  return state;
}
