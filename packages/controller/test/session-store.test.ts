import { afterEach, describe, expect, it, vi } from 'vitest';
import { SESSION_EDGES, SessionStore, isFinal, toSessionHandle, type Session } from '@exlab/controller';
import { ExLabError } from '@exlab/core/errors';
import { SESSION_STATES, TIMINGS, type SessionState } from '@exlab/core/constants';
import { SessionEventSchema, SessionHandleSchema, type PendingInput, type SessionEvent } from '@exlab/core/schemas';
import { TestController, createTestLab, runRequest, type TestLab } from './support/lab.js';

/** A clock tests move by hand. */
function manualClock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return { now: () => current, set: (iso) => (current = new Date(iso)) };
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const PROMPT: PendingInput = {
  plugin: 'input_required',
  fields: [{ id: 'color', label: 'Colour', type: 'string', required: true }],
  reason: 'Which colour?',
};

/** The legal path from pending to `state` (through the pipeline; input_required via plugin_pass). */
const PATH_TO: Record<SessionState, SessionState[]> = {
  pending: [],
  validating: ['validating'],
  rendering: ['validating', 'rendering'],
  plugin_pass: ['validating', 'rendering', 'plugin_pass'],
  input_required: ['validating', 'rendering', 'plugin_pass', 'input_required'],
  cache_write: ['validating', 'rendering', 'plugin_pass', 'cache_write'],
  post_validate: ['validating', 'rendering', 'plugin_pass', 'cache_write', 'post_validate'],
  sync_queued: ['validating', 'rendering', 'plugin_pass', 'cache_write', 'post_validate', 'sync_queued'],
  done: ['validating', 'rendering', 'plugin_pass', 'cache_write', 'post_validate', 'sync_queued', 'done'],
  failed: ['failed'],
  aborted: ['aborted'],
};

const RESULT = { path: '/lab/EQ/P/Runs/Run_x', sync_status: 'pending' as const, blocked: false, findings: [] };

/** Moves `session` to `state` (one legal step) through the store's API. */
function step(store: SessionStore, session: Session, state: SessionState): void {
  if (state === 'done') store.close(session.id, { state, result: RESULT });
  else if (state === 'failed')
    store.close(session.id, { state, error: { code: 'internal_error', message: 'boom' }, phase: 'validating_inputs' });
  else if (state === 'aborted') store.close(session.id, { state, reason: { code: 'cancelled', message: 'cancelled' } });
  else store.transition(session.id, state, state === 'input_required' ? PROMPT : undefined);
}

function sessionIn(store: SessionStore, state: SessionState): Session {
  const session = store.open('run');
  for (const next of PATH_TO[state]) step(store, session, next);
  expect(session.state).toBe(state);
  return session;
}

