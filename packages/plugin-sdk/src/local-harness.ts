/**
 * `runPluginLocally`: runs a plugin folder over some files the way the app does (§6.3.1), in a
 * child process with the SDK's own worker entry, for authors' own tests. No limits, no policy
 * checks, no manifest gate: this is a test harness, not the host (`exlab plugins exec` is the
 * full check). Depends on nothing outside this package.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InputRequest, InvokeRequest, LogFrame, ResultFrame } from './ipc.js';
import { PROTOCOL_VERSION, WORKER_EXIT_CODES } from './protocol.js';
import type { FileChange, PluginFileResult } from './types.js';

/** The harness could not run the worker, or the worker broke the protocol. */
export class LocalHarnessError extends Error {
  override readonly name = 'LocalHarnessError';
}

/** One prompt the plugin raised during a local run, with the answers it got (null: none). */
export interface LocalInputPrompt extends InputRequest {
  answers: Record<string, unknown> | null;
}

/** Options of {@link runPluginLocally}. */
export interface LocalRunOptions {
  /** The creation's variables (`ctx.variables`). */
  variables?: Record<string, unknown>;
  /** Answers handed to the plugin up front (`ctx.extra_inputs`). */
  extraInputs?: Record<string, unknown> | null;
  /** Calls `describeChanges` instead of `transform` (nothing should be written). */
  dryRun?: boolean;
  /** The run folder (`ctx.dst_root`, the worker's cwd); default the folder of the first file. */
  dstRoot?: string;
  /** Answers a prompt like the operator would (null cancels); without it a prompt ends the run. */
  onInputRequired?: (prompt: InputRequest) => Promise<Record<string, unknown> | null> | Record<string, unknown> | null;
  /** Kills the worker after this long (default 60 000 ms). */
  timeoutMs?: number;
  /** Other context fields (template_name, run_kind, equipment_id, project, ...). */
  context?: Partial<Omit<InvokeRequest['context'], 'variables' | 'dry_run' | 'dst_root'>>;
}

