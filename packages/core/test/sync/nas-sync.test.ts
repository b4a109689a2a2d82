import { access, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter } from '../../src/cache/index.js';
import type { Config } from '../../src/schemas/index.js';
import { parseChecksums, sha256File, type NasSync, type NasSyncOptions } from '../../src/sync/index.js';
import { EQUIPMENT, RUN_LEAF, syncStatusOf, syncTestBed, type ManualClock, type SyncLab } from './support.js';

const bed = syncTestBed();
let lab: SyncLab;
let clock: ManualClock;

beforeEach(() => {
  ({ lab, clock } = bed);
});

const nasSync = (config: Config | (() => Config), options: Partial<NasSyncOptions> = {}): Promise<NasSync> => bed.open(config, options);

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('NAS sync to a mounted share with the real rsync (§7.1)', () => {
  it('pushes a run into the mirrored layout, verifies every file, records the manifest and marks it synced, on the NAS too', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config());
    sync.start();
    const queued = await sync.enqueue({ path: run });
    expect(queued).toMatchObject({ state: 'queued', job: { equipment_id: EQUIPMENT, level: 'run', attempts: 0 } });
    await sync.whenIdle();

    const copy = lab.nasCopyOf(run);
    expect(copy).toBe(join(lab.nas, EQUIPMENT, 'Cortex Q3 Pilot', 'Runs', RUN_LEAF));
    expect(await readFile(join(copy, 'data', 'plate_01.csv'), 'utf8')).toBe('well,value\nA1,0.42\n');
    const job = sync.job(queued.job?.id ?? '');
    expect(job).toMatchObject({ state: 'verified', verify_passes: 1, verified_at: '2026-03-02T09:30:00Z', last_error: null });
    expect(await syncStatusOf(run)).toBe('synced');
    // The metadata went again after the verification: the NAS copy says synced and has the manifest.
    expect(await syncStatusOf(copy)).toBe('synced');
    const manifest = parseChecksums(await readFile(join(run, '.exlab-wizard', 'checksums.sha256'), 'utf8'));
    expect([...manifest.keys()]).toEqual(['README.md', 'data/plate_01.csv', 'notes.txt']);
    expect(manifest.get('notes.txt')).toBe(await sha256File(join(run, 'notes.txt')));
    expect(await readFile(join(copy, '.exlab-wizard', 'checksums.sha256'), 'utf8')).toBe(
      await readFile(join(run, '.exlab-wizard', 'checksums.sha256'), 'utf8'),
    );
    expect(sync.stats()).toEqual({ queue_depth: 0, in_flight: 0, failed: 0 });
  });

  it('blocks a run with a hard finding: no job, creation.json blocked_by_validation, until an override covers it', async () => {
    const run = await lab.run({ files: { 'notes.txt': 'Sample <sample_id> at 4 C.\n' } });
    const config = lab.config();
    const sync = await nasSync(config);
    const blocked = await sync.enqueue({ path: run });
    expect(blocked.state).toBe('blocked');
    expect(blocked.state === 'blocked' && blocked.blockingFindings.map((f) => f.rule)).toEqual(['unresolved_placeholder_token']);
    expect(await syncStatusOf(run)).toBe('blocked_by_validation');
    expect(sync.status(run)).toBe('none');

    await new CacheWriter({ clock: clock.now }).appendOverride(run, {
      problem_class: 'unresolved_placeholder_token',
      operator: 'ada',
      reason: 'The instrument software names its files this way.',
    });
    const queued = await sync.enqueue({ path: run });
    expect(queued.state).toBe('queued');
    expect(await syncStatusOf(run)).toBe('pending');
  });

  it('refuses a folder of an equipment that is not configured, and never pushes it to another remote', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config());
    await expect(sync.enqueue({ path: run, equipmentId: 'GHOST_01' })).rejects.toMatchObject({
      code: 'equipment_not_configured',
      field: 'equipment_id',
    });
    const outside = await lab.tree.folder(join(lab.root, 'elsewhere', 'Run_1'));
    await lab.tree.creation(
      outside,
      JSON.parse(await readFile(join(run, '.exlab-wizard', 'creation.json'), 'utf8')) as Record<string, unknown>,
    );
    await expect(sync.enqueue({ path: outside })).rejects.toMatchObject({ code: 'equipment_not_configured', field: 'path' });
    expect(sync.jobs()).toEqual([]);
  });

  it('leaves the runs of a staging equipment to the orchestrator', async () => {
    const run = await lab.run();
    const base = lab.config();
    const config = {
      ...base,
      equipment: base.equipment.map((entry) =>
        entry.id === EQUIPMENT
          ? { ...entry, sync_mode: 'stage' as const, transport: undefined, orchestrator_staging_transport: { type: 'smb_mount' as const } }
          : entry,
      ),
    } as Config;
    const sync = await nasSync(config);
    expect(await sync.enqueue({ path: run })).toMatchObject({ state: 'not_synced', job: null });
    expect(sync.jobs()).toEqual([]);
  });

  it('a project job pushes the project files but never its run folders', async () => {
    const run = await lab.run();
    const project = join(run, '..', '..');
    await writeFile(join(project, 'README.md'), '# Cortex\n');
    const sync = await nasSync(lab.config());
    sync.start();
    await sync.enqueue({ path: project });
    await sync.whenIdle();
    expect(sync.status(project)).toBe('verified');
    const copy = lab.nasCopyOf(project);
    expect(await readFile(join(copy, 'README.md'), 'utf8')).toBe('# Cortex\n');
    expect(await exists(join(copy, 'Runs'))).toBe(false);
  });

  it('fails a job whose run vanished before the push, and a retry after it is back succeeds', async () => {
    const run = await lab.run();
    const saved = await readFile(join(run, '.exlab-wizard', 'creation.json'));
    const sync = await nasSync(lab.config());
    const { job } = await sync.enqueue({ path: run });
    await rm(run, { recursive: true });
    sync.start();
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'local_file_vanished' });
    expect(sync.stats().failed).toBe(1);

    await lab.run();
    await writeFile(join(run, '.exlab-wizard', 'creation.json'), saved);
    await sync.retry(job?.id ?? '');
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', attempts: 0, last_error: null });
    await expect(sync.retry(job?.id ?? '')).rejects.toMatchObject({ code: 'sync_job_state_changed' });
    await expect(sync.retry('no-such-job')).rejects.toMatchObject({ code: 'sync_job_not_found' });
  });

  it('queues an interrupted push again after a restart and finishes it', async () => {
    const run = await lab.run();
    const config = lab.config();
    // A slow rsync: the first run is stopped by the shutdown, the next one copies.
    const slow = await lab.script('rsync', `[ -e "$SYNC_STARTED" ] || { : > "$SYNC_STARTED"; exec sleep 30; }\nexec rsync "$@"`);
    const started = join(lab.root, 'started');
    const env = { ...process.env, SYNC_STARTED: started };
    const first = await nasSync(config, { commands: { rsync: slow }, env });
    first.start();
    await first.enqueue({ path: run });
    while (!(await exists(started))) await new Promise((resolve) => setImmediate(resolve));
    expect(first.stats()).toMatchObject({ in_flight: 1, queue_depth: 0 });
    await bed.close(first);

    const second = await nasSync(config, { commands: { rsync: slow }, env });
    expect(second.status(run)).toBe('queued');
    second.start();
    await second.whenIdle();
    expect(second.status(run)).toBe('verified');
    expect(await exists(join(lab.nasCopyOf(run), 'notes.txt'))).toBe(true);
  });
});

