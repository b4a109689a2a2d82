import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as NodeSqlite from 'node:sqlite';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { SYNC_JOB_STATES, type SyncJobState } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { SyncJobSchema, type SyncJob } from '../schemas/index.js';

/** The queue's table layout; bump with a migration when a column is added (§7.1.1, S1). 2 added `mismatches`. */
const SCHEMA_VERSION = 2;

/**
 * Columns a queue may lack (one written by an older version, or by the Python app, whose S1
 * layout has neither `level` nor the error detail), with the definition each is added with.
 */
const ADDED_COLUMNS: Readonly<Record<string, string>> = {
  level: "TEXT NOT NULL DEFAULT 'run'",
  last_error_detail: 'TEXT',
  mismatches: 'INTEGER NOT NULL DEFAULT 0',
  nas_path: "TEXT NOT NULL DEFAULT ''",
  verify_passes: 'INTEGER NOT NULL DEFAULT 0',
  attempts: 'INTEGER NOT NULL DEFAULT 0',
  last_attempt_at: 'TEXT',
  next_attempt_at: 'TEXT',
  last_error: 'TEXT',
  verified_at: 'TEXT',
};
/** Columns without which a table is not a NAS sync queue at all. */
const REQUIRED_COLUMNS = ['id', 'run_path', 'equipment_id', 'state', 'enqueued_at'];

/** How long a statement waits for another process's write lock; the worker retries later instead of blocking the tray. */
const BUSY_TIMEOUT_MS = 250;

const CREATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  run_path TEXT UNIQUE NOT NULL,
  equipment_id TEXT NOT NULL,
  level TEXT NOT NULL DEFAULT 'run',
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_at TEXT,
  next_attempt_at TEXT,
  last_error TEXT,
  last_error_detail TEXT,
  verify_passes INTEGER NOT NULL DEFAULT 0,
  verified_at TEXT,
  enqueued_at TEXT NOT NULL,
  nas_path TEXT NOT NULL DEFAULT '',
  mismatches INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS unreadable_jobs (
  id TEXT,
  moved_at TEXT NOT NULL,
  reason TEXT NOT NULL,
  row_json TEXT NOT NULL
);
`;

const CREATE_INDEXES = `
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_next_attempt ON jobs(next_attempt_at);
`;

/** The columns a new job starts with. */
export interface NewSyncJob {
  run_path: string;
  equipment_id: string;
  level: SyncJob['level'];
  nas_path: string;
  enqueued_at: string;
}

/** Columns a state change may set besides the state. */
export type SyncJobPatch = Partial<
  Pick<
    SyncJob,
    | 'attempts'
    | 'last_attempt_at'
    | 'next_attempt_at'
    | 'last_error'
    | 'last_error_detail'
    | 'verify_passes'
    | 'verified_at'
    | 'equipment_id'
    | 'mismatches'
  >
>;

/** How many jobs are in each state. */
export type SyncJobCounts = Record<SyncJobState, number>;

const PATCH_COLUMNS = [
  'attempts',
  'last_attempt_at',
  'next_attempt_at',
  'last_error',
  'last_error_detail',
  'verify_passes',
  'verified_at',
  'equipment_id',
  'mismatches',
] as const satisfies readonly (keyof SyncJobPatch)[];

/**
 * The durable NAS sync queue (§7.1.1-7.1.2, sync requirements S1-S2): one SQLite table under the
 * state dir, in WAL mode, that survives restarts. Every state change is a compare-and-set on the
 * state the caller saw, so a job never moves twice from one state.
 */
export class SyncJobStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /**
   * Opens (creating when missing) the queue at `path`, adding the columns an older layout lacks.
   * A queue from a newer app, or a table that is not a queue, is refused and left as it is.
   */
  static async open(path: string): Promise<SyncJobStore> {
    const sqlite = await loadSqlite();
    await mkdir(dirname(path), { recursive: true });
    const db = new sqlite.DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      // Reads only, when the queue is already in shape: a write (and its fsync) happens only to set it up.
      if ((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode !== 'wal')
        db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
      if (version === SCHEMA_VERSION) return new SyncJobStore(path, db);
      if (version > SCHEMA_VERSION) {
        throw new ExLabError(
          'schema_major_mismatch',
          `The NAS sync queue ${path} was written by a newer ExLab-Wizard (queue schema ${version}; this one reads ${SCHEMA_VERSION}). Update ExLab-Wizard; the queue was left as it is.`,
          { details: { expected_major: SCHEMA_VERSION, found: version } },
        );
      }
      db.exec(CREATE_SCHEMA);
      migrate(db, path);
      db.exec(CREATE_INDEXES);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SyncJobStore(path, db);
  }

  /** The job with this id. */
  get(id: string): SyncJob | undefined {
    return rowToJob(this.#statement('SELECT * FROM jobs WHERE id = ?').get(id));
  }

  /** The job of this folder. */
  byPath(runPath: string): SyncJob | undefined {
    return rowToJob(this.#statement('SELECT * FROM jobs WHERE run_path = ?').get(runPath));
  }

  /** Adds a queued job; a folder that already has one is `sync_job_exists` (S1: run_path is unique). */
  insert(job: NewSyncJob): SyncJob {
    const id = randomUUID();
    try {
      this.#statement(
        `INSERT INTO jobs (id, run_path, equipment_id, level, state, enqueued_at, nas_path)
         VALUES (:id, :run_path, :equipment_id, :level, 'queued', :enqueued_at, :nas_path)`,
      ).run({ id, ...job });
    } catch (error) {
      if ((error as { errcode?: number }).errcode === SQLITE_CONSTRAINT_UNIQUE) {
        throw new ExLabError('sync_job_exists', `${job.run_path} already has a NAS sync job.`, { details: { path: job.run_path } });
      }
      throw error;
    }
    return this.get(id) as SyncJob;
  }

  /**
   * Moves job `id` from one of `from` to `to`, setting `patch` in the same statement. Throws
   * `sync_job_state_changed` when the job is in none of `from` (someone else moved it first).
   */
  transition(id: string, from: readonly SyncJobState[], to: SyncJobState, patch: SyncJobPatch = {}): SyncJob {
    const columns = PATCH_COLUMNS.filter((column) => patch[column] !== undefined);
    const assignments = ['state = :to', ...columns.map((column) => `${column} = :${column}`)].join(', ');
    const params: Record<string, SQLInputValue> = { id, to };
    for (const column of columns) params[column] = patch[column] ?? null;
    const allowed = from.map((_, index) => `:from${index}`).join(', ');
    from.forEach((state, index) => (params[`from${index}`] = state));
    const result = this.#statement(`UPDATE jobs SET ${assignments} WHERE id = :id AND state IN (${allowed})`).run(params);
    if (Number(result.changes) === 0) {
      const current = this.get(id);
      throw new ExLabError(
        'sync_job_state_changed',
        current ? `NAS sync job ${id} is ${current.state}, not ${from.join(' or ')}; it was not moved to ${to}.` : `No NAS sync job ${id}.`,
        { details: { id, expected: [...from], found: current?.state ?? null } },
      );
    }
    return this.get(id) as SyncJob;
  }

  /**
   * The oldest job the worker should take up at `now` (S4: one at a time, oldest first): a push or
   * a verification whose back-off has passed, a verified job due for its next verification pass or
   * cleanup check, and, only when `cleanup` is on, a job waiting for the reaper.
   */
  nextDue(now: string, options: { cleanup: boolean }): SyncJob | undefined {
    return rowToJob(
      this.#statement(
        `SELECT * FROM jobs WHERE
           (state IN ('queued', 'awaiting_verify') AND (next_attempt_at IS NULL OR next_attempt_at <= :now))
           OR (state = 'verified' AND next_attempt_at IS NOT NULL AND next_attempt_at <= :now)
           OR (:cleanup = 1 AND state = 'cleanup_eligible' AND (next_attempt_at IS NULL OR next_attempt_at <= :now))
         ORDER BY enqueued_at, rowid LIMIT 1`,
      ).get({ now, cleanup: options.cleanup ? 1 : 0 }),
    );
  }

  /** The earliest `next_attempt_at` of the jobs {@link nextDue} could hand out later, or undefined. */
  nextWakeAt(options: { cleanup: boolean }): string | undefined {
    const row = this.#statement(
      `SELECT MIN(next_attempt_at) AS at FROM jobs WHERE next_attempt_at IS NOT NULL
         AND (state IN ('queued', 'awaiting_verify', 'verified') OR (:cleanup = 1 AND state = 'cleanup_eligible'))`,
    ).get({ cleanup: options.cleanup ? 1 : 0 }) as { at: string | null } | undefined;
    return row?.at ?? undefined;
  }

  /**
   * After a restart (S2, §7.1.2): a job that was pushing goes back to the queue (the push is
   * re-run; rsync and rclone skip what already arrived); a pushed job still waits for its
   * verification, which the worker runs again. Returns how many jobs were requeued.
   */
  recoverAfterRestart(): number {
    // Looked for first: the usual start finds none, and a read needs no write transaction.
    if (this.#statement(`SELECT 1 FROM jobs WHERE state = 'running' LIMIT 1`).get() === undefined) return 0;
    return Number(this.#statement(`UPDATE jobs SET state = 'queued' WHERE state = 'running'`).run().changes);
  }

  /** How many jobs are in each state. */
  counts(): SyncJobCounts {
    const counts = Object.fromEntries(SYNC_JOB_STATES.map((state) => [state, 0])) as SyncJobCounts;
    for (const row of this.#statement('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: string; n: number }[]) {
      if ((SYNC_JOB_STATES as readonly string[]).includes(row.state)) counts[row.state as SyncJobState] = Number(row.n);
    }
    return counts;
  }

  /** Every job, oldest first; only those in `states` when given. */
  list(states?: readonly SyncJobState[]): SyncJob[] {
    const rows =
      states === undefined
        ? this.#statement('SELECT * FROM jobs ORDER BY enqueued_at, rowid').all()
        : this.#db
            .prepare(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY enqueued_at, rowid`)
            .all(...states);
    return rows.flatMap((row) => {
      const parsed = parseRow(row);
      return parsed.ok ? [parsed.job] : [];
    });
  }

  /**
   * Moves a row that does not read as a job (a damaged file, a value an older or foreign writer
   * left) out of the queue into `unreadable_jobs`, with the reason, so the worker goes on with the
   * others. Returns the run path it named, when it had one.
   */
  setAside(id: string, reason: string, now: string): string | null {
    const row = this.#statement('SELECT * FROM jobs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (row === undefined) return null;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#statement('INSERT INTO unreadable_jobs (id, moved_at, reason, row_json) VALUES (?, ?, ?, ?)').run(
        id,
        now,
        reason,
        JSON.stringify(row),
      );
      this.#statement('DELETE FROM jobs WHERE id = ?').run(id);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    return typeof row.run_path === 'string' ? row.run_path : null;
  }

  /** Closes the database; the store is unusable afterwards. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

const SQLITE_CONSTRAINT_UNIQUE = 2067;

function parseRow(row: unknown): { ok: true; job: SyncJob } | { ok: false; id: string | null; reason: string } {
  const record = { ...(row as Record<string, unknown>) };
  for (const column of ['attempts', 'verify_passes', 'mismatches'] as const) record[column] = Number(record[column]);
  const parsed = SyncJobSchema.safeParse(record);
  if (parsed.success) return { ok: true, job: parsed.data };
  const issue = parsed.error.issues[0];
  const reason = `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}`;
  return { ok: false, id: typeof record.id === 'string' ? record.id : null, reason };
}

function rowToJob(row: unknown): SyncJob | undefined {
  if (row === undefined) return undefined;
  const parsed = parseRow(row);
  if (parsed.ok) return parsed.job;
  throw new ExLabError('sync_queue_invalid', `A NAS sync queue row does not read as a job (${parsed.reason}).`, {
    details: { id: parsed.id, reason: parsed.reason },
  });
}

// Adds the columns an older or foreign layout lacks; a table missing a required column is not a queue.
function migrate(db: DatabaseSync, path: string): void {
  const present = new Set((db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((column) => column.name));
  const missing = REQUIRED_COLUMNS.filter((column) => !present.has(column));
  if (missing.length > 0) {
    throw new ExLabError(
      'sync_queue_invalid',
      `${path} has a jobs table without ${missing.join(', ')}; it is not a NAS sync queue and was left as it is.`,
      {
        details: { missing },
      },
    );
  }
  for (const [column, definition] of Object.entries(ADDED_COLUMNS)) {
    if (!present.has(column)) db.exec(`ALTER TABLE jobs ADD COLUMN ${column} ${definition}`);
  }
}

type SqliteModule = typeof NodeSqlite;

// node:sqlite needs no flag from Node 22.13 on; the app supports 22.12, where it does.
async function loadSqlite(): Promise<SqliteModule> {
  try {
    return await import('node:sqlite');
  } catch (error) {
    throw new ExLabError(
      'sync_queue_unavailable',
      `This Node.js (${process.version}) has no node:sqlite, which the NAS sync queue needs; use Node.js 22.13 or newer (24 LTS recommended).`,
      { details: { reason: String((error as Error).message) } },
    );
  }
}
