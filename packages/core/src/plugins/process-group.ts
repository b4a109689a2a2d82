/**
 * Signals to a worker's process group and the host-exit safety net (requirements A6, A9).
 * Workers are spawned detached, so each leads its own group and `kill(-pid)` reaches anything
 * the plugin started.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Sends `signal` to the group led by `pid` (Windows: kills the tree); false when nothing was there. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (process.platform === 'win32') {
    execFile('taskkill', ['/pid', String(pid), '/T', '/F'], () => undefined);
    return true;
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Remembers a live worker group so that a host exit kills it. */
export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A clean or process.exit() host exit takes its workers along; SIGKILL of the host is covered by the workers' ppid check.
    process.once('exit', () => {
      for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    });
  }
}

/** Forgets a group that has exited. */
export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}

async function rssKb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (status === null) return null;
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? 0 : Number(match[1]);
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
}

/** Resident memory of `pid` and its descendants in MB (Linux /proc); null when `pid` is gone or /proc is absent. */
export async function treeRssMb(pid: number): Promise<number | null> {
  const own = await rssKb(pid);
  if (own === null) return null;
  let total = own;
  const queue = await childrenOf(pid);
  for (let i = 0; i < queue.length && i < 64; i += 1) {
    const child = queue[i] as number;
    total += (await rssKb(child)) ?? 0;
    queue.push(...(await childrenOf(child)));
  }
  return total / 1024;
}
