import { homedir } from 'node:os';
import { join, posix } from 'node:path';
import type { SyncFailureKind } from '../constants/index.js';
import type { NasTransport } from '../schemas/index.js';

/** The programs the transports run, and extra `ssh -o` options (a lab's known_hosts, a port). */
export interface SyncCommands {
  rsync: string;
  rclone: string;
  ssh: string;
  /** Added to every ssh command line after `-o BatchMode=yes`, e.g. `['-p', '2222']`. */
  sshOptions: readonly string[];
}

/** The commands on PATH, no extra ssh options. */
export const DEFAULT_SYNC_COMMANDS: SyncCommands = { rsync: 'rsync', rclone: 'rclone', ssh: 'ssh', sshOptions: [] };

/** One program run: argv only, never a shell (S5). */
export interface Command {
  file: string;
  args: string[];
}

/** What one push copies. */
export interface PushRequest {
  /** The local folder whose contents are pushed. */
  source: string;
  /** Where they go, relative to the transport's root (POSIX separators): the local layout mirrored (DECISIONS.md). */
  target: string;
  /** Upload limit in KiB/s, or null for none (§7.1.7). */
  bwlimitKiB: number | null;
  /** Top-level folders of `source` left out (a project job's run folders). */
  exclude: readonly string[];
}

/** `~` at the start of a configured path is the user's home. */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(homedir(), path.slice(2));
  return path;
}

/** Where `target` is on the transport, as its program names it (`remote:path`, `user@host:path`, or a folder). */
export function remoteLocation(transport: NasTransport, target: string): string {
  const path = remotePath(transport, target);
  switch (transport.type) {
    case 'rclone':
      return `${transport.rclone_remote}:${path}`;
    case 'rsync_ssh':
      return `${transport.ssh_target}:${path}`;
    case 'local':
      return path;
  }
}

/** The folder `target` is on the NAS side: the transport's root joined with `target` (POSIX). */
export function remotePath(transport: NasTransport, target: string): string {
  return joinRemote(remoteRoot(transport), target);
}

/** The root folder of the transport on the NAS, without a target. */
export function remoteRoot(transport: NasTransport): string {
  switch (transport.type) {
    case 'rclone':
      return transport.rclone_remote_path;
    case 'rsync_ssh':
      return transport.remote_path;
    case 'local':
      return transport.path;
  }
}

function joinRemote(root: string, target: string): string {
  const trimmed = root.replace(/\/+$/, '');
  return target === '' ? trimmed || '/' : posix.join(trimmed === '' ? '/' : trimmed, target);
}

/**
 * The push of §7.1.3 (S5): `rclone copy --checksum`, or `rsync -a --checksum --partial --mkpath`
 * over `ssh -i <key> -o BatchMode=yes` (key authentication only), or the same rsync into a mounted
 * share for `local`. Trailing slashes copy the folder's contents into the target, never nested.
 */
export function pushCommand(transport: NasTransport, request: PushRequest, commands: SyncCommands): Command {
  const destination = remoteLocation(transport, request.target);
  if (transport.type === 'rclone') {
    const args = ['copy', '--checksum'];
    if (request.bwlimitKiB !== null) args.push('--bwlimit', `${request.bwlimitKiB}K`);
    for (const folder of request.exclude) args.push('--exclude', `/${folder}/**`);
    args.push(request.source, destination);
    return { file: commands.rclone, args };
  }
  // --timeout: a connection that goes silent (no RST) ends the push instead of holding the worker.
  const args = ['-a', '--checksum', '--partial', '--mkpath', `--timeout=${RSYNC_IO_TIMEOUT_S}`];
  if (transport.type === 'rsync_ssh') args.push('-e', rsyncShell(transport.ssh_key_path, commands));
  if (request.bwlimitKiB !== null) args.push(`--bwlimit=${request.bwlimitKiB}`);
  for (const folder of request.exclude) args.push(`--exclude=/${folder}/`);
  args.push(withTrailingSlash(request.source), withTrailingSlash(destination));
  return { file: commands.rsync, args };
}

