import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { errnoCode } from './errno.js';
import { isProcessAlive } from './liveness.js';
import { probeProcess } from './process-probe.js';

/** Signals {@link terminateProcessTree} may send. */
export type TreeSignal = 'SIGTERM' | 'SIGKILL';

/** How {@link terminateProcessTree} ended. */
export type TerminateOutcome =
  /** The process was not alive (or its pid now names another process): nothing was signalled. */
  | 'not_running'
  /** SIGTERM was enough. */
  | 'terminated'
  /** SIGKILL was needed after the grace period. */
  | 'killed'
  /** It was still there after SIGKILL. */
  | 'survived';

/** Options of {@link terminateProcessTree}. */
export interface TerminateOptions {
  /** Start token recorded at launch (P4); a mismatch means the pid was reused and nothing is sent. */
  pidStart: string | null;
  /** Time between SIGTERM and SIGKILL (DECISIONS.md: 10 s for `exlab stop`). */
  graceMs: number;
  /** How long to wait for the exit after SIGKILL (default 2 s). */
  killWaitMs?: number;
  /** Poll interval while waiting (default 50 ms). */
  pollMs?: number;
  /** OS (default this one). */
  platform?: NodeJS.Platform;
}

/** The process group of `pid`: Linux reads field 5 of /proc/<pid>/stat, other Unixes ask `ps`; null on Windows or when unknown. */
export async function processGroupOf(pid: number, platform: NodeJS.Platform = process.platform): Promise<number | null> {
  if (platform === 'win32') return null;
  if (platform === 'linux') {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) return null;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    return Number.isSafeInteger(pgrp) && pgrp > 0 ? pgrp : null;
  }
  const out = await new Promise<string | null>((resolve) => {
    execFile('ps', ['-o', 'pgid=', '-p', String(pid)], { timeout: 5_000, encoding: 'utf8' }, (error, stdout) =>
      resolve(error ? null : stdout),
    );
  });
  const pgid = Number(out?.trim());
  return Number.isSafeInteger(pgid) && pgid > 0 ? pgid : null;
}

/** True while any process is in group `pgid` (POSIX; signal 0 to the group). */
export function processGroupExists(pgid: number): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * True while group `pgid` has a member that is not a zombie. Linux reads /proc, so an exited but
 * not yet reaped member does not count; elsewhere any member counts (signal 0 to the group).
 */
export async function groupHasLiveMembers(pgid: number, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (platform !== 'linux') return processGroupExists(pgid);
  const names = await readdir('/proc').catch(() => null);
  if (names === null) return processGroupExists(pgid);
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** What became of a process recorded with `pidStart`: still running, exited (maybe unreaped), or its pid now names another process. */
async function leaderState(pid: number, pidStart: string | null, platform: NodeJS.Platform): Promise<'alive' | 'ended' | 'reused'> {
  if (await isProcessAlive(pid, pidStart)) return 'alive';
  const probe = await probeProcess(pid, platform);
  if (probe === null || probe.zombie) return 'ended';
  return pidStart !== null && probe.startToken !== null && probe.startToken !== pidStart ? 'reused' : 'ended';
}

/** Sends `signal` to `target` (a pid, or a group as a negative number); false when nothing is there. */
function send(target: number, signal: TreeSignal): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return false;
    throw error;
  }
}

/** Windows: `taskkill /T` ends the tree; `/F` forces it. */
function taskkill(pid: number, force: boolean): Promise<boolean> {
  const args = ['/PID', String(pid), '/T', ...(force ? ['/F'] : [])];
  return new Promise((resolve) => {
    execFile('taskkill', args, { timeout: 10_000, windowsHide: true }, (error) => resolve(error === null));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ends a detached process and everything in its process group (lifecycle.md D5, DECISIONS.md):
 * SIGTERM to the group, SIGKILL after `graceMs`, taskkill /T on Windows. Nothing is sent unless
 * the pid is alive with the recorded start token, so a reused pid is never signalled. A process
 * that does not lead its own group (a foreground tray) is signalled alone. After the leader is
 * gone, members left in its group still get SIGKILL: a group id cannot be handed out again
 * while the group has members, so they are ours.
 */
export async function terminateProcessTree(pid: number, options: TerminateOptions): Promise<TerminateOutcome> {
  const platform = options.platform ?? process.platform;
  const pollMs = options.pollMs ?? 50;
  if (!(await isProcessAlive(pid, options.pidStart))) return 'not_running';

  if (platform === 'win32') {
    await taskkill(pid, false);
    if (await waitGone(pid, options.pidStart, null, options.graceMs, pollMs, platform)) return 'terminated';
    if (await isProcessAlive(pid, options.pidStart)) await taskkill(pid, true);
    return (await waitGone(pid, options.pidStart, null, options.killWaitMs ?? 2_000, pollMs, platform)) ? 'killed' : 'survived';
  }

  const group = (await processGroupOf(pid, platform)) === pid ? pid : null;
  // Re-check right before the signal: the probe above may have taken a while.
  if (!(await isProcessAlive(pid, options.pidStart))) return 'not_running';
  send(group === null ? pid : -group, 'SIGTERM');
  if (await waitGone(pid, options.pidStart, group, options.graceMs, pollMs, platform)) return 'terminated';

  const state = await leaderState(pid, options.pidStart, platform);
  if (state === 'alive') send(group === null ? pid : -group, 'SIGKILL');
  else if (state === 'ended' && group !== null && processGroupExists(group)) send(-group, 'SIGKILL');
  return (await waitGone(pid, options.pidStart, group, options.killWaitMs ?? 2_000, pollMs, platform)) ? 'killed' : 'survived';
}

/** Waits until the process, and the group it led, are gone; true when they are. A reused pid hides the group: it counts as gone. */
async function waitGone(
  pid: number,
  pidStart: string | null,
  group: number | null,
  ms: number,
  pollMs: number,
  platform: NodeJS.Platform,
): Promise<boolean> {
  const gone = async (): Promise<boolean> => {
    const state = await leaderState(pid, pidStart, platform);
    if (state === 'alive') return false;
    return group === null || state === 'reused' || !(await groupHasLiveMembers(group, platform));
  };
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await gone()) return true;
    await sleep(pollMs);
  }
  return gone();
}
