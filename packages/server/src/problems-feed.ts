import { TIMINGS } from '@exlab/core/constants';
import type { Logger } from '@exlab/core/logging';
import type { Config, Finding, ProblemsFrame } from '@exlab/core/schemas';
import { formatUtcTimestamp } from '@exlab/core/schemas';
import { queryProblems } from '@exlab/core/validator';

/** Identity of a finding across audits (requirements C10). */
function keyOf(finding: Finding): string {
  return `${finding.rule}\u0000${finding.offending_path}`;
}

/** Options of {@link ProblemsFeed}. */
export interface ProblemsFeedOptions {
  getConfig: () => Config | null;
  logger: Logger;
  intervalMs?: number | undefined;
  clock?: (() => Date) | undefined;
}

/**
 * The background audit (§11.8, requirements C10): one pass right at start (so the cold cost is
 * paid before anyone looks), then every 30 s; `refresh()` forces one. Subscribers of the problems
 * WebSocket get a snapshot, then a delta per pass with findings added and removed.
 */
/** The validator component of `/health`. */
export type ValidatorHealth = {
  status: 'ok' | 'warn';
  reason?: string;
  /** When the last successful pass ran; null before the first. */
  last_audit_at: string | null;
  findings: number;
  /** Hard findings without an active override: they block sync. */
  blocking_findings: number;
};

export class ProblemsFeed {
  readonly #options: ProblemsFeedOptions;
  readonly #listeners = new Set<(frame: ProblemsFrame) => void>();
  #findings = new Map<string, Finding>();
  #auditAt: string;
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #lastError: string | null = null;
  /** Hard findings without an active override in the current state. */
  #blocking = 0;
  #passes = 0;

  constructor(options: ProblemsFeedOptions) {
    this.#options = options;
    this.#auditAt = formatUtcTimestamp(this.#now());
  }

  /** Starts the first pass and the timer. */
  start(): void {
    void this.refresh().catch(() => undefined);
    const interval = this.#options.intervalMs ?? TIMINGS.auditIntervalMs;
    if (interval > 0) {
      this.#timer = setInterval(() => void this.refresh().catch(() => undefined), interval);
      this.#timer.unref();
    }
  }

  /** Stops the timer; a pass in flight finishes. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  /** The current snapshot. */
  snapshot(): { findings: Finding[]; audit_at: string } {
    return { findings: [...this.#findings.values()], audit_at: this.#auditAt };
  }

  /** The validator component of `/health`: warn while no pass has finished or when the last one failed. */
  health(): ValidatorHealth {
    const counts = { findings: this.#findings.size, blocking_findings: this.#blocking };
    if (this.#lastError !== null)
      return {
        status: 'warn',
        reason: `the last audit failed: ${this.#lastError}`,
        last_audit_at: this.#passes > 0 ? this.#auditAt : null,
        ...counts,
      };
    if (this.#passes === 0) return { status: 'ok', reason: 'first audit running', last_audit_at: null, ...counts };
    return { status: 'ok', last_audit_at: this.#auditAt, ...counts };
  }

  /** Runs an audit pass now (joining one already running) and resolves when the state is updated. */
  refresh(): Promise<void> {
    if (this.#running !== null) return this.#running;
    const pass = this.#pass().finally(() => {
      this.#running = null;
    });
    this.#running = pass;
    return pass;
  }

  /** Adds a WebSocket listener; returns its removal. */
  subscribe(listener: (frame: ProblemsFrame) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #now(): Date {
    return (this.#options.clock ?? (() => new Date()))();
  }

  async #pass(): Promise<void> {
    const config = this.#options.getConfig();
    let findings: Finding[] = [];
    const now = this.#now();
    if (config !== null && config.paths.local_root !== '') {
      try {
        findings = (await queryProblems({ kind: 'all' }, { config, now })).findings;
      } catch (error) {
        this.#lastError = error instanceof Error ? error.message : String(error);
        this.#options.logger.warn(`background audit failed: ${this.#lastError}`);
        return;
      }
    }
    this.#lastError = null;
    this.#passes += 1;
    if (this.#stopped) return;
    const next = new Map(findings.map((finding) => [keyOf(finding), finding]));
    const added = findings.filter((finding) => {
      const before = this.#findings.get(keyOf(finding));
      return before === undefined || JSON.stringify(before) !== JSON.stringify(finding);
    });
    const removed = [...this.#findings.entries()]
      .filter(([key]) => !next.has(key))
      .map(([, finding]) => ({ rule: finding.rule, offending_path: finding.offending_path }));
    this.#findings = next;
    this.#blocking = findings.filter((f) => f.tier === 'hard' && !f.override_active).length;
    this.#auditAt = formatUtcTimestamp(now);
    const frame: ProblemsFrame = { kind: 'delta', audit_at: this.#auditAt, added, removed };
    for (const listener of this.#listeners) listener(frame);
  }
}