/**
 * The remote side of a verification (§7.1.4): `rclone hashsum sha256`, or `find ... -exec
 * sha256sum` over ssh. Null for `local`, whose files are hashed here.
 */
export function remoteHashCommand(transport: NasTransport, target: string, commands: SyncCommands): Command | null {
  if (transport.type === 'local') return null;
  if (transport.type === 'rclone') return { file: commands.rclone, args: ['hashsum', 'sha256', remoteLocation(transport, target)] };
  const path = remotePath(transport, target);
  return {
    file: commands.ssh,
    args: [
      ...sshArgs(transport.ssh_key_path, commands),
      '--',
      transport.ssh_target,
      `find ${shellQuote(path)} -type f -exec sha256sum {} +`,
    ],
  };
}

/** A check that the transport's NAS root answers (cleanup interlock 3, §7.1.6). Null for `local` (a stat here). */
export function remoteRootProbe(transport: NasTransport, commands: SyncCommands): Command | null {
  if (transport.type === 'local') return null;
  if (transport.type === 'rclone') return { file: commands.rclone, args: ['lsf', '--max-depth', '1', remoteLocation(transport, '')] };
  return {
    file: commands.ssh,
    args: [...sshArgs(transport.ssh_key_path, commands), '--', transport.ssh_target, `test -d ${shellQuote(remoteRoot(transport))}`],
  };
}

// A dead host is noticed in 30 s, a connection that stops answering in about a minute.
const SSH_TIMEOUTS = ['-o', 'ConnectTimeout=30', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4'];
/** rsync gives up after this many seconds without any data moving. */
const RSYNC_IO_TIMEOUT_S = 600;

function sshArgs(keyPath: string, commands: SyncCommands): string[] {
  return ['-i', expandHome(keyPath), '-o', 'BatchMode=yes', ...SSH_TIMEOUTS, ...commands.sshOptions];
}

// rsync splits its -e value into words itself and honours single quotes.
function rsyncShell(keyPath: string, commands: SyncCommands): string {
  return [commands.ssh, ...sshArgs(keyPath, commands)].map(rsyncWord).join(' ');
}

function rsyncWord(word: string): string {
  return /^[\w@%+=:,./~-]+$/.test(word) ? word : shellQuote(word);
}

/** `value` as one word of a POSIX shell command line. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function withTrailingSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

// Matched case-insensitively against what the program printed (S5).
const AUTH_PATTERNS = [
  /auth_error/,
  /authentication failed/,
  /permission denied/,
  /access denied/,
  /401 unauthorized/,
  /403 forbidden/,
  /host key verification failed/,
];
const HASH_PATTERNS = [/hash mismatch/, /checksum mismatch/];
// rsync: 5 = error starting the client-server protocol, 23 = partial transfer due to error.
const RSYNC_PERMISSION_EXITS = new Set([5, 23]);

/**
 * The kind of a failed transport run (S5, §7.1.5): authentication (never retried), a hash
 * mismatch (retried once), or anything else as a network failure (retried with back-off).
 */
export function classifyFailure(transport: NasTransport, exitCode: number | null, output: string): SyncFailureKind {
  const text = output.toLowerCase();
  // rsync could not read a file of the run itself: a problem on this machine, not of the NAS login.
  if (transport.type !== 'rclone' && /send_files failed to open|\[sender\].*permission denied|opendir .*permission denied/.test(text))
    return 'local_error';
  if (AUTH_PATTERNS.some((pattern) => pattern.test(text))) return 'auth';
  if (transport.type !== 'rclone' && exitCode !== null && RSYNC_PERMISSION_EXITS.has(exitCode) && text.includes('permission'))
    return 'auth';
  if (HASH_PATTERNS.some((pattern) => pattern.test(text))) return 'hash_mismatch';
  return 'network';
}
