import { TIMINGS } from '@exlab/core/constants';
import { systemClock, type Clock } from './clock.js';
import { safeCount } from './quit-coordinator.js';

/** What the tray status line is computed from (§4.3.2 status.py). */
export interface StatusSource {
  /** Sync jobs queued plus in flight (FE: the count is queue + in-flight). */
  syncJobs?: (() => unknown) | undefined;
  /** Creation sessions waiting for operator input. */
  pluginsNeedingInput?: (() => unknown) | undefined;
}

/** The status label (lifecycle.md I2): `Idle`, or `Sync: N job(s)` and `N plugin(s) need(s) input` joined with `; `. */
export function formatStatusLabel(syncJobs: number, pluginsNeedingInput: number): string {
  const parts: string[] = [];
  if (syncJobs > 0) parts.push(`Sync: ${syncJobs} ${syncJobs === 1 ? 'job' : 'jobs'}`);
  if (pluginsNeedingInput > 0) parts.push(pluginsNeedingInput === 1 ? '1 plugin needs input' : `${pluginsNeedingInput} plugins need input`);
  return parts.length === 0 ? 'Idle' : parts.join('; ');
}

/** Reads a {@link StatusSource} defensively into a label. */
export function statusLabelOf(source: StatusSource): string {
  return formatStatusLabel(safeCount(source.syncJobs), safeCount(source.pluginsNeedingInput));
}

/** Recomputes the label every 5 s and reports it only when it changed (I2). */
export class StatusTicker {
  readonly #source: StatusSource;
  readonly #onChange: (label: string) => void;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #label: string | undefined;
  #cancel: (() => void) | undefined;

  constructor(options: { source: StatusSource; onChange: (label: string) => void; clock?: Clock; intervalMs?: number }) {
    this.#source = options.source;
    this.#onChange = options.onChange;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? TIMINGS.statusTickMs;
  }

  /** The last label computed. */
  get label(): string {
    return this.#label ?? statusLabelOf(this.#source);
  }

  /** Computes the label now and then on every tick. */
  start(): void {
    if (this.#cancel !== undefined) return;
    this.tick();
    const schedule = (): void => {
      this.#cancel = this.#clock.setTimer(this.#intervalMs, () => {
        this.tick();
        schedule();
      });
    };
    schedule();
  }

  /** One recompute; calls `onChange` only when the label differs from the last one. */
  tick(): void {
    const label = statusLabelOf(this.#source);
    if (label === this.#label) return;
    this.#label = label;
    try {
      this.#onChange(label);
    } catch {
      // A broken icon must not stop the ticker (I1: callback errors are swallowed).
    }
  }

  /** Stops ticking (Q5). */
  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
