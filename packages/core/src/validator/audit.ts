import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { equipmentDir } from '../paths/index.js';
import { formatUtcTimestamp, type Config, type Finding, type ProblemsReport } from '../schemas/index.js';
import { runAuditPart, type AuditPartInput, type AuditPartResult } from './audit-part.js';
import { errorCode } from './file-read.js';
import { sortFindings } from './finding-order.js';
import { childPath, isSkipped, type AuditStats } from './tree-walk.js';
import type { AuditWorkerRequest, AuditWorkerResponse } from './worker.js';

/** What an audit covers (§11.8 `query_problems(scope)`, core.md H12). */
export type AuditScope =
  | { kind: 'all' }
  | { kind: 'equipment_id'; value: string }
  /** One `<equipment>/<project>` folder; its parent is taken as the equipment folder. */
  | { kind: 'project_path'; value: string };

/** What an audit reads besides the tree. */
export interface AuditContext {
  config: Config;
  /** Clock for override expiry and `audit_at`; defaults to the current time. */
  now?: Date;
  /** Scope `all` includes the staging root (when it exists); default true. */
  staging?: boolean;
  /**
   * @deprecated Ignored: the walk now runs with synchronous fs calls in up to
   * {@link MAX_AUDIT_WORKERS} worker threads. Kept so existing callers still compile.
   */
  concurrency?: number;
}

/** The findings of an audit in the one total order, and its counters. */
export interface AuditReport {
  findings: Finding[];
  stats: AuditStats;
}

/** @deprecated Kept for compatibility; {@link AuditContext.concurrency} is ignored. */
export const DEFAULT_AUDIT_CONCURRENCY = 48;

/** Worker threads an audit uses at most (fewer on a host with fewer cores). */
export const MAX_AUDIT_WORKERS = 2;

/**
 * Below this many folders directly under the scope roots, the audit walks in-process: starting
 * workers would cost more than the walk, and blocking the event loop for so little is harmless.
 */
export const IN_PROCESS_MAX_FOLDERS = 32;

/** The configured equipment folders, absolute and each once; an equipment with no root at all is skipped. */
function equipmentFolders(config: Config, ids: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const id of ids) {
    const dir = equipmentDir(config, id);
    // join('', id) is just the id: neither the entry nor paths.local_root names a root.
    if (dir !== undefined && dir !== normalize(id)) dirs.add(resolve(dir));
  }
  return [...dirs];
}

function emptyStats(): AuditStats {
  return { directories: 0, files: 0, runs: 0, projects: 0, content_scanned: 0, skipped_symlinks: 0, unreadable: 0 };
}

function addStats(into: AuditStats, from: AuditStats): void {
  for (const key of Object.keys(into) as (keyof AuditStats)[]) into[key] += from[key];
}

/** The equipment folders in a staging root (§13.2: staging mirrors `<EQ>/<project>/...`); empty when the root does not exist. */
async function stagingEquipment(root: string, stats: AuditStats): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') stats.unreadable += 1;
    return [];
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    if (isSkipped(entry.name)) continue;
    if (entry.isSymbolicLink()) stats.skipped_symlinks += 1;
    else if (entry.isDirectory()) dirs.push(childPath(root, entry.name));
  }
  return dirs.sort();
}

/** Folders directly under the roots, counted until `limit`: how big the scope is, roughly. */
async function folderCount(dirs: readonly string[], limit: number): Promise<number> {
  let count = 0;
  for (const dir of dirs) {
    if (count >= limit) break;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory() && !isSkipped(entry.name)) count += 1;
  }
  return count;
}

/**
 * The worker entry beside this module: `worker.ts` next to the source, `worker.js` next to the
 * built module, or `validator/worker.js` when the build put this code in a shared chunk; in a
 * program that bundled this code, core's own `@exlab/core/validator/worker`. Null when there is
 * none, and the audit walks in-process.
 */
function workerEntry(): URL | null {
  const here = import.meta.url;
  if (!here.startsWith('file:')) return null;
  const candidates = here.endsWith('.ts') ? ['./worker.ts'] : ['./worker.js', './validator/worker.js'];
  for (const candidate of candidates) {
    const url = new URL(candidate, here);
    if (existsSync(fileURLToPath(url))) return url;
  }
  if (here.endsWith('.ts')) return null;
  try {
    const url = new URL(import.meta.resolve('@exlab/core/validator/worker'));
    return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
  } catch {
    return null;
  }
}

/** Idle audit workers are stopped after this long, so a process that audits once does not keep their memory. */
const WORKER_IDLE_MS = 60_000;