async function collect(iterator: AsyncIterable<SessionEvent>): Promise<SessionEvent[]> {
  const frames: SessionEvent[] = [];
  for await (const frame of iterator) frames.push(frame);
  return frames;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionStore', () => {
  it('opens sessions in pending with a fresh uuid4 and the clock time as created and heartbeat', () => {
    const clock = manualClock('2026-03-02T09:00:00Z');
    const store = new SessionStore({ clock: clock.now });
    const a = store.open('run');
    const b = store.open('project');
    expect(a.id).toMatch(UUID_V4);
    expect(b.id).not.toBe(a.id);
    expect(a).toMatchObject({ kind: 'run', state: 'pending', error: null, result: null, pendingInput: null, events: [] });
    expect(a.createdAt.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(a.lastHeartbeat.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(store.get(a.id)).toBe(a);
    expect(store.get('no-such-id')).toBeUndefined();
  });

  it('moves only the heartbeat of the named session to the clock time', () => {
    const clock = manualClock('2026-03-02T09:00:00Z');
    const store = new SessionStore({ clock: clock.now });
    const a = store.open('run');
    const b = store.open('run');
    clock.set('2026-03-02T09:45:00Z');
    store.heartbeat(a.id);
    expect(a.lastHeartbeat.toISOString()).toBe('2026-03-02T09:45:00.000Z');
    expect(a.createdAt.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(b.lastHeartbeat.toISOString()).toBe('2026-03-02T09:00:00.000Z');
  });

  it('ignores a heartbeat for an unknown session', () => {
    const store = new SessionStore();
    expect(() => store.heartbeat('missing')).not.toThrow();
    expect(store.activeCount()).toBe(0);
  });

  it('refuses to move an unknown session with session_not_found', () => {
    const store = new SessionStore();
    expect(() => store.transition('missing', 'validating')).toThrow(expect.objectContaining({ code: 'session_not_found' }));
  });

  describe('transition: every (state, target) pair of §4.7 (requirements B1)', () => {
    const pairs = SESSION_STATES.flatMap((from) => SESSION_STATES.map((to) => [from, to, SESSION_EDGES[from].includes(to)] as const));

    it('covers 11 x 11 pairs', () => {
      expect(pairs).toHaveLength(121);
    });

    it.each(pairs)('%s -> %s is legal: %s', (from, to, legal) => {
      const store = new SessionStore();
      const session = sessionIn(store, from);
      const attempt = (): void => step(store, session, to);
      if (legal) {
        attempt();
        expect(session.state).toBe(to);
      } else {
        expect(attempt).toThrow(ExLabError);
        expect(session.state).toBe(from);
      }
    });

    it('lets only pipeline edges, the plugin_pass/input_required pair, failed and aborted out of a live state; final states are sinks', () => {
      for (const state of SESSION_STATES) {
        if (isFinal(state)) expect(SESSION_EDGES[state]).toEqual([]);
        else expect(SESSION_EDGES[state]).toEqual(expect.arrayContaining(['failed', 'aborted']));
      }
      expect(SESSION_EDGES.input_required).toEqual(['plugin_pass', 'failed', 'aborted']);
      expect(SESSION_EDGES.plugin_pass).toEqual(['input_required', 'cache_write', 'failed', 'aborted']);
    });
  });

  it('sends a phase frame on each state with a phase, again on re-entering plugin_pass, and input_required with its prompt', () => {
    const clock = manualClock('2026-03-02T09:00:00Z');
    const store = new SessionStore({ clock: clock.now });
    const session = sessionIn(store, 'input_required');
    expect(session.pendingInput).toEqual(PROMPT);
    expect(toSessionHandle(session)).toMatchObject({ state: 'input_required', next_action: 'awaiting_input', pending_input: PROMPT });
    store.transition(session.id, 'plugin_pass');
    expect(session.pendingInput).toBeNull();
    for (const next of ['cache_write', 'post_validate', 'sync_queued', 'done'] as const) step(store, session, next);
    expect(session.events).toEqual([
      { kind: 'phase', phase: 'validating_inputs', at: '2026-03-02T09:00:00Z' },
      { kind: 'phase', phase: 'rendering_template', at: '2026-03-02T09:00:00Z' },
      { kind: 'phase', phase: 'running_plugins', at: '2026-03-02T09:00:00Z' },
      { kind: 'input_required', fields: PROMPT.fields, reason: PROMPT.reason, plugin: PROMPT.plugin },
      { kind: 'phase', phase: 'running_plugins', at: '2026-03-02T09:00:00Z' },
      { kind: 'phase', phase: 'writing_cache', at: '2026-03-02T09:00:00Z' },
      { kind: 'phase', phase: 'validating_post_creation', at: '2026-03-02T09:00:00Z' },
      { kind: 'phase', phase: 'queueing_nas_sync', at: '2026-03-02T09:00:00Z' },
      { kind: 'done', result: RESULT },
    ]);
    for (const frame of session.events) expect(SessionEventSchema.parse(frame)).toEqual(frame);
  });

  it('closes failed with the error and a failed frame naming the phase, aborted with the reason and no frame', () => {
    const store = new SessionStore();
    const failed = sessionIn(store, 'rendering');
    store.close(failed.id, { state: 'failed', error: { code: 'template_load_error', message: 'bad' }, phase: 'rendering_template' });
    expect(failed.error).toEqual({ code: 'template_load_error', message: 'bad' });
    expect(failed.events.at(-1)).toEqual({
      kind: 'failed',
      phase: 'rendering_template',
      error: { code: 'template_load_error', message: 'bad' },
    });

    const aborted = sessionIn(store, 'input_required');
    const before = aborted.events.length;
    store.close(aborted.id, { state: 'aborted', reason: { code: 'cancelled', message: 'cancelled' } });
    expect(aborted.events).toHaveLength(before);
    expect(aborted).toMatchObject({ state: 'aborted', pendingInput: null, result: null, error: { code: 'cancelled' } });
  });

  it('ignores progress and warning frames once a session is final', () => {
    const store = new SessionStore();
    const session = sessionIn(store, 'done');
    const before = session.events.length;
    store.emit(session.id, { kind: 'warning', phase: 'queueing_nas_sync', message: 'late' });
    expect(session.events).toHaveLength(before);
  });

  it('counts sessions not in a final state as active and input_required ones separately', () => {
    const store = new SessionStore();
    const states: SessionState[] = ['pending', 'rendering', 'input_required', 'input_required', 'done', 'failed', 'aborted'];
    for (const state of states) sessionIn(store, state);
    expect(store.activeCount()).toBe(4);
    expect(store.inputRequiredCount()).toBe(2);
  });

  it('lists as abandoned only input_required sessions whose heartbeat is older than the age', () => {
    const clock = manualClock('2026-03-02T09:00:00Z');
    const store = new SessionStore({ clock: clock.now });
    const stale = sessionIn(store, 'input_required');
    const fresh = sessionIn(store, 'input_required');
    sessionIn(store, 'rendering');
    clock.set('2026-03-02T10:00:00Z');
    store.heartbeat(fresh.id);
    clock.set('2026-03-02T10:00:01Z');
    expect(store.abandonedOlderThan(3_600_000)).toEqual([stale.id]);
  });

  describe('subscribe', () => {
    it('replays every frame so far to a late subscriber, then ends after done', async () => {
      const store = new SessionStore();
      const session = sessionIn(store, 'done');
      expect(await collect(store.subscribe(session.id))).toEqual(session.events);
    });

    it('gives every subscriber the whole history and the live frames, a pending prompt included', async () => {
      const store = new SessionStore();
      const session = sessionIn(store, 'input_required');
      const early = collect(store.subscribe(session.id));
      store.transition(session.id, 'plugin_pass');
      const late = collect(store.subscribe(session.id));
      for (const next of ['cache_write', 'post_validate', 'sync_queued', 'done'] as const) step(store, session, next);
      const [a, b] = await Promise.all([early, late]);
      expect(a).toEqual(session.events);
      expect(b).toEqual(session.events);
      expect(a.map((f) => f.kind)).toContain('input_required');
    });

    it('ends without a frame after aborted', async () => {
      const store = new SessionStore();
      const session = sessionIn(store, 'plugin_pass');
      const frames = collect(store.subscribe(session.id));
      step(store, session, 'aborted');
      expect((await frames).map((f) => f.kind)).toEqual(['phase', 'phase', 'phase']);
    });

    it('stops a subscriber that returns early without affecting the others', async () => {
      const store = new SessionStore();
      const session = sessionIn(store, 'rendering');
      const quitter = store.subscribe(session.id);
      expect((await quitter.next()).value).toMatchObject({ phase: 'validating_inputs' });
      await quitter.return?.();
      expect((await quitter.next()).done).toBe(true);
      const stayer = collect(store.subscribe(session.id));
      for (const next of ['plugin_pass', 'cache_write', 'post_validate', 'sync_queued', 'done'] as const) step(store, session, next);
      expect(await stayer).toEqual(session.events);
    });

    it('refuses an unknown session with session_not_found', () => {
      expect(() => new SessionStore().subscribe('missing')).toThrow(expect.objectContaining({ code: 'session_not_found' }));
    });
  });

  describe('GC loop (requirements B8)', () => {
    it('every 300 s hands input_required sessions idle for over an hour to abandon, and stops when asked', async () => {
      vi.useFakeTimers({ now: new Date('2026-03-02T09:00:00Z') });
      const store = new SessionStore({ clock: () => new Date(), timers: { setInterval, clearInterval } });
      const idle = sessionIn(store, 'input_required');
      const watched = sessionIn(store, 'input_required');
      sessionIn(store, 'rendering');
      const abandoned: string[] = [];
      const stop = store.startGc({ abandon: (id) => void abandoned.push(id) });

      // Keep one session's client alive with a heartbeat every 10 minutes.
      for (let minute = 0; minute < 60; minute += 10) {
        await vi.advanceTimersByTimeAsync(600_000);
        store.heartbeat(watched.id);
      }
      expect(abandoned).toEqual([]);
      await vi.advanceTimersByTimeAsync(TIMINGS.sessionGcIntervalMs);
      expect(abandoned).toEqual([idle.id]);

      stop();
      await vi.advanceTimersByTimeAsync(TIMINGS.sessionAbandonAfterMs * 2);
      expect(abandoned).toEqual([idle.id]);
    });
  });
});

describe('toSessionHandle', () => {
  const expectedPhase: Record<SessionState, string | null> = {
    pending: null,
    validating: 'validating_inputs',
    rendering: 'rendering_template',
    plugin_pass: 'running_plugins',
    input_required: 'running_plugins',
    cache_write: 'writing_cache',
    post_validate: 'validating_post_creation',
    sync_queued: 'queueing_nas_sync',
    done: 'done',
    failed: null,
    aborted: null,
  };

  it.each(SESSION_STATES)('maps state %s to its current_phase (requirements B2) and a valid handle', (state) => {
    const store = new SessionStore({ clock: () => new Date('2026-03-02T09:00:00.250Z') });
    const handle = toSessionHandle(sessionIn(store, state));
    expect(SessionHandleSchema.parse(handle)).toEqual(handle);
    expect(handle.current_phase).toBe(expectedPhase[state]);
    expect(handle.next_action).toBe(state === 'input_required' ? 'awaiting_input' : 'none');
    expect(handle.state).toBe(state);
  });

  it('carries the id, kind, error, result and the creation time in whole UTC seconds', () => {
    const store = new SessionStore({ clock: () => new Date('2026-03-02T09:00:00.250Z') });
    const session = store.open('project');
    store.close(session.id, {
      state: 'failed',
      error: { code: 'internal_error', message: 'boom', details: { step: 'render' } },
      phase: 'validating_inputs',
    });
    expect(toSessionHandle(session)).toEqual({
      session_id: session.id,
      kind: 'project',
      state: 'failed',
      current_phase: null,
      next_action: 'none',
      pending_input: null,
      error: { code: 'internal_error', message: 'boom', details: { step: 'render' } },
      result: null,
      created_at: '2026-03-02T09:00:00Z',
    });
  });
});

describe('CreationController.status', () => {
  let lab: TestLab | undefined;

  afterEach(async () => {
    await lab?.remove();
    lab = undefined;
  });

  it('returns the session snapshot and counts as a heartbeat', async () => {
    lab = await createTestLab();
    const testLab = lab;
    const clock = manualClock('2026-03-02T09:00:00Z');
    const controller = new TestController({ getConfig: () => testLab.config, clock: clock.now, gc: false });
    const handle = await controller.createRunToEnd(runRequest());
    clock.set('2026-03-02T10:30:00Z');

    expect(controller.status(handle.session_id)).toEqual(handle);
    const session = controller.sessions.get(handle.session_id);
    expect(session?.lastHeartbeat.toISOString()).toBe('2026-03-02T10:30:00.000Z');
    expect(session?.createdAt.toISOString()).toBe('2026-03-02T09:00:00.000Z');
  });

  it('returns undefined for an unknown session id', () => {
    const controller = new TestController({ getConfig: () => null, gc: false });
    expect(controller.status('6f1c2d9e-0000-4000-8000-000000000000')).toBeUndefined();
  });
});
