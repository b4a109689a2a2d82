// Helpers of the lifecycle and failure-injection tests: real tray processes in a sandbox, found
// and cleaned up through /proc (Linux, as in CI).
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupHasLiveMembers, isProcessAlive, refreshRunStatus, type RunStatus, type ServerInfo } from '@exlab/core/process';
import { CLI_MAIN, runExlab, type Sandbox } from './exlab-process.js';

/** The built window entry. */
export const WINDOW_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'window', 'dist', 'main.js');

/** Pids of every process whose command line contains `needle` (never this test process). */
export async function pidsWithArg(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').join(' ').includes(needle)) {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
      if (!/\) Z /.test(stat)) pids.push(Number(name));
    }
  }
  return pids;
}

/** Kills (SIGKILL) every process started for this sandbox; returns how many were still there. */
export async function killSandboxProcesses(sb: Sandbox): Promise<number> {
  const pids = await pidsWithArg(sb.root);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}

/** Polls `check` every 25 ms until it returns a value, failing after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Calls the tray's API with its token (and the control header for control routes). */
export async function api(server: ServerInfo, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      'x-exlab-control': server.token,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** The status.json of a tray run, as an observer sees it (a dead run is finalized, D4). */
export function trayRunStatus(sb: Sandbox, runId: string): Promise<RunStatus | null> {
  return refreshRunStatus(join(sb.stateDir, 'runs', 'tray', runId));
}

/** Waits until no running process is left in group `pgid` (exited members may wait a moment for init to reap them). */
export function groupGone(pgid: number, timeoutMs = 5_000): Promise<true> {
  return until(`process group ${pgid} to empty`, async () => ((await groupHasLiveMembers(pgid)) ? undefined : true), timeoutMs);
}

/** `exlab start --smoke --testing` detached in the sandbox; returns pid, port and run id. */
export async function startSmoke(
  sb: Sandbox,
  env: NodeJS.ProcessEnv = sb.env,
  extra: readonly string[] = [],
): Promise<{ pid: number; port: number; runId: string }> {
  const result = await runExlab(['start', '--smoke', '--testing', '--state-dir', sb.stateDir, ...extra], env);
  const match = /started \(pid (\d+), port (\d+), run (tray-[\w-]+)\)/.exec(result.stdout);
  if (result.code !== 0 || match === null) throw new Error(`exlab start failed (${result.code}): ${result.stdout}${result.stderr}`);
  return { pid: Number(match[1]), port: Number(match[2]), runId: match[3] ?? '' };
}

/** Waits until `pid` (with its start token) is gone. */
export function gone(pid: number, token: string | null, timeoutMs = 15_000): Promise<true> {
  return until(`pid ${pid} to exit`, async () => ((await isProcessAlive(pid, token)) ? undefined : true), timeoutMs);
}

export { CLI_MAIN };
