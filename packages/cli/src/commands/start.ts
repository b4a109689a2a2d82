import type { ChildProcess } from 'node:child_process';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DETACHED_RUNS, EXIT_CODES, FILE_NAMES, TIMINGS, type LogLevel } from '@exlab/core/constants';
import { describeError, ExLabError } from '@exlab/core/errors';
import { resolveAppDirs } from '@exlab/core/paths';
import {
  nodeRuntimeFlags,
  cleanupRuns,
  countLiveRuns,
  ensureWritableDir,
  killRun,
  launchDetached,
  loadProcessFileSchemas,
  readServerInfo,
  runsDirOf,
  tailFile,
  type LaunchedRun,
} from '@exlab/core/process';
import { preloadLoopbackHttp } from '../loopback-http.js';
import type { Output } from '../output.js';
import { fetchHealth, loadHealthSchema, probeTray } from '../tray-probe.js';

/** Flags of `exlab start`. */
export interface StartFlags {
  foreground?: boolean;
  headless?: boolean;
  smoke?: boolean;
  openWindow?: boolean;
  testing?: boolean;
  autostartPrompt?: boolean;
  config?: string;
  stateDir?: string;
  port?: number;
  demo?: boolean;
  logLevel?: LogLevel;
  wait?: number;
}

/**
 * The `exlab-wizard-tray` program of the installed `@exlab/tray` (its package `bin`). The detached
 * tray runs it rather than `exlab start --foreground`, so it does not load the CLI's other commands.
 */
export function trayEntry(): string {
  const manifest = fileURLToPath(import.meta.resolve('@exlab/tray/package.json'));
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> };
  return join(dirname(manifest), pkg.bin?.['exlab-wizard-tray'] ?? 'dist/main.js');
}

/** The command that runs the tray in the foreground: what `exlab start` detaches and autostart registers (A5). */
export function foregroundCommand(flags: StartFlags = {}): string[] {
  const args = [process.execPath, ...DETACHED_RUNS.trayNodeFlags, ...nodeRuntimeFlags(), trayEntry()];
  if (flags.headless) args.push('--headless');
  if (flags.smoke) args.push('--smoke');
  if (flags.openWindow) args.push('--open-window');
  if (flags.testing) args.push('--testing');
  if (flags.config !== undefined) args.push('--config', flags.config);
  if (flags.stateDir !== undefined) args.push('--state-dir', flags.stateDir);
  if (flags.port !== undefined) args.push('--port', String(flags.port));
  if (flags.demo === false) args.push('--no-demo');
  if (flags.logLevel !== undefined) args.push('--log-level', flags.logLevel);
  return args;
}

/** Resolves with the child's exit code once it exits; never resolves while it runs. */
function exitCodeOf(child: ChildProcess): { code: () => number | null } {
  let code: number | null = child.exitCode;
  child.once('exit', (exitCode, signal) => {
    code = exitCode ?? (signal ? 128 : EXIT_CODES.failure);
  });
  return { code: () => code };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wakes the start loop as soon as something in the state dir changes (the tray renaming its
 * server.json into place), and at the latest after the poll interval; a folder that cannot be
 * watched is only polled.
 */
function stateDirChanges(stateDir: string): { next(ms: number): Promise<void>; close(): void } {
  let wake: (() => void) | null = null;
  let changed = false;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(stateDir, () => {
      changed = true;
      wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = null;
  }
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        if (changed) {
          changed = false;
          resolve();
          return;
        }
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          wake = null;
          changed = false;
          resolve();
        }
        wake = done;
      }),
    close: () => watcher?.close(),
  };
}

async function liveTrayRuns(stateDir: string): Promise<number> {
  const counts = await countLiveRuns(runsDirOf(stateDir)).catch(() => ({}) as Record<string, number>);
  return counts[DETACHED_RUNS.traySlug] ?? 0;
}

/**
 * `exlab start` (lifecycle.md C1). `--foreground` runs the tray in this process. Otherwise: a
 * healthy tray already running is success; a live one that does not answer is exit 1 (with a
 * hint); the state dir must be writable; the tray is launched detached (D3), old runs are cleaned
 * while it starts (D6), and it is polled every 50 ms (and on every change in the state dir) until
 * server.json names it and /health answers. A tray that exits
 * 3 lost the lock to a parallel start, whose tray then counts (F6). A tray that dies prints its
 * last 20 stderr lines (exit 1); a timeout kills its process group (exit 1).
 */
