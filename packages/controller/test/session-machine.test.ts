import { describe, expect, it } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { SESSION_EDGES, publicStateOf, sessionMachine, type PromptAnswer, type SessionSteps } from '@exlab/controller';
import { SESSION_STATES, type SessionState } from '@exlab/core/constants';
import { ExLabError } from '@exlab/core/errors';
import type { PendingInput } from '@exlab/core/schemas';

// The machine alone, with each step a promise the test settles by hand (a port stand-in, not the
// plugin host: the plugin behaviour is tested against the real host in plugin-pass.test.ts).

type StepName = 'validate' | 'render' | 'runPlugins' | 'writeCache' | 'postValidate' | 'queueSync';

interface StepCall {
  signal: AbortSignal;
  resolve: () => void;
  reject: (error: unknown) => void;
  ask?: (prompt: PendingInput) => Promise<PromptAnswer>;
}

const PROMPT: PendingInput = {
  plugin: 'input_required',
  fields: [{ id: 'color', label: 'Colour', type: 'string', required: true }],
  reason: 'Which colour?',
};

/** A session machine whose steps wait for the test. */
function harness(): { actor: Actor<typeof sessionMachine>; calls: Record<StepName, StepCall[]>; current: () => StepCall | undefined } {
  const calls: Record<StepName, StepCall[]> = { validate: [], render: [], runPlugins: [], writeCache: [], postValidate: [], queueSync: [] };
  const pending = (name: StepName, signal: AbortSignal, ask?: StepCall['ask']): Promise<void> =>
    new Promise((resolve, reject) => calls[name].push({ signal, resolve, reject, ...(ask ? { ask } : {}) }));
  const steps: SessionSteps = {
    validate: (signal) => pending('validate', signal),
    render: (signal) => pending('render', signal),
    runPlugins: (signal, ask) => pending('runPlugins', signal, ask),
    writeCache: (signal) => pending('writeCache', signal),
    postValidate: (signal) => pending('postValidate', signal),
    queueSync: (signal) => pending('queueSync', signal),
  };
  const actor = createActor(sessionMachine, { input: { steps } });
  actor.start();
  const stepOf: Partial<Record<SessionState, StepName>> = {
    validating: 'validate',
    rendering: 'render',
    plugin_pass: 'runPlugins',
    input_required: 'runPlugins',
    cache_write: 'writeCache',
    post_validate: 'postValidate',
    sync_queued: 'queueSync',
  };
  const current = (): StepCall | undefined => {
    const name = stepOf[publicStateOf(actor.getSnapshot())];
    return name ? calls[name].at(-1) : undefined;
  };
  return { actor, calls, current };
}