describe('NAS sync failures and retries (§7.1.5)', () => {
  it('backs a network failure off 30 s, then 2 min, and fails after sync.retry_attempts retries', async () => {
    const run = await lab.run();
    const rsync = await lab.script('rsync', 'echo "rsync: connection unexpectedly closed (0 bytes received so far) [sender]" >&2\nexit 30');
    const sync = await nasSync(lab.config({ extra: { sync: { retry_attempts: 2 } } }), { commands: { rsync } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    const id = job?.id ?? '';
    await sync.whenIdle();
    expect(sync.job(id)).toMatchObject({ state: 'queued', attempts: 1, last_error: 'network', next_attempt_at: '2026-03-02T09:30:30Z' });
    expect(sync.job(id)?.last_error_detail).toContain('connection unexpectedly closed');
    expect(clock.nextTimerIn()).toBe(30_000);

    clock.advance(29_000);
    await sync.whenIdle();
    expect(sync.job(id)?.attempts).toBe(1);
    clock.advance(1_000);
    await sync.whenIdle();
    expect(sync.job(id)).toMatchObject({ state: 'queued', attempts: 2, next_attempt_at: '2026-03-02T09:32:30Z' });

    clock.advance(120_000);
    await sync.whenIdle();
    expect(sync.job(id)).toMatchObject({ state: 'failed', attempts: 2, last_error: 'network' });
    expect(sync.job(id)?.last_error_detail).toContain('gave up after 3 attempts');
    expect(await syncStatusOf(run)).toBe('failed');
    expect(clock.nextTimerIn()).toBeUndefined();
  });

  it('fails an authentication problem at once, without retrying', async () => {
    const run = await lab.run();
    const rsync = await lab.script('rsync', 'echo "rsync: mkdir failed: Permission denied (13)" >&2\nexit 23');
    const sync = await nasSync(lab.config(), { commands: { rsync } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', attempts: 0, last_error: 'auth' });
    expect(await syncStatusOf(run)).toBe('failed');
  });

  it('fails clearly when the transport program is not installed', async () => {
    const run = await lab.run();
    const config = lab.config({ transport: { type: 'rclone', rclone_remote: 'lab-nas', rclone_remote_path: '/lab' } });
    const sync = await nasSync(config, { commands: { rclone: join(lab.root, 'no-such-rclone') } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'transport_unavailable' });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('could not be started');
  });

  it('writes a mounted share through a share process when rsync is not installed, metadata and all', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config(), { env: { ...process.env, PATH: join(lab.root, 'empty-bin') } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', last_error: null });
    const copy = lab.nasCopyOf(run);
    expect(await readFile(join(copy, 'data', 'plate_01.csv'), 'utf8')).toBe('well,value\nA1,0.42\n');
    expect(await syncStatusOf(copy)).toBe('synced');
    expect((await readdir(copy)).filter((name) => name.includes('.exlab-copy'))).toEqual([]);
  });

  it('backs off when the mounted share hangs: the share process is stopped and the tray-side worker moves on', async () => {
    const run = await lab.run();
    // A share process that hangs as one on a dead NFS server would (it stops itself before doing anything).
    const node = await lab.script('hanging-node', 'kill -STOP $$');
    const sync = await nasSync(lab.config(), { share: { node, stallMs: 200 } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'queued', attempts: 1, last_error: 'network' });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('showed no progress');
    expect(await syncStatusOf(run)).toBe('pending');
  });

  it('pushes again after a first hash mismatch and verifies; the mismatch stays on record', async () => {
    const run = await lab.run();
    // The NAS corrupts the first copy of plate_01.csv.
    const rsync = await lab.script(
      'rsync',
      `rsync "$@" || exit $?\nfor last; do :; done\ncase "$last" in */.exlab-wizard/) exit 0;; esac\n[ -e "$CORRUPTED" ] && exit 0\n: > "$CORRUPTED"\necho garbage >> "$last/data/plate_01.csv"`,
    );
    const sync = await nasSync(lab.config(), { commands: { rsync }, env: { ...process.env, CORRUPTED: join(lab.root, 'corrupted') } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', verify_passes: 1, last_error: 'hash_mismatch', attempts: 0 });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('data/plate_01.csv');
    expect(await readFile(join(lab.nasCopyOf(run), 'data', 'plate_01.csv'), 'utf8')).toBe('well,value\nA1,0.42\n');
  });

  it('fails a job whose copy mismatches twice', async () => {
    const run = await lab.run();
    const rsync = await lab.script(
      'rsync',
      `rsync "$@" || exit $?\nfor last; do :; done\ncase "$last" in */.exlab-wizard/) exit 0;; esac\necho garbage >> "$last/notes.txt"`,
    );
    const sync = await nasSync(lab.config(), { commands: { rsync } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'hash_mismatch' });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('second time');
    expect(await syncStatusOf(run)).toBe('failed');
  });

  it('backs off instead of spinning when this machine fails it (a corrupt creation.json), then fails it', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config({ extra: { sync: { retry_attempts: 1 } } }));
    const { job } = await sync.enqueue({ path: run });
    await writeFile(join(run, '.exlab-wizard', 'creation.json'), '{ not json');
    sync.start();
    await sync.whenIdle();
    // Pushed, but the synced mark cannot be written: the verification waits and is tried again.
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'awaiting_verify', attempts: 1, last_error: 'local_error' });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('creation.json');
    expect(clock.nextTimerIn()).toBe(30_000);
    clock.advance(30_000);
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'local_error' });
  });

  it('holds queued jobs while sync.enabled is false and pushes them once it is turned on', async () => {
    const run = await lab.run();
    let config = lab.config({ extra: { sync: { enabled: false } } });
    const sync = await nasSync(() => config);
    sync.start();
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.status(run)).toBe('queued');
    config = lab.config();
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.status(run)).toBe('verified');
  });
});

