import { basename } from 'node:path';
import { DETACHED_RUNS, EXIT_CODES } from '@exlab/core/constants';
import { resolveAppDirs } from '@exlab/core/paths';
import { cleanupRuns, listRunDirs, readRunStatus, runsDirOf } from '@exlab/core/process';
import { parseUtcTimestamp } from '@exlab/core/schemas';
import type { Output } from '../output.js';
import { probeTray } from '../tray-probe.js';

/** Flags of `exlab status`. */
export interface StatusFlags {
  stateDir?: string;
  json?: boolean;
}

/** C3: 0 healthy, 1 stale, 3 not running, 4 unhealthy. */
const EXIT_BY_STATE = { healthy: EXIT_CODES.ok, stale: EXIT_CODES.failure, not_running: 3, unhealthy: 4 } as const;

/** The id of the newest tray run whose process is `pid`, or null. */
async function runIdOf(stateDir: string, pid: number | null): Promise<string | null> {
  if (pid === null) return null;
  const dirs = await listRunDirs(runsDirOf(stateDir), DETACHED_RUNS.traySlug);
  for (const dir of dirs.reverse()) {
    const status = await readRunStatus(dir);
    if (status?.pid === pid) return basename(dir);
  }
  return null;
}

/**
 * `exlab status [--json]` (lifecycle.md C3): liveness by pid and start token plus /health. Exit 0
 * healthy, 1 stale, 3 not running, 4 unhealthy. It also runs the run-dir maintenance (D6), which
 * marks a dead tray's run `died`.
 */
export async function statusCommand(
  flags: StatusFlags,
  output: Output,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
  await cleanupRuns(runsDirOf(stateDir)).catch(() => undefined);
  const probe = await probeTray(stateDir);
  const server = probe.server;
  const started = server ? parseUtcTimestamp(server.started_at) : null;
  const pid = server?.pid ?? probe.lock?.pid ?? null;
  const report = {
    state: probe.state,
    pid,
    port: server?.port ?? null,
    url: server ? `http://127.0.0.1:${server.port}/` : null,
    started_at: server?.started_at ?? null,
    uptime_s: started ? Math.max(0, Math.round((Date.now() - started.getTime()) / 1000)) : null,
    instance_id: server?.instance_id ?? probe.lock?.instance_id ?? null,
    health: probe.health?.status ?? null,
    run_id: await runIdOf(stateDir, pid),
    lock_pid: probe.lock?.pid ?? null,
    mode: server?.mode ?? null,
    setup_state: probe.health?.setup_state ?? null,
    state_dir: stateDir,
  };
  if (flags.json) {
    output.out(JSON.stringify(report, null, 2));
  } else if (probe.state === 'healthy') {
    output.out(`running (pid ${report.pid}, port ${report.port}, up ${report.uptime_s}s) ${report.url}`);
    output.out(`health: ${report.health}, setup: ${report.setup_state}${report.mode ? `, mode: ${report.mode}` : ''}`);
  } else if (probe.state === 'unhealthy') {
    output.out(`running but not answering (pid ${report.pid}); try "exlab stop --force"`);
  } else if (probe.state === 'stale') {
    output.out(
      `not running; stale files of pid ${report.pid} remain in ${stateDir} ("exlab stop" removes them, "exlab start" replaces them)`,
    );
  } else {
    output.out('not running');
  }
  return EXIT_BY_STATE[probe.state];
}
