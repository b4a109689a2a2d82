import { afterEach, describe, expect, it } from 'vitest';
import { CreationController, SessionStore, isFinal, toSessionHandle } from '@exlab/controller';
import { SESSION_STATES, type SessionState } from '@exlab/core/constants';
import { SessionHandleSchema } from '@exlab/core/schemas';
import { createTestLab, runRequest, type TestLab } from './support/lab.js';

/** A clock tests move by hand. */
function manualClock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return { now: () => current, set: (iso) => (current = new Date(iso)) };
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('SessionStore', () => {
  it('opens sessions in pending with a fresh uuid4 and the clock time as created and heartbeat', () => {
    const clock = manualClock('2026-03-02T09:00:00Z');
    const store = new SessionStore(clock.now);
    const a = store.open('run');
    const b = store.open('project');
    expect(a.id).toMatch(UUID_V4);
    expect(b.id).not.toBe(a.id);
    expect(a).toMatchObject({ kind: 'run', state: 'pending', error: null, result: null });
    expect(a.createdAt.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(a.lastHeartbeat.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(store.get(a.id)).toBe(a);
    expect(store.get('no-such-id')).toBeUndefined();
  });

  it('moves only the heartbeat of the named session to the clock time', () => {
    const clock = manualClock('2026-03-02T09:00:00Z');
    const store = new SessionStore(clock.now);
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

  it('counts sessions not in a final state as active and input_required ones separately', () => {
    const store = new SessionStore();
    const states: SessionState[] = ['pending', 'rendering', 'input_required', 'input_required', 'done', 'failed', 'aborted'];
    for (const state of states) store.open('run').state = state;
    expect(store.activeCount()).toBe(4);
    expect(store.inputRequiredCount()).toBe(2);
  });

  it('counts nothing in an empty store', () => {
    const store = new SessionStore();
    expect(store.activeCount()).toBe(0);
    expect(store.inputRequiredCount()).toBe(0);
  });
});

describe('isFinal', () => {
  it.each(SESSION_STATES.map((state) => [state, ['done', 'failed', 'aborted'].includes(state)] as const))(
    'says %s is final: %s',
    (state, final) => {
      expect(isFinal(state)).toBe(final);
    },
  );
});

describe('toSessionHandle', () => {
  const expectedPhase: Record<SessionState, string | null> = {
    pending: null,
    validating: 'validating_inputs',
    rendering: 'rendering_template',
    plugin_pass: 'running_plugins',
    input_required: null,
    cache_write: 'writing_cache',
    post_validate: 'validating_post_creation',
    sync_queued: 'queueing_nas_sync',
    done: 'done',
    failed: null,
    aborted: null,
  };

  it.each(SESSION_STATES)('maps state %s to its phase (requirements B2) and a valid handle', (state) => {
    const store = new SessionStore(() => new Date('2026-03-02T09:00:00.250Z'));
    const session = store.open('run');
    session.state = state;
    const handle = toSessionHandle(session);
    expect(SessionHandleSchema.parse(handle)).toEqual(handle);
    expect(handle.current_phase).toBe(expectedPhase[state]);
    expect(handle.next_action).toBe(state === 'input_required' ? 'awaiting_input' : 'none');
    expect(handle.state).toBe(state);
  });

  it('carries the id, kind, error, result and the creation time in whole UTC seconds', () => {
    const store = new SessionStore(() => new Date('2026-03-02T09:00:00.250Z'));
    const session = store.open('project');
    session.state = 'failed';
    session.error = { code: 'internal_error', message: 'boom', details: { step: 'render' } };
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

describe('CreationController.getSession', () => {
  let lab: TestLab | undefined;

  afterEach(async () => {
    await lab?.remove();
    lab = undefined;
  });

  it('returns the snapshot and counts the read as a heartbeat', async () => {
    lab = await createTestLab();
    const config = lab.config;
    const clock = manualClock('2026-03-02T09:00:00Z');
    const controller = new CreationController({ getConfig: () => config, clock: clock.now, osUser: 'ada-os', hostname: 'bench-host' });
    const handle = await controller.createRun(runRequest());
    clock.set('2026-03-02T10:30:00Z');

    expect(controller.getSession(handle.session_id)).toEqual(handle);
    const session = controller.sessions.get(handle.session_id);
    expect(session?.lastHeartbeat.toISOString()).toBe('2026-03-02T10:30:00.000Z');
    expect(session?.createdAt.toISOString()).toBe('2026-03-02T09:00:00.000Z');
  });

  it('returns undefined for an unknown session id', () => {
    const controller = new CreationController({ getConfig: () => null });
    expect(controller.getSession('6f1c2d9e-0000-4000-8000-000000000000')).toBeUndefined();
  });
});