describe('NAS sync robustness', () => {
  it('postpones a re-verification while the share is not mounted, and never fails the verified run', async () => {
    const run = await lab.run();
    const config = lab.config({ extra: { nas_cleanup: { enabled: false, min_verify_passes: 2, min_age_hours: 24, retain_cache: true } } });
    const sync = await nasSync(config);
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    await rm(lab.nas, { recursive: true });
    clock.advance(3_600_000);
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', verify_passes: 1, next_attempt_at: '2026-03-02T11:30:00Z' });
    expect(await syncStatusOf(run)).toBe('synced');
  });

  it('arms no timer while sync.enabled is false, even for a job whose back-off has passed', async () => {
    const run = await lab.run();
    const rsync = await lab.script('rsync', 'echo "rsync: connection unexpectedly closed" >&2\nexit 30');
    let config = lab.config();
    const sync = await nasSync(() => config, { commands: { rsync } });
    sync.start();
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(clock.nextTimerIn()).toBe(30_000);
    config = lab.config({ extra: { sync: { enabled: false } } });
    clock.advance(30_000);
    await sync.whenIdle();
    expect(clock.nextTimerIn()).toBeUndefined();
    expect(sync.status(run)).toBe('queued');
  });

  it('waits 30 s and tries again when another program holds the queue locked, without blocking for long', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config());
    await sync.enqueue({ path: run });
    const other = new DatabaseSync(lab.queuePath);
    other.exec('BEGIN IMMEDIATE');
    try {
      sync.start();
      await sync.whenIdle();
      expect(sync.status(run)).toBe('queued');
      expect(clock.nextTimerIn()).toBe(30_000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    clock.advance(30_000);
    await sync.whenIdle();
    expect(sync.status(run)).toBe('verified');
  });

  it('refuses a folder named for an equipment it is not under', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config());
    await expect(sync.enqueue({ path: run, equipmentId: 'FLOW_01' }, { gate: false })).rejects.toMatchObject({
      code: 'equipment_not_configured',
      field: 'path',
    });
    expect(sync.jobs()).toEqual([]);
  });

  it('leaves a job under way or done as it is, creation.json too, when the folder is enqueued again', async () => {
    const run = await lab.run();
    const sync = await nasSync(lab.config());
    sync.start();
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    await writeFile(join(run, 'added_<later>.txt'), 'x\n');
    expect(await sync.enqueue({ path: run })).toMatchObject({ state: 'verified' });
    expect(await syncStatusOf(run)).toBe('synced');
  });
});
