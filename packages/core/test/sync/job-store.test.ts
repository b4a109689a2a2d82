import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncJobStore } from '../../src/sync/index.js';

let dir: string;
let store: SyncJobStore | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-sync-store-'));
});

afterEach(async () => {
  store?.close();
  store = undefined;
  await rm(dir, { recursive: true, force: true });
});

const queuePath = (): string => join(dir, 'state', 'sync_queue.db');

function newJob(runPath: string, enqueuedAt = '2026-03-02T09:15:00Z') {
  return { run_path: runPath, equipment_id: 'CONFOCAL_01', level: 'run' as const, nas_path: `//nas${runPath}`, enqueued_at: enqueuedAt };
}

describe('SyncJobStore (S1, S2)', () => {
  it('creates the queue file and its folder, and keeps rows across a reopen', async () => {
    store = await SyncJobStore.open(queuePath());
    const job = store.insert(newJob('/lab/A/Run_1'));
    expect(job).toMatchObject({ state: 'queued', attempts: 0, verify_passes: 0, last_error: null, next_attempt_at: null });
    store.close();
    store = await SyncJobStore.open(queuePath());
    expect(store.get(job.id)).toEqual(job);
    expect(store.byPath('/lab/A/Run_1')?.id).toBe(job.id);
  });

  it('refuses a second job for the same folder with sync_job_exists', async () => {
    store = await SyncJobStore.open(queuePath());
    store.insert(newJob('/lab/A/Run_1'));
    expect(() => store?.insert(newJob('/lab/A/Run_1'))).toThrow(expect.objectContaining({ code: 'sync_job_exists' }));
    expect(store.list()).toHaveLength(1);
  });

  it('moves a job only from the state the caller expects, setting the patch in the same step', async () => {
    store = await SyncJobStore.open(queuePath());
    const job = store.insert(newJob('/lab/A/Run_1'));
    const running = store.transition(job.id, ['queued'], 'running', { last_attempt_at: '2026-03-02T09:16:00Z' });
    expect(running).toMatchObject({ state: 'running', last_attempt_at: '2026-03-02T09:16:00Z' });
    expect(() => store?.transition(job.id, ['queued'], 'running')).toThrow(
      expect.objectContaining({ code: 'sync_job_state_changed', details: expect.objectContaining({ found: 'running' }) }),
    );
    const failed = store.transition(job.id, ['running'], 'failed', {
      last_error: 'auth',
      last_error_detail: 'Permission denied (publickey).',
    });
    expect(failed).toMatchObject({ state: 'failed', last_error: 'auth' });
    const reset = store.transition(job.id, ['failed'], 'queued', { last_error: null, last_error_detail: null, attempts: 0 });
    expect(reset).toMatchObject({ state: 'queued', last_error: null, last_error_detail: null });
  });

  it('after a restart queues a job that was pushing and leaves a pushed one waiting for its verification', async () => {
    store = await SyncJobStore.open(queuePath());
    const pushing = store.insert(newJob('/lab/A/Run_1'));
    store.transition(pushing.id, ['queued'], 'running');
    const pushed = store.insert(newJob('/lab/A/Run_2'));
    store.transition(pushed.id, ['queued'], 'running');
    store.transition(pushed.id, ['running'], 'awaiting_verify');
    store.close();
    store = await SyncJobStore.open(queuePath());
    expect(store.recoverAfterRestart()).toBe(1);
    expect(store.get(pushing.id)?.state).toBe('queued');
    expect(store.get(pushed.id)?.state).toBe('awaiting_verify');
  });

  it('hands out the oldest due job, skipping those still backing off, and says when the next one is due', async () => {
    store = await SyncJobStore.open(queuePath());
    const first = store.insert(newJob('/lab/A/Run_1', '2026-03-02T09:00:00Z'));
    const second = store.insert(newJob('/lab/A/Run_2', '2026-03-02T09:05:00Z'));
    store.transition(first.id, ['queued'], 'queued', { next_attempt_at: '2026-03-02T10:00:00Z' });
    expect(store.nextDue('2026-03-02T09:30:00Z', { cleanup: false })?.id).toBe(second.id);
    store.transition(second.id, ['queued'], 'failed');
    expect(store.nextDue('2026-03-02T09:30:00Z', { cleanup: false })).toBeUndefined();
    expect(store.nextWakeAt({ cleanup: false })).toBe('2026-03-02T10:00:00Z');
    expect(store.nextDue('2026-03-02T10:00:00Z', { cleanup: false })?.id).toBe(first.id);
    expect(store.counts()).toMatchObject({ queued: 1, failed: 1, running: 0 });
    expect(store.list(['failed']).map((job) => job.id)).toEqual([second.id]);
  });

  it('hands out a verified job when its next check is due, and a cleanup-eligible one only with cleanup on', async () => {
    store = await SyncJobStore.open(queuePath());
    const verified = store.insert(newJob('/lab/A/Run_1', '2026-03-02T09:00:00Z'));
    store.transition(verified.id, ['queued'], 'verified', { next_attempt_at: '2026-03-02T10:30:00Z' });
    const eligible = store.insert(newJob('/lab/A/Run_2', '2026-03-02T09:05:00Z'));
    store.transition(eligible.id, ['queued'], 'cleanup_eligible');
    expect(store.nextDue('2026-03-02T10:00:00Z', { cleanup: false })).toBeUndefined();
    expect(store.nextDue('2026-03-02T10:00:00Z', { cleanup: true })?.id).toBe(eligible.id);
    expect(store.nextWakeAt({ cleanup: false })).toBe('2026-03-02T10:30:00Z');
    expect(store.nextDue('2026-03-02T10:30:00Z', { cleanup: false })?.id).toBe(verified.id);
  });

  it('moves a row that does not read as a job aside, keeping it, so the others go on', async () => {
    store = await SyncJobStore.open(queuePath());
    const bad = store.insert(newJob('/lab/A/Run_1', '2026-03-02T09:00:00Z'));
    const good = store.insert(newJob('/lab/A/Run_2', '2026-03-02T09:05:00Z'));
    store.close();
    const raw = new DatabaseSync(queuePath());
    raw.prepare("UPDATE jobs SET level = 'bogus' WHERE id = ?").run(bad.id);
    raw.close();
    store = await SyncJobStore.open(queuePath());
    expect(() => store?.nextDue('2026-03-02T10:00:00Z', { cleanup: false })).toThrow(
      expect.objectContaining({ code: 'sync_queue_invalid', details: expect.objectContaining({ id: bad.id }) }),
    );
    expect(store.list().map((job) => job.id)).toEqual([good.id]);
    expect(store.setAside(bad.id, 'level: invalid', '2026-03-02T10:00:00Z')).toBe('/lab/A/Run_1');
    expect(store.nextDue('2026-03-02T10:00:00Z', { cleanup: false })?.id).toBe(good.id);
    store.close();
    const check = new DatabaseSync(queuePath());
    expect(check.prepare('SELECT id, reason FROM unreadable_jobs').all()).toEqual([{ id: bad.id, reason: 'level: invalid' }]);
    check.close();
  });

  it('adds the columns a queue in the older S1 layout lacks, keeping its jobs', async () => {
    const path = queuePath();
    await mkdir(join(dir, 'state'), { recursive: true });
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, run_path TEXT UNIQUE NOT NULL, equipment_id TEXT, state TEXT, attempts INTEGER DEFAULT 0,
      last_attempt_at TEXT, next_attempt_at TEXT, last_error TEXT, verify_passes INTEGER DEFAULT 0, verified_at TEXT, enqueued_at TEXT, nas_path TEXT)`);
    old
      .prepare('INSERT INTO jobs (id, run_path, equipment_id, state, enqueued_at, nas_path) VALUES (?, ?, ?, ?, ?, ?)')
      .run('py-1', '/lab/A/Run_1', 'CONFOCAL_01', 'queued', '2026-03-01T08:00:00Z', '//nas/lab/A/Run_1');
    old.close();
    store = await SyncJobStore.open(path);
    expect(store.get('py-1')).toMatchObject({ state: 'queued', level: 'run', mismatches: 0, last_error_detail: null });
    expect(store.insert(newJob('/lab/A/Run_2')).level).toBe('run');
  });

  it('refuses a database whose jobs table is not a queue, and leaves it alone', async () => {
    const path = queuePath();
    await mkdir(join(dir, 'state'), { recursive: true });
    const other = new DatabaseSync(path);
    other.exec('CREATE TABLE jobs (name TEXT)');
    other.close();
    await expect(SyncJobStore.open(path)).rejects.toMatchObject({
      code: 'sync_queue_invalid',
      details: { missing: ['id', 'run_path', 'equipment_id', 'state', 'enqueued_at'] },
    });
  });

  it('refuses a queue written by a newer app and leaves it untouched', async () => {
    const path = queuePath();
    store = await SyncJobStore.open(path);
    store.close();
    store = undefined;
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 7');
    db.close();
    await expect(SyncJobStore.open(path)).rejects.toMatchObject({ code: 'schema_major_mismatch', details: { found: 7 } });
  });
});
