/**
 * One plugin worker process seen from the host (§6.3, requirements A6, A7, A9): spawn with
 * limits, JSON-lines framing with size caps, stderr capture, wall-clock timer and RSS watchdog.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname } from 'node:path';
import {
  FrameHeaderSchema,
  LogFrameSchema,
  ResultFrameSchema,
  ValidationFrameSchema,
  type InvokeRequest,
  type ResultFrame,
  type ValidationFrame,
} from '@exlab/plugin-sdk/ipc';
import { PLUGIN_LIMITS } from '../constants/index.js';
import type { Logger } from '../logging/index.js';
import { signalGroup, trackGroup, treeRssMb, untrackGroup } from './process-group.js';
import { workerCommand, type AppliedIsolation, type IsolationSupport, type WorkerLimits, type WorkerRuntime } from './worker-launch.js';

/** Timer functions, injectable for tests. */
export interface PluginTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The real timers. */
export const REAL_TIMERS: PluginTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Why the host ended or judged a worker, beyond its own exit code. */
export type WorkerFailure =
  | 'timeout'
  | 'memory_limit_exceeded'
  | 'ipc_frame_oversize'
  | 'bad_frame'
  | 'worker_stdin_closed'
  | 'spawn_failed'
  | 'aborted'
  | 'no_frame';

/** How a worker ended. */
export interface WorkerExit<F> {
  /** Exit status; 128 + signal number for a signal death; 124 when the host timed it out. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** The answer frame, when a valid one arrived. */
  frame: F | null;
  /** What the host saw go wrong, if anything. */
  failure: WorkerFailure | null;
  /** A sentence about the failure. */
  detail: string | null;
  /** From the run request (or spawn) to exit. */
  durationMs: number;
  /** Largest of the frame's maxRSS and the watchdog's readings. */
  peakMemoryMb: number;
  /** Last plain (non-frame) stderr lines, for error messages. */
  stderrTail: string[];
}

/** Options of {@link PluginWorker.spawn}. */
export interface PluginWorkerOptions {
  plugin: string;
  runtime: WorkerRuntime;
  support: IsolationSupport;
  limits: WorkerLimits;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** File every stderr line is written to. */
  stderrPath: string;
  /** Append to the stderr file (a respawn) instead of starting it anew. */
  stderrAppend: boolean;
  /** Receives the plugin's log frames and the host's notes about this worker. */
  logger: Logger;
  timers: PluginTimers;
  now: () => number;
}

const STDERR_TAIL_LINES = 20;
const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit/;

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0);
}

/** A worker process: validate (held) and/or run one transform request, then it exits. */
export class PluginWorker {
  /** Process id (also the process group id); undefined when the spawn failed. */
  readonly pid: number | undefined;
  /** The isolation actually applied. */
  readonly isolation: AppliedIsolation;
  readonly #options: PluginWorkerOptions;
  readonly #logger: Logger;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #stderrFile: WriteStream;
  #stderrBytes = 0;
  #stderrPartial = '';
  readonly #stderrTail: string[] = [];
  #heapOom = false;
  #stdout: Buffer = Buffer.alloc(0);
  #stdoutTotal = 0;
  #failure: WorkerFailure | null = null;
  #detail: string | null = null;
  #stdinClosed = false;
  #peakMb = 0;
  #startedAt: number;
  #exitCode: number | null = null;
  #signal: NodeJS.Signals | null = null;
  #closed = false;
  readonly #whenClosed: Promise<void>;
  #result: ResultFrame | null = null;
  #validation: ValidationFrame | null = null;
  #onValidation: (() => void) | null = null;
  #expectedId: string | null = null;
  #watchdog: unknown;
  #deadline: unknown;
  #killTimer: unknown;

