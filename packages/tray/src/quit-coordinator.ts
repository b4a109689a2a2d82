import { TIMINGS } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import { systemClock, type Clock } from './clock.js';

/**
 * The work a quit waits for (§4.3.2). Kept this small so the coordinator never depends on the
 * controller's or the sync client's shape; each count may be missing, throw or return junk.
 */
export interface QuitWorkload {
  /** Creation sessions not yet in a final state. */
  activeSessions?: (() => unknown) | undefined;
  /** NAS sync jobs being transferred right now. */
  inFlightSyncJobs?: (() => unknown) | undefined;
}

/** The operator's answer to the force-quit prompt. */
export type ForceQuitAnswer = 'force' | 'wait';

/**
 * Asks the operator whether to force quit (Q4): in the window when a UI is connected, else as an
 * OS notification. `signal` aborts when the answer is no longer needed (timeout, a signal quit).
 */
export type ForceQuitPrompt = (message: string, signal: AbortSignal) => Promise<ForceQuitAnswer> | ForceQuitAnswer;

/** One step of the teardown (Q5), run in order; a failing step is logged and the next one still runs. */
export interface TeardownStep {
  /** Name for the log. */
  name: string;
  /** Does the step. */
  run(): Promise<void> | void;
}

/** Why a quit was asked for. */
export type QuitReason = 'operator' | 'signal' | 'control';

/** One quit request. */
export interface QuitRequest {
  /** operator: tray menu or UI; signal: SIGTERM/INT/HUP (5 s drain, no prompt); control: `POST /app/quit`. */
  reason: QuitReason;
  /** Skip the drain and tear down at once. */
  force?: boolean | undefined;
  /** Override the drain window (ms). */
  drainMs?: number | undefined;
  /** False: when the drain times out, force without asking (the CLI's `exlab stop`). */
  prompt?: boolean | undefined;
}

/** How a quit went. */
export interface QuitOutcome {
  /** Work was still running when the teardown started. */
  forced: boolean;
  /** How many times the operator was asked (0 or 1). */
  prompts: number;
  /** Operations running when the drain ended. */
  operationsLeft: number;
  /** Teardown steps that failed, by name. */
  failedSteps: string[];
}

/** Options of {@link QuitCoordinator}. */
export interface QuitCoordinatorOptions {
  /** What to wait for. */
  workload?: QuitWorkload | null | undefined;
  /** The force-quit prompt (default: always force). */
  prompt?: ForceQuitPrompt | undefined;
  /** Called once, first thing: from here on new sessions get 503 `shutting_down` (Q2). */
  onQuitStarted?: (() => void) | undefined;
  /** The teardown, in order (Q5). Read when the teardown starts. */
  teardown: () => readonly TeardownStep[];
  /** Drain window of an operator quit (default 30 s). */
  drainMs?: number | undefined;
  /** Drain window after a signal (default 5 s). */
  signalDrainMs?: number | undefined;
  /** Idle re-check interval (default 100 ms). */
  pollMs?: number | undefined;
  /** An unanswered prompt counts as Force quit after this long (default 30 s). */
  promptAnswerMs?: number | undefined;
  /** Monotonic clock (Q7). */
  clock?: Clock | undefined;
  /** Where the quit is logged. */
  logger?: Logger | undefined;
}

