import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NasTransport } from '../../src/schemas/index.js';
import { classifyFailure, DEFAULT_SYNC_COMMANDS, pushCommand, remoteHashCommand, remoteRootProbe } from '../../src/sync/index.js';

const rclone: NasTransport = { type: 'rclone', rclone_remote: 'lab-nas', rclone_remote_path: '/lab' };
const rsync: NasTransport = { type: 'rsync_ssh', ssh_target: 'sync@nas01', ssh_key_path: '~/.ssh/id_ed25519', remote_path: '/volume1/lab' };
const local: NasTransport = { type: 'local', path: '/mnt/nas/lab' };
const run = '/data/lab/CONFOCAL_01/Cortex Q3 Pilot/Runs/Run_2026-03-02T09-15';
const target = 'CONFOCAL_01/Cortex Q3 Pilot/Runs/Run_2026-03-02T09-15';
const request = { source: run, target, bwlimitKiB: null, exclude: [] };
const SSH_TIMEOUTS = '-o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4';

describe('push commands (S5)', () => {
  it('copies with rclone by checksum into <remote>:<path>/<target>, with --bwlimit in K only when limited', () => {
    expect(pushCommand(rclone, request, DEFAULT_SYNC_COMMANDS)).toEqual({
      file: 'rclone',
      args: ['copy', '--checksum', run, `lab-nas:/lab/${target}`],
    });
    expect(pushCommand(rclone, { ...request, bwlimitKiB: 512 }, DEFAULT_SYNC_COMMANDS).args).toEqual([
      'copy',
      '--checksum',
      '--bwlimit',
      '512K',
      run,
      `lab-nas:/lab/${target}`,
    ]);
  });

  it('pushes with rsync over ssh with the key and BatchMode, contents into the target (never nested)', () => {
    const key = join(homedir(), '.ssh', 'id_ed25519');
    expect(pushCommand(rsync, { ...request, bwlimitKiB: 128 }, DEFAULT_SYNC_COMMANDS)).toEqual({
      file: 'rsync',
      args: [
        '-a',
        '--checksum',
        '--partial',
        '--mkpath',
        '--timeout=600',
        '-e',
        `ssh -i ${key} -o BatchMode=yes ${SSH_TIMEOUTS}`,
        '--bwlimit=128',
        `${run}/`,
        `sync@nas01:/volume1/lab/${target}/`,
      ],
    });
  });

  it('quotes an ssh key path with spaces for rsync and appends extra ssh options', () => {
    const transport: NasTransport = { ...rsync, ssh_key_path: '/keys/lab key' } as NasTransport;
    const command = pushCommand(transport, request, { ...DEFAULT_SYNC_COMMANDS, sshOptions: ['-p', '2222'] });
    expect(command.args[6]).toBe(`ssh -i '/keys/lab key' -o BatchMode=yes ${SSH_TIMEOUTS} -p 2222`);
  });

  it('rsyncs into a mounted share for the local transport, and leaves out a project job run folders', () => {
    expect(pushCommand(local, { ...request, exclude: ['Runs', 'TestRuns'] }, DEFAULT_SYNC_COMMANDS)).toEqual({
      file: 'rsync',
      args: [
        '-a',
        '--checksum',
        '--partial',
        '--mkpath',
        '--timeout=600',
        '--exclude=/Runs/',
        '--exclude=/TestRuns/',
        `${run}/`,
        `/mnt/nas/lab/${target}/`,
      ],
    });
  });
});

describe('verification and reachability probes (S6, S8)', () => {
  it('asks rclone for sha256 sums and ssh for find | sha256sum with the path quoted', () => {
    expect(remoteHashCommand(rclone, target, DEFAULT_SYNC_COMMANDS)).toEqual({
      file: 'rclone',
      args: ['hashsum', 'sha256', `lab-nas:/lab/${target}`],
    });
    const ssh = remoteHashCommand(rsync, target, DEFAULT_SYNC_COMMANDS);
    expect(ssh?.file).toBe('ssh');
    // `--` ends ssh's options: a host name can never be read as one.
    expect(ssh?.args.slice(-3)).toEqual(['--', 'sync@nas01', `find '/volume1/lab/${target}' -type f -exec sha256sum {} +`]);
    expect(ssh?.args).toEqual(expect.arrayContaining(['ConnectTimeout=30', 'ServerAliveInterval=15']));
    expect(ssh?.args).toContain('BatchMode=yes');
    expect(remoteHashCommand(local, target, DEFAULT_SYNC_COMMANDS)).toBeNull();
  });

  it('quotes a single quote in a remote path so the remote shell sees one word', () => {
    const ssh = remoteHashCommand(rsync, "P/it's", DEFAULT_SYNC_COMMANDS);
    expect(ssh?.args.at(-1)).toBe(`find '/volume1/lab/P/it'\\''s' -type f -exec sha256sum {} +`);
  });

  it('probes the NAS root with rclone lsf or ssh test -d', () => {
    expect(remoteRootProbe(rclone, DEFAULT_SYNC_COMMANDS)?.args).toEqual(['lsf', '--max-depth', '1', 'lab-nas:/lab']);
    expect(remoteRootProbe(rsync, DEFAULT_SYNC_COMMANDS)?.args.at(-1)).toBe(`test -d '/volume1/lab'`);
    expect(remoteRootProbe(local, DEFAULT_SYNC_COMMANDS)).toBeNull();
  });
});

describe('failure classification (S5, §7.1.5)', () => {
  it.each([
    [rclone, 1, '2026/03/02 ERROR : 401 Unauthorized', 'auth'],
    [rclone, 1, 'Failed to copy: AUTH_ERROR', 'auth'],
    [rsync, 255, 'sync@nas01: Permission denied (publickey).', 'auth'],
    [rsync, 255, 'Host key verification failed.', 'auth'],
    [rsync, 23, 'rsync: mkdir "/volume1/lab/x" failed: Permission denied (13)', 'auth'],
    [rclone, 1, 'ERROR : file.txt: hash mismatch on file', 'hash_mismatch'],
    [rsync, 1, 'checksum mismatch', 'hash_mismatch'],
    [rsync, 30, 'rsync: connection unexpectedly closed', 'network'],
    [rclone, 1, 'network timeout', 'network'],
    [rsync, 12, '', 'network'],
    [rsync, 23, 'rsync: [sender] send_files failed to open "/data/run/raw.tif": Permission denied (13)', 'local_error'],
  ] as const)('classifies %#: exit %s "%s" as %s', (transport, code, stderr, kind) => {
    expect(classifyFailure(transport, code, stderr)).toBe(kind);
  });
});
