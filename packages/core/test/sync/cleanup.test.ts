import { access, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter } from '../../src/cache/index.js';
import type { Config, ValidationOverride } from '../../src/schemas/index.js';
import { cleanupHold, removeVerifiedFiles, scanFolder, type NasSync } from '../../src/sync/index.js';
import { EQUIPMENT, SyncLab, syncStatusOf, syncTestBed, type ManualClock } from './support.js';

const settings = { enabled: true, min_verify_passes: 2, min_age_hours: 24, retain_cache: true };
const now = new Date('2026-03-03T12:00:00Z');

function tombstone(recordedAt: string): ValidationOverride {
  return { id: 't-1', revokes: 'o-1', operator: 'ada', recorded_at: recordedAt, reason: 'The naming was wrong after all.', revoked: true };
}

describe('cleanup interlocks (§7.1.6, S8)', () => {
  it('holds until enough passes, then until min_age_hours after the last one', () => {
    expect(cleanupHold({ verify_passes: 1, verified_at: '2026-03-01T00:00:00Z' }, [], settings, now)).toMatchObject({
      reason: 'verify_passes',
    });
    expect(cleanupHold({ verify_passes: 2, verified_at: '2026-03-03T00:00:00Z' }, [], settings, now)).toMatchObject({
      reason: 'min_age',
      until: new Date('2026-03-04T00:00:00Z'),
    });
    expect(cleanupHold({ verify_passes: 2, verified_at: '2026-03-02T12:00:00Z' }, [], settings, now)).toBeNull();
  });

  it('holds when an override was revoked after the last verification or within min_age_hours', () => {
    const job = { verify_passes: 3, verified_at: '2026-03-01T00:00:00Z' };
    expect(cleanupHold(job, [tombstone('2026-03-02T18:00:00Z')], settings, now)).toMatchObject({ reason: 'override_revoked' });
    expect(cleanupHold(job, [tombstone('2026-02-20T00:00:00Z')], settings, now)).toBeNull();
  });
});

const bed = syncTestBed({ otherDisk: true });
let lab: SyncLab;
let clock: ManualClock;

beforeEach(() => {
  ({ lab, clock } = bed);
});

function nasSync(cleanup: Partial<Config['nas_cleanup']>): Promise<NasSync> {
  const config = lab.config({ extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 0, ...cleanup } } });
  return bed.open(config, { start: true });
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('the cleanup reaper (§7.1.6, §7.1.10)', () => {
  it('removes the data but keeps .exlab-wizard, marks the run cleaned and logs what it removed', async () => {
    const run = await lab.run();
    const sync = await nasSync({});
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'cleaned', verify_passes: 1 });
    expect(await exists(join(run, 'data'))).toBe(false);
    expect(await exists(join(run, 'README.md'))).toBe(false);
    expect(await exists(join(run, '.exlab-wizard', 'checksums.sha256'))).toBe(true);
    expect(await syncStatusOf(run)).toBe('cleaned');
    expect(await readFile(join(lab.nasCopyOf(run), 'data', 'plate_01.csv'), 'utf8')).toBe('well,value\nA1,0.42\n');
    const cacheDir = join(lab.tree.path(EQUIPMENT), '.exlab-wizard');
    const logName = (await readdir(cacheDir)).find((name) => name.startsWith('wizard.') && name.endsWith('.log'));
    const log = await readFile(join(cacheDir, logName ?? 'missing'), 'utf8');
    expect(log).toMatch(
      /\[INFO \].*Cleaned .*Run_2026-03-02T09-15: 3 file\(s\), \d+ bytes removed, \.exlab-wizard kept; verified 1 time\(s\)/,
    );
  });

  it('removes the whole folder with retain_cache: false', async () => {
    const run = await lab.run();
    const sync = await nasSync({ retain_cache: false });
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.status(run)).toBe('cleaned');
    expect(await exists(run)).toBe(false);
  });

  it('with cleanup off, a verified run becomes eligible and keeps every file', async () => {
    const run = await lab.run();
    const sync = await nasSync({ enabled: false });
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.status(run)).toBe('cleanup_eligible');
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
    expect(await syncStatusOf(run)).toBe('synced');
  });

  it('verifies a second time an hour later before a run with min_verify_passes 2 is cleaned', async () => {
    const run = await lab.run();
    const sync = await nasSync({ min_verify_passes: 2 });
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', verify_passes: 1, next_attempt_at: '2026-03-02T10:30:00Z' });
    expect(await exists(join(run, 'notes.txt'))).toBe(true);
    clock.advance(3_600_000);
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'cleaned', verify_passes: 2, verified_at: '2026-03-02T10:30:00Z' });
    expect(await exists(join(run, 'notes.txt'))).toBe(false);
  });

  it('keeps the files while the NAS root does not answer, and cleans once it does', async () => {
    const run = await lab.run();
    const sync = await nasSync({ enabled: false });
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    // The share is unmounted before cleanup is turned on.
    await rm(lab.nas, { recursive: true });
    const config = lab.config({ extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 0 } } });
    await bed.close(sync);
    const later = await bed.open(config, { start: true });
    await later.whenIdle();
    expect(later.status(run)).toBe('cleanup_eligible');
    expect(await exists(join(run, 'notes.txt'))).toBe(true);
    expect(clock.nextTimerIn()).toBe(3_600_000);
  });

  it('never deletes a run whose local files changed after the verified push', async () => {
    const run = await lab.run();
    const sync = await nasSync({ enabled: false });
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    await writeFile(join(run, 'notes.txt'), 'baseline, then more notes\n');
    const config = lab.config({ extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 0 } } });
    await bed.close(sync);
    const later = await bed.open(config, { start: true });
    await later.whenIdle();
    expect(later.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'hash_mismatch' });
    expect(later.job(job?.id ?? '')?.last_error_detail).toContain('nothing was deleted');
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline, then more notes\n');
  });

  it('keeps a run whose override was revoked since its verification', async () => {
    const run = await lab.run();
    const writer = new CacheWriter({ clock: clock.now });
    const override = await writer.appendOverride(run, {
      problem_class: 'leftover_jinja_marker',
      operator: 'ada',
      reason: 'Not a template marker here.',
    });
    const sync = await nasSync({ min_verify_passes: 1, min_age_hours: 1 });
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    clock.advance(600_000);
    await writer.revokeOverride(run, { revokes: override.id, operator: 'ada', reason: 'Wrong call, it was a marker.' });
    clock.advance(3_000_000);
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified' });
    expect(await exists(join(run, 'notes.txt'))).toBe(true);
  });
});

