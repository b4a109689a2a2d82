import { join } from 'node:path';
import { EXIT_CODES, FILE_NAMES, TIMINGS } from '@exlab/core/constants';
import { resolveAppDirs } from '@exlab/core/paths';
import { isProcessAlive, removeServerInfoIfOwned } from '@exlab/core/process';
import type { Output } from '../output.js';
import { signalTray } from '../process-group.js';
import { probeTray } from '../tray-probe.js';

/** Flags of `exlab stop`. */
export interface StopFlags {
  stateDir?: string;
  timeout?: number;
}

async function waitForExit(pid: number, pidStart: string | null, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isProcessAlive(pid, pidStart))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !(await isProcessAlive(pid, pidStart));
}

/**
 * `exlab stop` (DECISIONS.md): SIGTERM to the tray (its group when detached), SIGKILL after the
 * timeout (10 s), never a signal to a process whose start token does not match. Stale files
 * of a dead tray are removed. Exit 0 when stopped or not running, 1 when it survived.
 */
export async function stopCommand(flags: StopFlags, output: Output, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
  const probe = await probeTray(stateDir);
  const target = probe.server ?? probe.lock;
  if (probe.state === 'not_running' || target === null) {
    output.out('not running');
    return EXIT_CODES.ok;
  }
  const pidStart = target.pid_start ?? null;
  if (probe.state !== 'stale') {
    await signalTray(target.pid, 'SIGTERM');
    const graceMs = (flags.timeout ?? TIMINGS.stopKillAfterMs / 1000) * 1000;
    if (!(await waitForExit(target.pid, pidStart, graceMs))) {
      if (await isProcessAlive(target.pid, pidStart)) await signalTray(target.pid, 'SIGKILL');
      if (!(await waitForExit(target.pid, pidStart, 2_000))) {
        output.err(`ExLab-Wizard (pid ${target.pid}) is still running after SIGKILL.`);
        return EXIT_CODES.failure;
      }
    }
  }
  // A tray that died without cleaning up leaves its files naming itself; remove only those.
  const instance = probe.server?.instance_id ?? probe.lock?.instance_id;
  if (instance !== undefined) {
    await removeServerInfoIfOwned(join(stateDir, FILE_NAMES.serverJson), { pid: target.pid, instance_id: instance });
    await removeServerInfoIfOwned(join(stateDir, FILE_NAMES.trayLock), { pid: target.pid, instance_id: instance });
  }
  output.out(probe.state === 'stale' ? `not running (removed stale files of pid ${target.pid})` : `stopped (pid ${target.pid})`);
  return EXIT_CODES.ok;
}