export async function startCommand(flags: StartFlags, output: Output, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  if (flags.foreground) {
    const { runTrayForeground } = await import('@exlab/tray');
    return runTrayForeground({
      stateDir: flags.stateDir,
      configPath: flags.config,
      port: flags.port,
      headless: flags.headless,
      smoke: flags.smoke,
      openWindow: flags.openWindow,
      testing: flags.testing,
      noDemo: flags.demo === false,
      logLevel: flags.logLevel,
      selfCommand: foregroundCommand({ config: flags.config, stateDir: flags.stateDir }),
      env,
    });
  }
  const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
  const deadline = performance.now() + (flags.wait ?? TIMINGS.startWaitMs / 1000) * 1000;
  const before = await probeTray(stateDir);
  if (before.state === 'healthy' && before.server) {
    output.out(`already running (pid ${before.server.pid}, port ${before.server.port})`);
    return EXIT_CODES.ok;
  }
  if (before.state === 'unhealthy') {
    // A tray that holds the lock but has no server.json yet may just be starting (a parallel start).
    if ((await awaitWinner(stateDir, deadline, null)) === EXIT_CODES.ok) return awaitWinner(stateDir, deadline, output);
    output.err(
      `ExLab-Wizard is running (pid ${before.server?.pid ?? before.lock?.pid ?? '?'}) but does not answer; run "exlab stop --force" first.`,
    );
    return EXIT_CODES.failure;
  }
  try {
    await ensureWritableDir(stateDir);
  } catch (error) {
    output.err(describeError(error));
    return EXIT_CODES.failure;
  }

  const runsDir = runsDirOf(stateDir);
  const changes = stateDirChanges(stateDir);
  let cleanup: Promise<unknown> | undefined;
  try {
    return await launchAndWait(flags, { stateDir, runsDir, deadline, changes, env }, output, () => {
      // While the tray starts: D6 (it never touches a live run, so the new tray's run is safe from
      // it), and the schemas the wait is going to need, so they are ready when server.json appears.
      cleanup = Promise.all([cleanupRuns(runsDir), loadProcessFileSchemas(), loadHealthSchema()]).catch(() => undefined);
      // node:http too, for the health request, after the current turn so the spawn goes first.
      setImmediate(preloadLoopbackHttp);
    });
  } finally {
    changes.close();
    // D6 runs on every start, also when no tray was launched.
    await (cleanup ?? cleanupRuns(runsDir).catch(() => undefined));
  }
}

/** D3 and the wait of C1: launches the tray detached and waits until it is healthy, exits, or the deadline passes. */
async function launchAndWait(
  flags: StartFlags,
  where: {
    stateDir: string;
    runsDir: string;
    deadline: number;
    changes: ReturnType<typeof stateDirChanges>;
    env: Readonly<Record<string, string | undefined>>;
  },
  output: Output,
  onLaunched: () => void,
): Promise<number> {
  const { stateDir, runsDir, deadline, changes, env } = where;
  let run: LaunchedRun;
  try {
    run = await launchDetached({
      cmd: foregroundCommand({ ...flags, stateDir }),
      slug: DETACHED_RUNS.traySlug,
      runsDir,
      description: 'ExLab-Wizard tray',
      env,
      maxLive: 1,
      maxRuntimeSeconds: null,
    });
  } catch (error) {
    if (error instanceof ExLabError && error.code === 'run_limit_reached') return awaitWinner(stateDir, deadline, output);
    output.err(describeError(error));
    return EXIT_CODES.failure;
  }
  const exit = exitCodeOf(run.child);
  const pid = run.status.pid;
  onLaunched();

  while (performance.now() < deadline) {
    const info = await readServerInfo(join(stateDir, FILE_NAMES.serverJson)).catch(() => null);
    if (info !== null && info.pid === pid && (await fetchHealth(info, 1_000))) {
      output.out(`started (pid ${info.pid}, port ${info.port}, run ${run.runId})`);
      return EXIT_CODES.ok;
    }
    const code = exit.code();
    if (code !== null) {
      // Exit 3: a parallel start holds the lock. Exit 0 while starting: a supervised twin stood down (T9).
      if (code === EXIT_CODES.alreadyRunning || code === EXIT_CODES.ok) return awaitWinner(stateDir, deadline, output);
      output.err(`ExLab-Wizard exited with code ${code} while starting. Last lines of ${join(run.runDir, FILE_NAMES.runStderr)}:`);
      for (const line of await tailFile(join(run.runDir, FILE_NAMES.runStderr), 20)) output.err(`  ${line}`);
      return EXIT_CODES.failure;
    }
    await changes.next(TIMINGS.startPollMs);
  }
  await killRun(run.runDir, { graceMs: 2_000 }).catch(() => undefined);
  output.err(`ExLab-Wizard did not become healthy in time; see ${run.runDir}.`);
  return EXIT_CODES.failure;
}

/** Another `exlab start` won the race: its tray is ours too once it answers (F6). Silent when `output` is null. */
async function awaitWinner(stateDir: string, deadline: number, output: Output | null): Promise<number> {
  for (;;) {
    const winner = await probeTray(stateDir);
    if (winner.state === 'healthy' && winner.server) {
      output?.out(`already running (pid ${winner.server.pid}, port ${winner.server.port})`);
      return EXIT_CODES.ok;
    }
    if (performance.now() >= deadline) break;
    // Nothing holds the lock yet: keep waiting only while a launched tray is still on its way.
    if ((winner.state === 'not_running' || winner.state === 'stale') && (await liveTrayRuns(stateDir)) === 0) break;
    await sleep(TIMINGS.startPollMs);
  }
  output?.err('Another ExLab-Wizard was starting but did not become healthy in time; see "exlab status".');
  return EXIT_CODES.failure;
}