/** A count read defensively (Q3): null, missing, throwing, negative or non-numeric reads as 0. */
export function safeCount(read: (() => unknown) | undefined): number {
  if (typeof read !== 'function') return 0;
  let raw: unknown;
  try {
    raw = read();
  } catch {
    return 0;
  }
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** The prompt text of Q4. */
export function forceQuitMessage(operations: number): string {
  return `${operations} operation${operations === 1 ? '' : 's'} still running. Force quit anyway?`;
}

/**
 * The graceful-shutdown protocol (§4.3.2, lifecycle.md Q1-Q7): refuse new work, wait for
 * `active sessions == 0 && in-flight sync jobs == 0` (30 s; 5 s after a signal; polled every
 * 100 ms on a monotonic clock), then ask Force quit / Wait once (never on a signal; Wait gives
 * one more window, then forces), then run the teardown in order. A second request joins the
 * one in progress; a signal arriving during an operator quit cuts the remaining wait to the
 * signal window and withdraws the prompt.
 */
export class QuitCoordinator {
  readonly #options: QuitCoordinatorOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #running: Promise<QuitOutcome> | undefined;
  #hurryDeadline: number | undefined;
  readonly #hurry = new AbortController();

  constructor(options: QuitCoordinatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? createNullLogger();
  }

  /** True once a quit has started. */
  get inProgress(): boolean {
    return this.#running !== undefined;
  }

  /** Operations the drain is waiting for. */
  operations(): number {
    const workload = this.#options.workload;
    return safeCount(workload?.activeSessions) + safeCount(workload?.inFlightSyncJobs);
  }

  /** Runs the protocol; a call while one is in progress joins it (a signal also hurries it). */
  quit(request: QuitRequest): Promise<QuitOutcome> {
    if (this.#running !== undefined) {
      if (request.reason === 'signal' || request.force) this.#hurryUp(request.force ? 0 : this.#signalDrainMs());
      return this.#running;
    }
    this.#running = this.#run(request);
    return this.#running;
  }

  #signalDrainMs(): number {
    return this.#options.signalDrainMs ?? TIMINGS.signalDrainMs;
  }

  #hurryUp(windowMs: number): void {
    const deadline = this.#clock.now() + windowMs;
    this.#hurryDeadline = this.#hurryDeadline === undefined ? deadline : Math.min(this.#hurryDeadline, deadline);
    this.#hurry.abort();
    this.#log.info(`quit hurried: at most ${windowMs} ms more`);
  }

  #isIdle(): boolean {
    return this.operations() === 0;
  }

  async #run(request: QuitRequest): Promise<QuitOutcome> {
    try {
      this.#options.onQuitStarted?.();
    } catch (error) {
      this.#log.warn(`quit: could not mark the server as shutting down: ${describeError(error)}`);
    }
    const signal = request.reason === 'signal';
    const windowMs = request.drainMs ?? (signal ? this.#signalDrainMs() : (this.#options.drainMs ?? TIMINGS.quitDrainMs));
    this.#log.info(`graceful shutdown started (reason ${request.reason}, drain ${request.force ? 0 : windowMs} ms)`);
    if (signal) this.#hurryDeadline = this.#clock.now() + windowMs;

    let prompts = 0;
    const idle = request.force ? this.#isIdle() : await this.#waitForIdle(windowMs);
    if (!idle && !request.force) {
      const mayPrompt = !signal && request.prompt !== false && !this.#hurry.signal.aborted;
      if (mayPrompt) {
        prompts = 1;
        const answer = await this.#ask(this.operations());
        if (answer === 'wait') {
          this.#log.info('operator chose Wait: one more drain window, then force');
          await this.#waitForIdle(windowMs);
        }
      }
    }
    const operationsLeft = this.operations();
    const forced = operationsLeft > 0;
    if (forced)
      this.#log.warn(`force quitting with ${operationsLeft} operation(s) still running; the sync queue resumes on the next start`);

    const failedSteps: string[] = [];
    for (const step of this.#options.teardown()) {
      try {
        await step.run();
      } catch (error) {
        failedSteps.push(step.name);
        this.#log.warn(`teardown step ${step.name} failed: ${describeError(error)}`);
      }
    }
    return { forced, prompts, operationsLeft, failedSteps };
  }

  /** Polls the idle predicate until it holds (true) or the window, or a hurried deadline, passes (false). */
  async #waitForIdle(windowMs: number): Promise<boolean> {
    if (this.#isIdle()) return true;
    if (windowMs <= 0) return false;
    const deadline = this.#clock.now() + windowMs;
    const pollMs = this.#options.pollMs ?? TIMINGS.quitPollMs;
    for (;;) {
      const end = Math.min(deadline, this.#hurryDeadline ?? Number.POSITIVE_INFINITY);
      const now = this.#clock.now();
      if (now >= end) return this.#isIdle();
      await this.#clock.sleep(Math.min(pollMs, end - now));
      if (this.#isIdle()) return true;
    }
  }

  /** Asks once; a throwing prompt, no answer within the answer window, or a hurry all mean Force quit. */
  async #ask(operations: number): Promise<ForceQuitAnswer> {
    const prompt = this.#options.prompt;
    const message = forceQuitMessage(operations);
    this.#log.warn(`drain timed out; asking: ${message}`);
    if (prompt === undefined) return 'force';
    const abort = new AbortController();
    const onHurry = (): void => abort.abort();
    this.#hurry.signal.addEventListener('abort', onHurry, { once: true });
    let cancelTimer: (() => void) | undefined;
    const timeout = new Promise<ForceQuitAnswer>((resolve) => {
      cancelTimer = this.#clock.setTimer(this.#options.promptAnswerMs ?? TIMINGS.quitPromptAnswerMs, () => {
        this.#log.warn('force-quit prompt unanswered; forcing');
        abort.abort();
        resolve('force');
      });
    });
    const aborted = new Promise<ForceQuitAnswer>((resolve) =>
      abort.signal.addEventListener('abort', () => resolve('force'), { once: true }),
    );
    try {
      const answer = await Promise.race([Promise.resolve().then(() => prompt(message, abort.signal)), timeout, aborted]);
      return answer === 'wait' ? 'wait' : 'force';
    } catch (error) {
      this.#log.warn(`force-quit prompt failed (${describeError(error)}); forcing`);
      return 'force';
    } finally {
      cancelTimer?.();
      abort.abort();
      this.#hurry.signal.removeEventListener('abort', onHurry);
    }
  }
}