  private constructor(options: PluginWorkerOptions) {
    this.#options = options;
    const { command, args, applied } = workerCommand(options.runtime, options.limits, options.support);
    this.isolation = applied;
    this.#stderrFile = this.#openStderrFile(options);
    this.#startedAt = options.now();
    this.#child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      shell: false,
      detached: process.platform !== 'win32',
      windowsHide: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid;
    this.#logger = options.logger.child({ plugin: options.plugin, worker: this.pid });
    let resolveClosed: () => void = () => undefined;
    this.#whenClosed = new Promise((resolve) => (resolveClosed = resolve));
    const finish = () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#stopTimers();
      if (this.pid !== undefined) untrackGroup(this.pid);
      this.#flushStderr();
      this.#stderrFile.end();
      resolveClosed();
    };
    if (this.pid !== undefined) trackGroup(this.pid);
    this.#child.on('error', (error) => {
      if (this.pid === undefined) {
        this.#fail('spawn_failed', `spawn_failed: ${error.message}`);
        this.#exitCode = 3;
        finish();
      }
    });
    this.#child.on('exit', (code, signal) => {
      this.#exitCode = code;
      this.#signal = signal;
      // Anything the plugin started in the worker's group goes with it.
      if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
    });
    this.#child.on('close', finish);
    this.#child.stdin.on('error', () => {
      this.#stdinClosed = true;
    });
    this.#child.stdout.on('data', (chunk: Buffer) => this.#onStdout(chunk));
    this.#child.stderr.on('data', (chunk: Buffer) => this.#onStderr(chunk));
    if (this.pid !== undefined)
      this.#watchdog = options.timers.setInterval(() => void this.#sampleMemory(), PLUGIN_LIMITS.watchdogIntervalMs);
  }

  /** The plugin's stderr log; a log folder that cannot be written costs the log, never the pass. */
  #openStderrFile(options: PluginWorkerOptions): WriteStream {
    let reported = false;
    const report = (error: Error) => {
      if (reported) return;
      reported = true;
      options.logger.warn('cannot write the plugin stderr log', { plugin: options.plugin, path: options.stderrPath, error: error.message });
    };
    try {
      mkdirSync(dirname(options.stderrPath), { recursive: true });
    } catch (error) {
      report(error as Error);
    }
    const stream = createWriteStream(options.stderrPath, { flags: options.stderrAppend ? 'a' : 'w' });
    stream.on('error', report);
    return stream;
  }

  /** Starts a worker process; its wall clock starts with the first request. */
  static spawn(options: PluginWorkerOptions): PluginWorker {
    return new PluginWorker(options);
  }

  /** True until the process has exited and its pipes closed. */
  get alive(): boolean {
    return !this.#closed;
  }

  /** Resolves when the process has exited and its pipes are closed. */
  get closed(): Promise<void> {
    return this.#whenClosed;
  }

  /**
   * Sends a `validate` request with `hold: true` (§6.3.6): resolves with the validation frame,
   * leaving the worker waiting for {@link run}; or with the exit when it ended first.
   */
  async validate(request: InvokeRequest, timeoutMs: number): Promise<{ frame: ValidationFrame } | { exit: WorkerExit<ValidationFrame> }> {
    this.#expectedId = request.request_id;
    this.#startedAt = this.#options.now();
    const gotFrame = new Promise<void>((resolve) => (this.#onValidation = resolve));
    this.#arm(timeoutMs);
    this.#write(request, false);
    await Promise.race([gotFrame, this.#whenClosed]);
    this.#options.timers.clearTimeout(this.#deadline);
    if (this.#validation !== null) return { frame: this.#validation };
    return { exit: this.#exit<ValidationFrame>(null) };
  }

  /** Sends a `transform` request, closes stdin and resolves with the exit; the wall clock starts now. */
  async run(request: InvokeRequest, timeoutMs: number): Promise<WorkerExit<ResultFrame>> {
    this.#expectedId = request.request_id;
    this.#startedAt = this.#options.now();
    if (!this.#closed) {
      this.#arm(timeoutMs);
      this.#write(request, true);
    }
    await this.#whenClosed;
    return this.#exit(this.#result);
  }

  /** Lets a held worker go: stdin closes and it exits 0; killed if it has not after `graceMs`. Resolves once it is gone. */
  async release(graceMs = PLUGIN_LIMITS.timeoutKillGraceMs): Promise<void> {
    if (!this.#child.stdin.destroyed) this.#child.stdin.end();
    if (this.#closed) return;
    const { timers } = this.#options;
    const timer = timers.setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.#whenClosed;
    timers.clearTimeout(timer);
  }

  /** Stops the worker's group because the pass was cancelled or the host shuts down; its exit reads `aborted`. */
  abort(signal: NodeJS.Signals = 'SIGKILL', detail = 'the pass was cancelled'): void {
    this.#fail('aborted', detail);
    this.kill(signal);
  }

  /** Sends `signal` to the worker's group. */
  kill(signal: NodeJS.Signals): void {
    if (this.pid !== undefined && !this.#closed) signalGroup(this.pid, signal);
  }

  #write(request: InvokeRequest, end: boolean): void {
    const line = `${JSON.stringify(request)}\n`;
    const stdin = this.#child.stdin;
    if (stdin.destroyed || !stdin.writable) {
      this.#stdinClosed = true;
      return;
    }
    stdin.write(line);
    if (end) stdin.end();
  }

  /** Wall clock: TERM the group at the deadline, KILL one grace period later (§6.3.4). */
  #arm(timeoutMs: number): void {
    const { timers } = this.#options;
    timers.clearTimeout(this.#deadline);
    this.#deadline = timers.setTimeout(() => {
      if (this.#closed) return;
      this.#fail('timeout', `timed out after ${Math.round(timeoutMs / 1000)} s`);
      this.kill('SIGTERM');
      this.#killTimer = timers.setTimeout(() => this.kill('SIGKILL'), PLUGIN_LIMITS.timeoutKillGraceMs);
    }, timeoutMs);
  }

  #stopTimers(): void {
    const { timers } = this.#options;
    timers.clearTimeout(this.#deadline);
    timers.clearTimeout(this.#killTimer);
    timers.clearInterval(this.#watchdog);
  }

  #fail(failure: WorkerFailure, detail: string): void {
    if (this.#failure !== null) return;
    this.#failure = failure;
    this.#detail = detail;
  }

  async #sampleMemory(): Promise<void> {
    if (this.pid === undefined || this.#closed) return;
    const rss = await treeRssMb(this.pid);
    if (rss === null || this.#closed) return;
    this.#peakMb = Math.max(this.#peakMb, rss);
    if (rss > this.#options.limits.memoryMb) {
      this.#fail(
        'memory_limit_exceeded',
        `resident memory reached ${Math.round(rss)} MB; the limit is ${this.#options.limits.memoryMb} MB`,
      );
      this.kill('SIGKILL');
    }
  }

  #onStdout(chunk: Buffer): void {
    if (this.#failure === 'ipc_frame_oversize' || this.#failure === 'bad_frame') return;
    this.#stdoutTotal += chunk.length;
    this.#stdout = this.#stdout.length === 0 ? chunk : Buffer.concat([this.#stdout, chunk]);
    for (;;) {
      const newline = this.#stdout.indexOf(10);
      const lineLength = newline < 0 ? this.#stdout.length : newline;
      if (lineLength > PLUGIN_LIMITS.ipcFrameMaxBytes || this.#stdoutTotal > PLUGIN_LIMITS.stdoutMaxBytes) {
        this.#fail('ipc_frame_oversize', `ipc_frame_oversize: a frame on stdout is over ${PLUGIN_LIMITS.ipcFrameMaxBytes} bytes`);
        this.#stdout = Buffer.alloc(0);
        this.kill('SIGKILL');
        return;
      }
      if (newline < 0) return;
      const line = this.#stdout.subarray(0, newline);
      this.#stdout = this.#stdout.subarray(newline + 1);
      if (line.length > 0 && !this.#onFrame(line)) return;
    }
  }

  #badFrame(line: Buffer, why: string): void {
    this.#logger.warn('plugin worker sent a malformed frame', {
      why,
      frame: line.subarray(0, PLUGIN_LIMITS.badFrameLogBytes).toString('utf8'),
    });
    this.#fail('bad_frame', `malformed IPC frame: ${why}`);
    this.kill('SIGKILL');
  }

  /** Handles one stdout line; false when it was a protocol breach (the worker is being killed). */
  #onFrame(line: Buffer): boolean {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      this.#badFrame(line, 'not JSON');
      return false;
    }
    const header = FrameHeaderSchema.safeParse(value);
    if (!header.success) {
      this.#badFrame(line, 'missing kind or request_id');
      return false;
    }
    const { kind } = header.data;
    if (kind !== 'result' && kind !== 'validation') {
      // §6.3.4: an unknown kind is logged and ignored (forward compatibility), whatever its request_id.
      this.#logger.warn('plugin worker sent a frame of unknown kind; ignored', { kind });
      return true;
    }
    if (header.data.request_id !== this.#expectedId) {
      this.#badFrame(line, `request_id ${header.data.request_id} does not match ${this.#expectedId ?? '(none)'}`);
      return false;
    }
    if (kind === 'result') {
      const frame = ResultFrameSchema.safeParse(value);
      if (!frame.success || this.#result !== null) {
        this.#badFrame(
          line,
          frame.success ? 'a second result frame' : `result frame breaks its schema: ${frame.error.issues[0]?.message ?? ''}`,
        );
        return false;
      }
      this.#result = frame.data;
      return true;
    }
    const frame = ValidationFrameSchema.safeParse(value);
    if (!frame.success || this.#validation !== null) {
      this.#badFrame(line, frame.success ? 'a second validation frame' : 'validation frame breaks its schema');
      return false;
    }
    this.#validation = frame.data;
    this.#onValidation?.();
    return true;
  }

  #onStderr(chunk: Buffer): void {
    if (this.#stderrBytes < PLUGIN_LIMITS.stderrFileMaxBytes) {
      const room = PLUGIN_LIMITS.stderrFileMaxBytes - this.#stderrBytes;
      this.#stderrFile.write(chunk.length <= room ? chunk : chunk.subarray(0, room));
      this.#stderrBytes += Math.min(chunk.length, room);
    }
    const text = this.#stderrPartial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.#stderrPartial = (lines.pop() ?? '').slice(-PLUGIN_LIMITS.ipcFrameMaxBytes);
    for (const line of lines) this.#onStderrLine(line);
  }

  #flushStderr(): void {
    if (this.#stderrPartial !== '') this.#onStderrLine(this.#stderrPartial);
    this.#stderrPartial = '';
  }

  #onStderrLine(line: string): void {
    if (line.startsWith('{')) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      const frame = LogFrameSchema.safeParse(value);
      if (frame.success) {
        const { level, message, context } = frame.data;
        this.#logger[level](message, context);
        return;
      }
    }
    if (HEAP_OOM.test(line)) this.#heapOom = true;
    if (line.trim() === '') return;
    this.#stderrTail.push(line.length > 500 ? `${line.slice(0, 500)}...` : line);
    if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
  }

  #exit<F extends { peak_memory_mb?: number | undefined }>(frame: F | null): WorkerExit<F> {
    let failure = this.#failure;
    let detail = this.#detail;
    if (failure === null && this.#heapOom) {
      failure = 'memory_limit_exceeded';
      detail = `the V8 heap reached its ${this.#options.limits.memoryMb} MB cap`;
    }
    if (failure === null && frame === null && this.#stdinClosed) {
      failure = 'worker_stdin_closed';
      detail = 'worker_stdin_closed: the worker closed its stdin before the request was sent';
    }
    const signal = this.#signal;
    let exitCode = this.#exitCode ?? (signal === null ? 3 : signalExitCode(signal));
    if (this.#exitCode === null && signal !== null) exitCode = signalExitCode(signal);
    if (failure === 'timeout') exitCode = PLUGIN_LIMITS.timeoutExitCode;
    return {
      exitCode,
      signal,
      frame,
      failure,
      detail,
      durationMs: Math.max(0, this.#options.now() - this.#startedAt),
      peakMemoryMb: Math.round(Math.max(this.#peakMb, frame?.peak_memory_mb ?? 0)),
      stderrTail: [...this.#stderrTail],
    };
  }
}
