import { join } from 'node:path';
import { API_PREFIX, CONTROL_HEADER, DETACHED_RUNS, EXIT_CODES, FILE_NAMES, TIMINGS } from '@exlab/core/constants';
import { resolveAppDirs } from '@exlab/core/paths';
import {
  isProcessAlive,
  listRunDirs,
  refreshRunStatus,
  removeServerInfoIfOwned,
  runsDirOf,
  terminateProcessTree,
  type ServerInfo,
} from '@exlab/core/process';
import { loopbackRequest } from '../loopback-http.js';
import type { Output } from '../output.js';
import { probeTray } from '../tray-probe.js';

/** Flags of `exlab stop`. */
export interface StopFlags {
  stateDir?: string;
  /** Seconds the tray may drain before it forces (default 30). */
  timeout?: number;
  /** Skip the drain. */
  force?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForExit(pid: number, pidStart: string | null, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (!(await isProcessAlive(pid, pidStart))) return true;
    await sleep(TIMINGS.stopPollMs);
  }
  return !(await isProcessAlive(pid, pidStart));
}

/** Asks the tray to quit through its control route (S3); false when it did not accept. */
async function requestQuit(server: ServerInfo, body: Record<string, unknown>): Promise<boolean> {
  try {
    const response = await loopbackRequest(server.port, `${API_PREFIX}/app/quit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, [CONTROL_HEADER]: server.token },
      json: body,
      timeoutMs: TIMINGS.windowHandshakeMs,
    });
    return response.status === 202;
  } catch {
    return false;
  }
}

/** Lets every tray run observe its end now, so status.json says finished or died (D4). */
async function settleTrayRuns(stateDir: string): Promise<void> {
  const dirs = await listRunDirs(runsDirOf(stateDir), DETACHED_RUNS.traySlug);
  await Promise.all(dirs.map((dir) => refreshRunStatus(dir).catch(() => null)));
}

/**
 * `exlab stop [--force] [--timeout 30]` (lifecycle.md C2, DECISIONS.md): asks the tray to quit
 * (no prompt; it drains up to the timeout, then forces), waits the timeout plus 5 s, then sends
 * SIGTERM to its process group and SIGKILL 10 s later. Nothing is signalled unless the pid and its
 * start token match (a reused pid is left alone). Stale files of a dead tray are removed when
 * they name it. Exit 0 when stopped or not running, 1 when it is still alive.
 */
export async function stopCommand(flags: StopFlags, output: Output, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
  // The quit request below shows whether the tray answers; a /health first would only cost a round trip.
  const probe = await probeTray(stateDir, { askHealth: false });
  const target = probe.server ?? probe.lock;
  if (probe.state === 'not_running' || target === null) {
    await settleTrayRuns(stateDir);
    output.out('not running');
    return EXIT_CODES.ok;
  }
  const pidStart = target.pid_start ?? null;
  if (probe.state !== 'stale') {
    const timeoutS = flags.timeout ?? TIMINGS.quitDrainMs / 1000;
    let gone = false;
    if ((probe.state === 'live' || probe.state === 'healthy') && probe.server !== null) {
      const accepted = await requestQuit(probe.server, { force: flags.force === true, drain_seconds: timeoutS, prompt: false });
      if (accepted) gone = await waitForExit(target.pid, pidStart, (flags.force ? 0 : timeoutS * 1000) + 5_000);
    }
    if (!gone) {
      const outcome = await terminateProcessTree(target.pid, { pidStart, graceMs: TIMINGS.stopKillAfterMs, pollMs: TIMINGS.stopPollMs });
      if (outcome === 'survived') {
        output.err(`ExLab-Wizard (pid ${target.pid}) is still running after SIGKILL.`);
        return EXIT_CODES.failure;
      }
    }
  }
  // A tray that died without cleaning up leaves files naming itself; remove only those (T3).
  const instance = probe.server?.instance_id ?? probe.lock?.instance_id;
  if (instance !== undefined) {
    await removeServerInfoIfOwned(join(stateDir, FILE_NAMES.serverJson), { pid: target.pid, instance_id: instance });
    await removeServerInfoIfOwned(join(stateDir, FILE_NAMES.trayLock), { pid: target.pid, instance_id: instance });
  }
  await settleTrayRuns(stateDir);
  output.out(probe.state === 'stale' ? `not running (removed stale files of pid ${target.pid})` : `stopped (pid ${target.pid})`);
  return EXIT_CODES.ok;
}