/** Lets settled promises deliver their results to the machine. */
async function flush(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

type Harness = ReturnType<typeof harness>;

/** Drives a fresh machine to `state` along legal edges. */
async function machineIn(state: SessionState): Promise<Harness> {
  const h = harness();
  const state_ = (): SessionState => publicStateOf(h.actor.getSnapshot());
  if (state === 'failed') {
    h.actor.send({ type: 'FAIL', error: { code: 'internal_error', message: 'x' } });
    return h;
  }
  if (state === 'aborted') {
    h.actor.send({ type: 'CANCEL', discardFiles: true, reason: { code: 'cancelled', message: 'x' } });
    return h;
  }
  const order: SessionState[] = [
    'pending',
    'validating',
    'rendering',
    'plugin_pass',
    'cache_write',
    'post_validate',
    'sync_queued',
    'done',
  ];
  if (state === 'pending') return h;
  h.actor.send({ type: 'START' });
  const target = state === 'input_required' ? 'plugin_pass' : state;
  while (state_() !== target) {
    if (order.indexOf(state_()) > order.indexOf(target)) throw new Error(`overshot ${target}`);
    h.current()?.resolve();
    await flush();
  }
  if (state === 'input_required') {
    void h.current()?.ask?.(PROMPT);
    await flush();
  }
  expect(state_()).toBe(state);
  return h;
}

/** Sends `event` unless the machine has stopped in a final state (which ignores everything, and says so on the console). */
function send(h: Harness, event: Parameters<Harness['actor']['send']>[0]): void {
  if (h.actor.getSnapshot().status === 'active') h.actor.send(event);
}

/** Everything that can happen to a session: the events, and the running step resolving, failing or asking. */
const STIMULI: Record<string, (h: Harness) => void> = {
  START: (h) => send(h, { type: 'START' }),
  'step resolves': (h) => h.current()?.resolve(),
  'step fails': (h) => h.current()?.reject(new ExLabError('internal_error', 'step failed')),
  'plugin asks for input': (h) => void h.current()?.ask?.(PROMPT),
  RESUME: (h) => send(h, { type: 'RESUME', extraInputs: { color: 'blue' } }),
  CANCEL: (h) => send(h, { type: 'CANCEL', discardFiles: false, reason: { code: 'cancelled', message: 'x' } }),
  FAIL: (h) => send(h, { type: 'FAIL', error: { code: 'internal_error', message: 'x' } }),
};

describe('session machine (requirements B1)', () => {
  describe.each(SESSION_STATES)('from %s', (from) => {
    it('reaches exactly the states the §4.7 table allows, whatever happens', async () => {
      const reached = new Set<SessionState>();
      for (const stimulus of Object.values(STIMULI)) {
        const h = await machineIn(from);
        stimulus(h);
        await flush();
        const state = publicStateOf(h.actor.getSnapshot());
        if (state !== from) reached.add(state);
        h.actor.stop();
      }
      // All 11 targets are judged: each is reached if and only if the table has the edge.
      for (const to of SESSION_STATES) expect(reached.has(to), `${from} -> ${to}`).toBe(SESSION_EDGES[from].includes(to));
    });

    it(from === 'input_required' ? 'accepts RESUME' : 'ignores RESUME', async () => {
      const h = await machineIn(from);
      STIMULI.RESUME?.(h);
      await flush();
      expect(publicStateOf(h.actor.getSnapshot())).toBe(from === 'input_required' ? 'plugin_pass' : from);
      h.actor.stop();
    });
  });

  it('keeps one plugin pass running across a suspension and hands it the answer', async () => {
    const h = await machineIn('plugin_pass');
    const pass = h.calls.runPlugins[0];
    const answer = pass?.ask?.(PROMPT);
    await flush();
    expect(publicStateOf(h.actor.getSnapshot())).toBe('input_required');
    expect(h.actor.getSnapshot().context.prompt).toEqual(PROMPT);
    expect(pass?.signal.aborted).toBe(false);
    h.actor.send({ type: 'RESUME', extraInputs: { color: 'blue' } });
    expect(await answer).toEqual({ color: 'blue' });
    expect(publicStateOf(h.actor.getSnapshot())).toBe('plugin_pass');
    // The same pass asks again (a second prompt) and is answered again.
    const second = pass?.ask?.(PROMPT);
    await flush();
    h.actor.send({ type: 'RESUME', extraInputs: { color: 'red' } });
    expect(await second).toEqual({ color: 'red' });
    expect(h.calls.runPlugins).toHaveLength(1);
    pass?.resolve();
    await flush();
    expect(publicStateOf(h.actor.getSnapshot())).toBe('cache_write');
  });

  it('aborts the running step when the session is cancelled, and wakes a waiting prompt with null', async () => {
    const rendering = await machineIn('rendering');
    const render = rendering.current();
    rendering.actor.send({ type: 'CANCEL', discardFiles: true, reason: { code: 'cancelled', message: 'x' } });
    expect(render?.signal.aborted).toBe(true);
    expect(rendering.actor.getSnapshot().context.cancel).toEqual({ discardFiles: true, reason: { code: 'cancelled', message: 'x' } });

    const suspended = await machineIn('plugin_pass');
    const pass = suspended.current();
    const answer = pass?.ask?.(PROMPT);
    await flush();
    suspended.actor.send({ type: 'CANCEL', discardFiles: false, reason: { code: 'cancelled', message: 'x' } });
    expect(pass?.signal.aborted).toBe(true);
    expect(await answer).toBeNull();
    expect(publicStateOf(suspended.actor.getSnapshot())).toBe('aborted');
  });

  it('records a step error as the session error and a FAIL event error likewise', async () => {
    const h = await machineIn('cache_write');
    h.current()?.reject(new ExLabError('cache_file_exists', 'creation.json exists', { field: 'creation.json' }));
    await flush();
    expect(publicStateOf(h.actor.getSnapshot())).toBe('failed');
    expect(h.actor.getSnapshot().context.error).toEqual({
      code: 'cache_file_exists',
      message: 'creation.json exists',
      field: 'creation.json',
    });

    const f = await machineIn('post_validate');
    const step = f.current();
    f.actor.send({ type: 'FAIL', error: { code: 'internal_error', message: 'stop' } });
    expect(step?.signal.aborted).toBe(true);
    expect(f.actor.getSnapshot().context.error).toEqual({ code: 'internal_error', message: 'stop' });
  });

  it('fails a plugin pass that ends while its prompt is unanswered', async () => {
    const h = await machineIn('input_required');
    h.current()?.resolve();
    await flush();
    expect(publicStateOf(h.actor.getSnapshot())).toBe('failed');
    expect(h.actor.getSnapshot().context.error?.code).toBe('internal_error');
  });
});
