// The rclone and rsync-over-ssh transports against the real programs: rclone with a `local` remote
// from a temporary rclone.conf, and rsync through a real sshd listening on loopback.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canRunSshd, startSshd, syncStatusOf, syncTestBed, type LoopbackSshd, type SyncLab } from './support.js';

const bed = syncTestBed();
let lab: SyncLab;

beforeEach(() => {
  ({ lab } = bed);
});

describe('rclone transport with a local remote', () => {
  it('copies by checksum, verifies with rclone hashsum and records the run as synced', async () => {
    const run = await lab.run();
    const rcloneConfig = join(lab.root, 'rclone.conf');
    await writeFile(rcloneConfig, '[lab-nas]\ntype = local\n');
    const config = lab.config({ transport: { type: 'rclone', rclone_remote: 'lab-nas', rclone_remote_path: lab.nas } });
    const sync = await bed.open(config, { env: { ...process.env, RCLONE_CONFIG: rcloneConfig } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', verify_passes: 1 });
    expect(await readFile(join(lab.nasCopyOf(run), 'data', 'plate_01.csv'), 'utf8')).toBe('well,value\nA1,0.42\n');
    expect(await syncStatusOf(lab.nasCopyOf(run))).toBe('synced');
  });
});

describe.runIf(await canRunSshd())('rsync over ssh to a real sshd on loopback', () => {
  let sshd: LoopbackSshd;
  let sshdDir: string;

  beforeAll(async () => {
    sshdDir = await mkdtemp(join(tmpdir(), 'exlab-sshd-'));
    sshd = await startSshd(sshdDir);
  });

  afterAll(async () => {
    await sshd?.stop();
    await rm(sshdDir, { recursive: true, force: true });
  });

  it('pushes with the key over ssh, verifies with find | sha256sum there, and marks the run synced', async () => {
    const run = await lab.run({ project: "Kim's Cortex" });
    const config = lab.config({
      transport: { type: 'rsync_ssh', ssh_target: `${sshd.user}@127.0.0.1`, ssh_key_path: sshd.clientKey, remote_path: lab.nas },
    });
    const sync = await bed.open(config, { commands: { sshOptions: sshd.sshOptions } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'verified', last_error: null });
    expect(await readFile(join(lab.nasCopyOf(run), 'notes.txt'), 'utf8')).toBe('baseline\n');
    expect(await syncStatusOf(run)).toBe('synced');
  });

  it('fails at once, without retrying, when the server refuses the key', async () => {
    const run = await lab.run();
    const config = lab.config({
      transport: {
        type: 'rsync_ssh',
        ssh_target: `${sshd.user}@127.0.0.1`,
        ssh_key_path: join(lab.root, 'no-such-key'),
        remote_path: lab.nas,
      },
    });
    const sync = await bed.open(config, { commands: { sshOptions: sshd.sshOptions } });
    sync.start();
    const { job } = await sync.enqueue({ path: run });
    await sync.whenIdle();
    expect(sync.job(job?.id ?? '')).toMatchObject({ state: 'failed', last_error: 'auth', attempts: 0 });
    expect(sync.job(job?.id ?? '')?.last_error_detail).toContain('Permission denied');
  });
});