/** A persistent audit worker: started on first use, kept between audits (its code stays compiled), unref'd when idle. */
class AuditWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (result: AuditPartResult) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #dead = false;
  readonly #onDead: (worker: AuditWorker) => void;

  constructor(entry: URL, onDead: (worker: AuditWorker) => void) {
    this.#onDead = onDead;
    this.#worker = new Worker(entry, { workerData: { exlabAuditWorker: true } });
    this.#worker.unref();
    this.#worker.on('message', (response: AuditWorkerResponse) => {
      const job = this.#pending.get(response.id);
      if (job === undefined) return;
      this.#pending.delete(response.id);
      if ('result' in response) job.resolve(response.result);
      else job.reject(new Error(response.error));
      this.#settle();
    });
    this.#worker.on('error', (error) => this.#die(error));
    this.#worker.on('exit', (code) => this.#die(new Error(`audit worker exited with code ${code}`)));
  }

  run(input: AuditPartInput): Promise<AuditPartResult> {
    if (this.#dead) return Promise.reject(new Error('audit worker stopped'));
    const id = this.#nextId;
    this.#nextId += 1;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    // Referenced while a job is in flight, so the process waits for the answer.
    this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ id, input } satisfies AuditWorkerRequest);
      } catch (error) {
        this.#pending.delete(id);
        this.#settle();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  #settle(): void {
    if (this.#pending.size > 0 || this.#dead) return;
    this.#worker.unref();
    this.#idleTimer = setTimeout(() => this.#die(new Error('audit worker idle')), WORKER_IDLE_MS);
    this.#idleTimer.unref();
  }

  #die(error: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#idleTimer);
    this.#onDead(this);
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
    void this.#worker.terminate();
  }
}

let workers: AuditWorker[] = [];

function auditWorkers(entry: URL, count: number): AuditWorker[] {
  while (workers.length < count) {
    workers.push(
      new AuditWorker(entry, (dead) => {
        workers = workers.filter((worker) => worker !== dead);
      }),
    );
  }
  return workers.slice(0, count);
}

/**
 * Walks the roots: in-process for a tiny scope (or where no worker can start), else split
 * across worker threads, so a server's event loop is never blocked by a large walk.
 */
async function walkRoots(roots: AuditPartInput['roots'], config: Config, now: Date): Promise<AuditPartResult[]> {
  const whole: AuditPartInput = { config, now, roots };
  const entry = workerEntry();
  if (entry === null || roots.length === 0) return [await runAuditPart(whole)];
  const size = await folderCount(
    roots.map((root) => root.dir),
    IN_PROCESS_MAX_FOLDERS,
  );
  if (size < IN_PROCESS_MAX_FOLDERS) return [await runAuditPart(whole)];
  // Only equipment roots are shared (a project root goes whole to one walker).
  const count = roots.every((root) => root.role === 'equipment') ? Math.max(1, Math.min(MAX_AUDIT_WORKERS, availableParallelism())) : 1;
  try {
    return await Promise.all(
      auditWorkers(entry, count).map((worker, index) => worker.run(count === 1 ? whole : { ...whole, partition: { index, count } })),
    );
  } catch {
    // No worker could run this code (a loader the host lacks, a cloning problem): walk in-process.
    return [await runAuditPart(whole)];
  }
}

/**
 * Audit mode (§11.8): walks the scope and returns every finding, sorted (core.md H13), with the
 * walk's counters. Read-only and never throws for a filesystem problem: missing, unreadable and
 * symlinked folders are counted in `stats`. An unknown equipment id is an empty report.
 */
export async function audit(scope: AuditScope, context: AuditContext): Promise<AuditReport> {
  const { config } = context;
  const now = context.now ?? new Date();
  const stats = emptyStats();
  let roots: AuditPartInput['roots'];
  switch (scope.kind) {
    case 'equipment_id':
      roots = equipmentFolders(config, [scope.value]).map((dir) => ({ dir, role: 'equipment' }));
      break;
    case 'project_path':
      roots = [{ dir: resolve(scope.value), role: 'project' }];
      break;
    case 'all': {
      const dirs = equipmentFolders(
        config,
        config.equipment.map((entry) => entry.id),
      );
      const stagingRoot = config.orchestrator.staging_root;
      if (context.staging !== false && stagingRoot !== '') {
        // A staged equipment folder that is also a configured one is walked once.
        const known = new Set(dirs);
        for (const dir of await stagingEquipment(resolve(stagingRoot), stats)) if (!known.has(dir)) dirs.push(dir);
      }
      roots = dirs.map((dir) => ({ dir, role: 'equipment' }));
      break;
    }
  }
  const findings: Finding[] = [];
  for (const part of await walkRoots(roots, config, now)) {
    for (const finding of part.findings) findings.push(finding);
    addStats(stats, part.stats);
  }
  return { findings: sortFindings(findings), stats };
}

/** `query_problems(scope)` (§11.8, core.md H14): the audit's findings and when it ran; strictly read-only. */
export async function queryProblems(scope: AuditScope, context: AuditContext): Promise<ProblemsReport> {
  const now = context.now ?? new Date();
  const report = await audit(scope, { ...context, now });
  return { findings: report.findings, audit_at: formatUtcTimestamp(now) };
}