describe('the cleanup reaper never loses data', () => {
  it('hashes the run after the NAS listing: a file written meanwhile stops the cleanup, nothing is deleted', async () => {
    const run = await lab.run();
    const rcloneConfig = join(lab.root, 'rclone.conf');
    await writeFile(rcloneConfig, '[lab-nas]\ntype = local\n');
    // The acquisition writes one more frame while rclone lists the NAS copy.
    const rclone = await lab.script(
      'rclone',
      `if [ "$1" = hashsum ] && [ -e "$ARMED" ]; then echo frame > "$RUN/late_frame.tif"; fi\nexec rclone "$@"`,
    );
    const env = { ...process.env, RCLONE_CONFIG: rcloneConfig, ARMED: join(lab.root, 'armed'), RUN: run };
    const config = lab.config({
      transport: { type: 'rclone', rclone_remote: 'lab-nas', rclone_remote_path: lab.nas },
      extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 1 } },
    });
    const sync = await bed.open(config, { env, commands: { rclone }, start: true });
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')?.state).toBe('verified');
    await writeFile(join(lab.root, 'armed'), '');
    clock.advance(3_600_000);
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'hash_mismatch' });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('late_frame.tif');
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
    expect(await readFile(join(run, 'late_frame.tif'), 'utf8')).toBe('frame\n');
    // Local and NAS copies differ now: an operator decides (a retry pushes the local copy again).
    expect(await syncStatusOf(run)).toBe('failed');
  });

  it('removes only files that are still the ones it hashed', async () => {
    const run = await lab.run();
    const scanned = await scanFolder(run);
    await writeFile(join(run, 'notes.txt'), 'changed after the scan\n');
    await writeFile(join(run, 'new.txt'), 'written after the scan\n');
    const report = await removeVerifiedFiles(run, scanned);
    expect(report.kept).toEqual(['notes.txt']);
    expect(report.files).toBe(2);
    expect((await readdir(run)).sort()).toEqual(['.exlab-wizard', 'new.txt', 'notes.txt']);
  });

  it('refuses a mounted-share NAS path that overlaps the lab folders (through a link), before anything is written', async () => {
    const run = await lab.run();
    // The config check sees two different paths; the link makes them one folder.
    await symlink(lab.tree.lab, join(lab.root, 'nas-link'));
    const config = lab.config({
      transport: { type: 'local', path: join(lab.root, 'nas-link') },
      extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 0 } },
    });
    const sync = await bed.open(config, { start: true });
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'nas_root_invalid' });
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
  });

  it('never creates a missing NAS folder (an unmounted share): the push waits and the run stays', async () => {
    const run = await lab.run();
    await rm(lab.nas, { recursive: true });
    const sync = await nasSync({});
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'queued', attempts: 1, last_error: 'network' });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('is the share mounted');
    expect(await exists(lab.nas)).toBe(false);
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
  });

  it('keeps a run whose NAS copy is on the same disk', async () => {
    const sameDisk = await SyncLab.create();
    let sync: NasSync | undefined;
    try {
      const run = await sameDisk.run();
      const config = sameDisk.config({ extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 0 } } });
      sync = await bed.open(config, { queuePath: sameDisk.queuePath, start: true });
      await sync.enqueue({ path: run });
      await sync.whenIdle();
      expect(sync.status(run)).toBe('cleanup_eligible');
      expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
    } finally {
      if (sync) await bed.close(sync);
      await sameDisk.cleanup();
    }
  });

  it('with retain_cache: false keeps the whole folder while its metadata cannot reach the NAS', async () => {
    const run = await lab.run();
    // The NAS refuses everything under .exlab-wizard/.
    const rsync = await lab.script(
      'rsync',
      `for last; do :; done\ncase "$last" in */.exlab-wizard/) echo "rsync: connection unexpectedly closed" >&2; exit 30;; esac\nexec rsync "$@"`,
    );
    const config = lab.config({ extra: { nas_cleanup: { ...settings, min_verify_passes: 1, min_age_hours: 0, retain_cache: false } } });
    const sync = await bed.open(config, { commands: { rsync }, start: true });
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')?.state).toBe('cleanup_eligible');
    expect(await readFile(join(run, '.exlab-wizard', 'checksums.sha256'), 'utf8')).not.toBe('');
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
  });

  it('never cleans a run that holds a symbolic link the NAS copy lacks', async () => {
    const run = await lab.run();
    await symlink('/dev/null', join(run, 'raw_link'));
    const sync = await nasSync({});
    await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.status(run)).toBe('verified');
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('baseline\n');
  });
});
