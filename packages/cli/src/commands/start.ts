import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENV, EXIT_CODES, FILE_NAMES, TIMINGS, type LogLevel } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import { resolveAppDirs } from '@exlab/core/paths';
import { ensureWritableDir, readServerInfo } from '@exlab/core/process';
import { runTrayForeground } from '@exlab/tray';
import type { Output } from '../output.js';
import { fetchHealth, probeTray } from '../tray-probe.js';

/** Flags of `exlab start`. */
export interface StartFlags {
  foreground?: boolean;
  headless?: boolean;
  config?: string;
  stateDir?: string;
  port?: number;
  demo?: boolean;
  logLevel?: LogLevel;
  wait?: number;
}

/** Flags forwarded to the detached `start --foreground` child. */
function childArgs(flags: StartFlags): string[] {
  const args = ['start', '--foreground'];
  if (flags.headless) args.push('--headless');
  if (flags.config !== undefined) args.push('--config', flags.config);
  if (flags.stateDir !== undefined) args.push('--state-dir', flags.stateDir);
  if (flags.port !== undefined) args.push('--port', String(flags.port));
  if (flags.demo === false) args.push('--no-demo');
  if (flags.logLevel !== undefined) args.push('--log-level', flags.logLevel);
  return args;
}

async function tail(path: string, lines: number): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .slice(-lines);
}

/**
 * `exlab start`: in the foreground, runs the tray in this process; otherwise launches it
 * detached (its own process group, output in `<state>/runs/tray/<run>/`) and waits until it is
 * healthy (lifecycle.md C1). A healthy tray already running is success.
 */
export async function startCommand(flags: StartFlags, output: Output, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  if (flags.foreground) {
    return runTrayForeground({
      stateDir: flags.stateDir,
      configPath: flags.config,
      port: flags.port,
      headless: flags.headless,
      noDemo: flags.demo === false,
      logLevel: flags.logLevel,
      env,
    });
  }
  const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
  const before = await probeTray(stateDir);
  if (before.state === 'healthy' && before.server) {
    output.out(`already running (pid ${before.server.pid}, port ${before.server.port})`);
    return EXIT_CODES.ok;
  }
  if (before.state === 'unhealthy') {
    output.err(
      `ExLab-Wizard is running (pid ${before.server?.pid ?? before.lock?.pid ?? '?'}) but does not answer; run "exlab stop" first.`,
    );
    return EXIT_CODES.failure;
  }
  try {
    await ensureWritableDir(stateDir);
  } catch (error) {
    output.err(describeError(error));
    return EXIT_CODES.failure;
  }

  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const runId = `tray-${stamp}-${randomBytes(2).toString('hex')}`;
  const runDir = join(stateDir, 'runs', 'tray', runId);
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const stdoutFile = await open(join(runDir, 'stdout.log'), 'a');
  const stderrFile = await open(join(runDir, 'stderr.log'), 'a');
  const entry = process.argv[1] ?? '';
  const child = spawn(process.execPath, [entry, ...childArgs({ ...flags, stateDir })], {
    detached: true,
    stdio: ['ignore', stdoutFile.fd, stderrFile.fd],
    env: { ...env, [ENV.runDir]: runDir },
    windowsHide: true,
  });
  await stdoutFile.close();
  await stderrFile.close();
  let exitCode: number | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? 128 : EXIT_CODES.failure);
  });
  child.unref();

  const deadline = Date.now() + (flags.wait ?? TIMINGS.startWaitMs / 1000) * 1000;
  while (Date.now() < deadline) {
    const info = await readServerInfo(join(stateDir, FILE_NAMES.serverJson)).catch(() => null);
    if (info !== null && info.pid === child.pid && (await fetchHealth(info, 1_000))) {
      output.out(`started (pid ${info.pid}, port ${info.port}, run ${runId})`);
      return EXIT_CODES.ok;
    }
    if (exitCode !== null) {
      // Another `exlab start` won the instance lock: its tray counts as ours (lifecycle.md F6).
      if (exitCode === EXIT_CODES.alreadyRunning) {
        const winner = await probeTray(stateDir);
        if (winner.state === 'healthy' && winner.server) {
          output.out(`already running (pid ${winner.server.pid}, port ${winner.server.port})`);
          return EXIT_CODES.ok;
        }
        if (winner.state === 'not_running' || winner.state === 'stale') break;
      } else {
        output.err(`ExLab-Wizard exited with code ${exitCode} while starting. Last lines of ${join(runDir, 'stderr.log')}:`);
        for (const line of await tail(join(runDir, 'stderr.log'), 20)) output.err(`  ${line}`);
        return EXIT_CODES.failure;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (exitCode === null && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  output.err(`ExLab-Wizard did not become healthy in time; see ${runDir}.`);
  return EXIT_CODES.failure;
}