/** What a local run produced. */
export interface LocalRunResult {
  /** The last worker's verdict (`input_required` when a prompt was left unanswered). */
  result: ResultFrame['result'];
  /** The last worker's exit code: 0 success, 1 PluginError, 2 input required, 3 crash. */
  exitCode: number | null;
  /** What happened to each file, over every worker of the run (a resumed file counts once, last). */
  perFile: PluginFileResult[];
  /** Every change the plugin reported, in order. */
  changes: FileChange[];
  /** Every prompt raised, with the answers given. */
  prompts: LocalInputPrompt[];
  /** True when `onInputRequired` returned null. */
  cancelled: boolean;
  /** The plugin's error message, if it failed. */
  errorMessage: string | null;
  /** The plugin's log frames (`ctx.logger`), in order. */
  logs: LogFrame[];
  /** stderr lines that were not log frames (console output, stack traces). */
  stderr: string[];
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The worker script and Node flags: the built `worker.js` beside this module (which installs the
 * SDK's resolution itself), or the TypeScript sources with the `register` preload.
 */
function workerCommand(): string[] {
  const here = import.meta.url;
  const dir = dirname(fileURLToPath(here));
  if (!here.endsWith('.ts')) return [join(dir, 'worker.js')];
  return ['--conditions=@exlab/source', '--import', pathToFileURL(join(dir, 'register.ts')).href, join(dir, 'worker.ts')];
}

interface WorkerRun {
  frame: ResultFrame | null;
  exitCode: number | null;
  logs: LogFrame[];
  stderr: string[];
}

/** Spawns one worker for `request` and collects its frame, logs and exit code. */
function runWorker(request: InvokeRequest, cwd: string, timeoutMs: number): Promise<WorkerRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, workerCommand(), { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new LocalHarnessError(`could not start the plugin worker: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new LocalHarnessError(`the plugin did not finish within ${timeoutMs} ms`));
        return;
      }
      const logs: LogFrame[] = [];
      const other: string[] = [];
      for (const line of stderr.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const parsed = JSON.parse(line) as Partial<LogFrame>;
          if (typeof parsed.level === 'string' && typeof parsed.message === 'string') {
            logs.push(parsed as LogFrame);
            continue;
          }
        } catch {
          // not a log frame: console output or a stack trace
        }
        other.push(line);
      }
      const answer = stdout.split('\n').find((line) => line.trim() !== '');
      let frame: ResultFrame | null = null;
      if (answer !== undefined) {
        try {
          frame = JSON.parse(answer) as ResultFrame;
        } catch {
          reject(new LocalHarnessError(`the plugin worker wrote a line that is not JSON: ${answer.slice(0, 200)}`));
          return;
        }
      }
      resolveRun({ frame, exitCode: code, logs, stderr: other });
    });
    child.stdin.end(`${JSON.stringify(request)}\n`);
  });
}

/**
 * Runs the plugin in `dir` over `files` (absolute, or relative to `dstRoot`) in a worker process,
 * as the app would: hooks in order, `ctx` deep-frozen, log frames on stderr. A prompt
 * (`PluginInputRequired`) is answered by `onInputRequired`; with answers the plugin runs again
 * from the file that asked, with every answer so far in `ctx.extra_inputs` (§6.4).
 */
export async function runPluginLocally(dir: string, files: readonly string[], options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const pluginDir = resolve(dir);
  const dstRoot = resolve(options.dstRoot ?? (files[0] !== undefined && isAbsolute(files[0]) ? dirname(files[0]) : process.cwd()));
  let remaining = files.map((file) => resolve(dstRoot, file));
  let extraInputs = options.extraInputs ?? null;
  const dryRun = options.dryRun ?? false;
  const perFile = new Map<string, PluginFileResult>();
  const prompts: LocalInputPrompt[] = [];
  const logs: LogFrame[] = [];
  const stderr: string[] = [];
  for (;;) {
    const request: InvokeRequest = {
      kind: 'invoke',
      protocol: PROTOCOL_VERSION,
      request_id: randomUUID(),
      mode: 'transform',
      plugin_dir: pluginDir,
      context: {
        answers_file: join(dstRoot, '.exlab-answers.yml'),
        template_name: 'local_test',
        template_version: '0',
        run_kind: 'test',
        equipment_id: 'LOCAL_TEST',
        project: 'PROJ-TEST',
        ...options.context,
        variables: options.variables ?? {},
        dst_root: dstRoot,
        dry_run: dryRun,
      },
      files: remaining,
      dry_run: dryRun,
      extra_inputs: extraInputs,
    };
    const run = await runWorker(request, dstRoot, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    logs.push(...run.logs);
    stderr.push(...run.stderr);
    const frame = run.frame;
    if (frame === null) {
      return finish('failed', run.exitCode, `the plugin worker exited (${String(run.exitCode)}) without an answer`, false);
    }
    for (const result of frame.per_file) perFile.set(result.path, result as PluginFileResult);
    const asked = frame.input_required;
    if (frame.result !== 'input_required' || asked === null || run.exitCode !== WORKER_EXIT_CODES.inputRequired) {
      return finish(frame.result, run.exitCode, frame.error_message, false);
    }
    const answers = options.onInputRequired === undefined ? null : await options.onInputRequired(asked);
    prompts.push({ ...asked, answers });
    if (answers === null) return finish('input_required', run.exitCode, frame.error_message, options.onInputRequired !== undefined);
    extraInputs = { ...extraInputs, ...answers };
    const index = asked.file === null ? -1 : remaining.indexOf(asked.file);
    if (index > 0) remaining = remaining.slice(index);
  }

  function finish(result: ResultFrame['result'], exitCode: number | null, error: string | null, cancelled: boolean): LocalRunResult {
    const ordered = [...perFile.values()];
    return {
      result,
      exitCode,
      perFile: ordered,
      changes: ordered.flatMap((r) => r.changes ?? []),
      prompts,
      cancelled,
      errorMessage: error,
      logs,
      stderr,
    };
  }
}
