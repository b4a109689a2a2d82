import { spawn } from 'node:child_process';
import { signalGroup, trackGroup, untrackGroup } from '../plugins/process-group.js';
import type { Command } from './transport.js';

/** How a transport program ended. */
export interface CommandOutcome {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last part of stderr (at most {@link STDERR_KEEP_BYTES}). */
  stderr: string;
  /** Set when the program could not be started at all (ENOENT: not installed). */
  spawnError: NodeJS.ErrnoException | null;
  /** Set when it was killed for printing nothing for {@link RunCommandOptions.stallMs}. */
  stalled?: boolean;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  env?: NodeJS.ProcessEnv;
  /** Aborting kills the program's process group (TERM, then KILL after {@link KILL_GRACE_MS}). */
  signal?: AbortSignal;
  /** stdout beyond this many bytes is an error (a hash listing of a huge tree); default 256 MiB. */
  maxStdoutBytes?: number;
  /** Called with each chunk of stderr, for logs. */
  onStderr?: (chunk: string) => void;
  /**
   * Kills the program's process group when it prints nothing (stdout or stderr) for this long:
   * a program stuck on a hung share or connection, which no signal of its own would end.
   */
  stallMs?: number;
}

/** stderr kept for classifying a failure and for the job's error detail. */
export const STDERR_KEEP_BYTES = 64 * 1024;
const KILL_GRACE_MS = 2_000;

/**
 * Runs a transport program from its argv, never through a shell (S5), in its own process group
 * so that aborting it also ends the ssh it started; the group dies with this process too.
 */
export function runCommand(command: Command, options: RunCommandOptions = {}): Promise<CommandOutcome> {
  const maxStdout = options.maxStdoutBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve) => {
    options.signal?.throwIfAborted();
    const child = spawn(command.file, command.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
      shell: false,
      env: options.env ?? process.env,
    });
    const pid = child.pid;
    if (pid !== undefined && process.platform !== 'win32') trackGroup(pid);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let overflow = false;
    let killTimer: NodeJS.Timeout | undefined;
    let stalled = false;
    // TERM, KILL after a grace; one that still has not exited then (stuck in the kernel on a dead
    // share, where not even KILL acts) is given up on, so nothing waits on it forever.
    const kill = (): void => {
      if (pid === undefined || killTimer !== undefined) return;
      if (stallTimer) clearTimeout(stallTimer);
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(pid, 'SIGKILL');
        killTimer = setTimeout(() => giveUp(), KILL_GRACE_MS);
        killTimer.unref();
      }, KILL_GRACE_MS);
      killTimer.unref();
    };
    const onAbort = (): void => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stallTimer =
      options.stallMs === undefined
        ? undefined
        : setTimeout(() => {
            stalled = true;
            kill();
          }, options.stallMs);
    const alive = (): void => {
      if (killTimer === undefined) stallTimer?.refresh();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      alive();
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        if (!overflow) {
          overflow = true;
          kill();
        }
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      alive();
      options.onStderr?.(chunk);
      stderr = (stderr + chunk).slice(-STDERR_KEEP_BYTES);
    });
    let settled = false;
    const finish = (outcome: CommandOutcome): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      if (stallTimer) clearTimeout(stallTimer);
      if (pid !== undefined) untrackGroup(pid);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.on('error', (error: NodeJS.ErrnoException) => finish({ exitCode: null, signal: null, stdout: '', stderr, spawnError: error }));
    const giveUp = (): void =>
      finish({
        exitCode: null,
        signal: 'SIGKILL',
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: `${stderr}\n(did not exit after SIGKILL; left behind)`,
        spawnError: null,
        ...(stalled ? { stalled } : {}),
      });
    child.on('close', (code, signal) => {
      const note = overflow ? `\n(output over ${maxStdout} bytes; stopped)` : '';
      finish({
        exitCode: overflow ? (code ?? 1) || 1 : code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: stderr + note,
        spawnError: null,
        ...(stalled ? { stalled } : {}),
      });
    });
  });
}

/** A one-line account of how a program failed, for logs and a job's error detail. */
export function describeOutcome(command: Command, outcome: CommandOutcome): string {
  if (outcome.spawnError) return `${command.file} could not be started: ${outcome.spawnError.message}`;
  if (outcome.stalled) return `${command.file} made no progress for too long and was stopped (a hung share or connection?)`;
  const how = outcome.signal !== null ? `was stopped by ${outcome.signal}` : `exited ${outcome.exitCode}`;
  const said = lastLines(outcome.stderr, 3);
  return `${command.file} ${how}${said ? `: ${said}` : ''}`;
}

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-count)
    .join(' | ');
}
