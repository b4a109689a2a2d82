import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DETACHED_RUNS, ENV, FILE_NAMES } from '../constants/index.js';
import { ExLabError } from '../errors/index.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { compareCodeUnits } from '../io/order.js';
import type { RunStatus } from '../schemas/run-status.js';
import { formatUtcTimestamp, parseUtcTimestamp } from '../schemas/timestamp.js';
import { runStatusSchemas } from './file-schemas.js';
import { isProcessAlive, readProcessStartToken } from './liveness.js';
import { terminateProcessTree, type TerminateOutcome } from './process-group.js';

/** Options of {@link launchDetached}. */
export interface LaunchOptions {
  /** Program and arguments. */
  cmd: readonly string[];
  /** Kind of run; `[a-z0-9_-]+`. */
  slug: string;
  /** `<state>/runs`: the run dir is `<runsDir>/<slug>/<run_id>/`. */
  runsDir: string;
  /** What the run is, for people. */
  description?: string;
  /** Environment the child starts from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Variables set on top; only their names are recorded. */
  envUpdates?: Readonly<Record<string, string>>;
  /** Working directory of the child. */
  cwd?: string;
  /** Refuse with `run_limit_reached` when this many runs of `slug` are live (best effort: two launches can race past it). */
  maxLive?: number;
  /** Live runs older than this are killed by {@link cleanupRuns}; null = no limit (default 8 h). */
  maxRuntimeSeconds?: number | null;
  /** Ended runs are deleted this long after their observed end (default 24 h). */
  ttlSeconds?: number;
  /** Clock (default the system clock). */
  now?: () => Date;
}

/** A run just launched. */
export interface LaunchedRun {
  /** `<slug>-<YYYYMMDDTHHMMSS>-<4 hex>`. */
  runId: string;
  /** Its folder. */
  runDir: string;
  /** What status.json says right after the launch. */
  status: RunStatus;
  /** The child handle, for a launcher that watches it while it lives; it is unref'd, so it never keeps the launcher alive. */
  child: ChildProcess;
}

/** What {@link getRunInfo} reports (D4). */
export interface RunInfo extends RunStatus {
  /** The run dir. */
  run_dir: string;
  /** Seconds from launch to the observed end (or to now while running). */
  elapsed_seconds: number | null;
  /** The last parsed lines of messages.jsonl. */
  messages: unknown[];
  /** The last lines of stdout.log. */
  stdout_tail: string[];
  /** The last lines of stderr.log. */
  stderr_tail: string[];
  /** result.json, or null. */
  result: unknown;
}

/** What {@link cleanupRuns} did. */
export interface CleanupReport {
  /** Runs killed for exceeding their max runtime. */
  killed: string[];
  /** Run dirs deleted. */
  deleted: string[];
}

/** Options of {@link cleanupRuns}. */
export interface CleanupOptions {
  /** Clock (default the system clock). */
  now?: () => Date;
  /** Use this TTL instead of each run's `ttl_seconds`. */
  ttlOverrideSeconds?: number;
  /** SIGTERM-to-SIGKILL grace when killing an over-runtime run. */
  killGraceMs?: number;
}

const nowOf = (options: { now?: () => Date }): Date => (options.now ?? (() => new Date()))();

/** The runs folder of a state dir. */
export function runsDirOf(stateDir: string): string {
  return join(stateDir, DETACHED_RUNS.dirName);
}

/** Throws `validation_failed` on `slug` unless it is `[a-z0-9_-]+`. */
export function assertValidSlug(slug: string): void {
  if (!DETACHED_RUNS.slugPattern.test(slug))
    throw new ExLabError('validation_failed', `Invalid run slug "${slug}": use lower-case letters, digits, "_" and "-".`, {
      field: 'slug',
    });
}

/** A new run id `<slug>-<YYYYMMDDTHHMMSS>-<4 hex>` (UTC). */
export function generateRunId(slug: string, now: Date = new Date()): string {
  assertValidSlug(slug);
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${slug}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The slug of a run id; null when it is not one. */
export function slugOfRunId(runId: string): string | null {
  const match = /^([a-z0-9_-]+)-(\d{8}T\d{6})-([0-9a-f]{4})$/.exec(runId);
  return match?.[1] ?? null;
}

/** The folder of `runId` under `runsDir`; throws `validation_failed` for something that is not a run id. */
export function runDirFor(runsDir: string, runId: string): string {
  const slug = slugOfRunId(runId);
  if (slug === null) throw new ExLabError('validation_failed', `"${runId}" is not a run id.`, { field: 'run_id' });
  return join(runsDir, slug, runId);
}

/**
 * Launches `cmd` detached (lifecycle.md D1-D3): its own session and process group, no console
 * window, stdin closed, stdout/stderr appended to files in a fresh run dir, `EXLAB_RUN_DIR` in
 * its environment, and status.json written atomically with the pid and its start token.
 */
export async function launchDetached(options: LaunchOptions): Promise<LaunchedRun> {
  assertValidSlug(options.slug);
  const [program, ...args] = options.cmd;
  if (program === undefined) throw new ExLabError('validation_failed', 'A detached run needs a command.', { field: 'cmd' });
  if (options.maxLive !== undefined) {
    const live = await countLiveRunsOf(options.runsDir, options.slug, { finalize: false });
    if (live >= options.maxLive)
      throw new ExLabError('run_limit_reached', `${live} "${options.slug}" run(s) already live (limit ${options.maxLive}).`, {
        details: { slug: options.slug, live, max_live: options.maxLive },
      });
  }
  const launchTime = nowOf(options);
  const runId = generateRunId(options.slug, launchTime);
  const runDir = join(options.runsDir, options.slug, runId);
  await mkdir(runDir, { recursive: true, mode: 0o700 });

  const stdout = await open(join(runDir, FILE_NAMES.runStdout), 'a', 0o600);
  const stderr = await open(join(runDir, FILE_NAMES.runStderr), 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      detached: true,
      windowsHide: true,
      stdio: ['ignore', stdout.fd, stderr.fd],
      env: { ...(options.env ?? process.env), ...options.envUpdates, [ENV.runDir]: runDir },
      cwd: options.cwd,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    await stdout.close();
    await stderr.close();
    await rm(runDir, { recursive: true, force: true });
    throw new ExLabError('process_launch_failed', `Could not start ${program}: ${error instanceof Error ? error.message : String(error)}`, {
      details: { cmd: [...options.cmd] },
      cause: error,
    });
  }
  await stdout.close();
  await stderr.close();
  child.unref();
  const pid = child.pid as number;
  const pidStart = await readProcessStartToken(pid);
  const status: RunStatus = {
    run_id: runId,
    slug: options.slug,
    state: 'running',
    pid,
    pid_start: pidStart,
    cmd: [...options.cmd],
    description: options.description ?? '',
    launch_time: formatUtcTimestamp(launchTime),
    observed_end_time: null,
    ttl_seconds: options.ttlSeconds ?? DETACHED_RUNS.ttlSeconds,
    max_runtime_seconds: options.maxRuntimeSeconds === undefined ? DETACHED_RUNS.maxRuntimeSeconds : options.maxRuntimeSeconds,
    env_update_keys: Object.keys(options.envUpdates ?? {}).sort(),
  };
  await writeStatus(runDir, status);
  // A child that exited before its token could be read must not be judged by pid alone later.
  const settled = pidStart === null ? await refreshRunStatus(runDir, { now: options.now }) : status;
  return { runId, runDir, status: settled ?? status, child };
}

async function writeStatus(runDir: string, status: RunStatus): Promise<void> {
  await writeFileAtomic(join(runDir, FILE_NAMES.runStatus), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600, mkdirs: false });
}

/** status.json of a run dir as written, or null when missing or unreadable. */
export async function readRunStatus(runDir: string): Promise<RunStatus | null> {
  const text = await readFile(join(runDir, FILE_NAMES.runStatus), 'utf8').catch(() => null);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = (await runStatusSchemas()).RunStatusSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * True when the run is live: status.json says `running` and its process is alive (a dead one is
 * recorded as ended, D4). A status that does not say `running` is decided from the raw file,
 * without loading the status schema: whatever else it holds, it is not a live run.
 */
/**
 * Whether a run is live. `finalize` reconciles a run recorded as running whose process is gone
 * (D4); without it such a run is only not counted, and the next cleanup (D6) records its end, so
 * a launch past stopped runs (the common `exlab start`) needs no schema.
 */
async function isLiveRun(runDir: string, options: { now?: () => Date; finalize: boolean }): Promise<boolean> {
  const text = await readFile(join(runDir, FILE_NAMES.runStatus), 'utf8').catch(() => null);
  if (text === null) return false;
  let raw: { state?: unknown; pid?: unknown; pid_start?: unknown } | null;
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch {
    return false;
  }
  if (raw?.state !== 'running') return false;
  const recorded = typeof raw.pid === 'number' && (typeof raw.pid_start === 'string' || raw.pid_start === null);
  if (!options.finalize && recorded && !(await isProcessAlive(raw.pid as number, raw.pid_start as string | null))) return false;
  return (await refreshRunStatus(runDir, options))?.state === 'running';
}

/** Number of live runs of `slug` (D3 `max_live`), checking every run dir at once. */
async function countLiveRunsOf(runsDir: string, slug: string, options: { now?: () => Date; finalize: boolean }): Promise<number> {
  const live = await Promise.all((await listRunDirs(runsDir, slug)).map((dir) => isLiveRun(dir, options)));
  return live.filter(Boolean).length;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** True while the run's process is alive with its recorded start token (P4). */
export function isRunAlive(status: RunStatus): Promise<boolean> {
  return isProcessAlive(status.pid, status.pid_start);
}

/**
 * Reads status.json and reconciles it with reality (D4): a `running` run whose process is gone
 * becomes `finished` (result.json present) or `died`, with `observed_end_time`. Null when the
 * run dir has no readable status.
 */
export async function refreshRunStatus(runDir: string, options: { now?: () => Date } = {}): Promise<RunStatus | null> {
  const status = await readRunStatus(runDir);
  if (status === null || status.state !== 'running') return status;
  if (await isRunAlive(status)) return status;
  const finished = await exists(join(runDir, FILE_NAMES.runResult));
  return finalize(runDir, status, finished ? 'finished' : 'died', options);
}

async function finalize(runDir: string, status: RunStatus, state: RunStatus['state'], options: { now?: () => Date }): Promise<RunStatus> {
  // Observers may race here; they write nearly the same content atomically, so the last one wins harmlessly.
  const ended: RunStatus = { ...status, state, observed_end_time: formatUtcTimestamp(nowOf(options)) };
  await writeStatus(runDir, ended).catch(() => undefined);
  return ended;
}

/** Every run dir under `runsDir` (optionally one slug), oldest first by run id. */
export async function listRunDirs(runsDir: string, slug?: string): Promise<string[]> {
  const slugs = slug !== undefined ? [slug] : await readdir(runsDir).catch(() => [] as string[]);
  const dirs: string[] = [];
  for (const name of slugs.sort()) {
    const entries = await readdir(join(runsDir, name), { withFileTypes: true }).catch(() => []);
    const runs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    runs.sort((a, b) => compareCodeUnits(runStamp(a), runStamp(b)) || compareCodeUnits(a, b));
    for (const run of runs) dirs.push(join(runsDir, name, run));
  }
  return dirs;
}

function runStamp(runId: string): string {
  return /-(\d{8}T\d{6})-[0-9a-f]{4}$/.exec(runId)?.[1] ?? '';
}

/** The newest run dir of `slug`, or null. */
export async function newestRunDir(runsDir: string, slug: string): Promise<string | null> {
  const dirs = await listRunDirs(runsDir, slug);
  return dirs.at(-1) ?? null;
}

/** Number of live runs per slug (slugs with none are left out). */
export async function countLiveRuns(runsDir: string, options: { now?: () => Date } = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const slug of await readdir(runsDir).catch(() => [] as string[])) {
    const live = await countLiveRunsOf(runsDir, slug, { ...options, finalize: true });
    if (live > 0) counts[slug] = live;
  }
  return counts;
}

/** The last `lines` lines of a file, reading at most the last 64 KiB (D4); [] when unreadable. */
export async function tailFile(path: string, lines: number, maxBytes: number = DETACHED_RUNS.tailMaxBytes): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // A cut first line is partial; drop it unless the whole file was read.
    const all = text.split(/\r?\n/);
    if (start > 0) all.shift();
    if (all.at(-1) === '') all.pop();
    return lines <= 0 ? [] : all.slice(-lines);
  } catch {
    return [];
  } finally {
    await handle?.close();
  }
}

/** A run's status (refreshed), the tails of its messages and output, and its result (D4); null when unknown. */
export async function getRunInfo(runDir: string, options: { now?: () => Date; tailLines?: number } = {}): Promise<RunInfo | null> {
  const status = await refreshRunStatus(runDir, options);
  if (status === null) return null;
  const lines = options.tailLines ?? DETACHED_RUNS.tailLines;
  const launch = parseUtcTimestamp(status.launch_time);
  const end = status.observed_end_time !== null ? parseUtcTimestamp(status.observed_end_time) : nowOf(options);
  const messages = (await tailFile(join(runDir, FILE_NAMES.runMessages), lines)).flatMap((line) => {
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      return [];
    }
  });
  let result: unknown = null;
  const resultText = await readFile(join(runDir, FILE_NAMES.runResult), 'utf8').catch(() => null);
  if (resultText !== null) {
    try {
      result = JSON.parse(resultText) as unknown;
    } catch {
      result = null;
    }
  }
  return {
    ...status,
    run_dir: runDir,
    elapsed_seconds: launch && end ? Math.max(0, (end.getTime() - launch.getTime()) / 1000) : null,
    messages,
    stdout_tail: await tailFile(join(runDir, FILE_NAMES.runStdout), lines),
    stderr_tail: await tailFile(join(runDir, FILE_NAMES.runStderr), lines),
    result,
  };
}

/**
 * Kills a live run (D5): only after its pid and start token check out, SIGTERM to its process
 * group, status `killed`, SIGKILL after `graceMs` (default 10 s). Returns what happened;
 * `not_running` when the run had already ended or is unknown.
 */
export async function killRun(
  runDir: string,
  options: { graceMs?: number; now?: () => Date; platform?: NodeJS.Platform } = {},
): Promise<TerminateOutcome> {
  const status = await refreshRunStatus(runDir, options);
  if (status === null || status.state !== 'running') return 'not_running';
  const outcome = await terminateProcessTree(status.pid, {
    pidStart: status.pid_start,
    graceMs: options.graceMs ?? DETACHED_RUNS.killGraceMs,
    platform: options.platform,
  });
  if (outcome === 'not_running') await refreshRunStatus(runDir, options);
  else await finalize(runDir, status, 'killed', options);
  return outcome;
}

/**
 * Maintenance over every run (D6), run by `exlab start` and `exlab status`: kills live runs past a
 * non-null max runtime; deletes runs ended more than their TTL ago, runs never seen ending 24 h
 * after launch, and unreadable run dirs 24 h after their mtime. A live run is never deleted.
 */
export async function cleanupRuns(runsDir: string, options: CleanupOptions = {}): Promise<CleanupReport> {
  const report: CleanupReport = { killed: [], deleted: [] };
  const now = nowOf(options);
  for (const dir of await listRunDirs(runsDir)) {
    const runId = basename(dir);
    const status = await refreshRunStatus(dir, { now: () => now });
    if (status?.state === 'running') {
      const launch = parseUtcTimestamp(status.launch_time);
      const limit = status.max_runtime_seconds;
      if (launch !== null && limit !== null && (now.getTime() - launch.getTime()) / 1000 > limit) {
        const outcome = await killRun(dir, { graceMs: options.killGraceMs, now: () => now });
        if (outcome !== 'not_running') report.killed.push(status.run_id);
      }
      continue;
    }
    if (await shouldDelete(dir, status, now, options.ttlOverrideSeconds)) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      report.deleted.push(status?.run_id ?? runId);
    }
  }
  return report;
}

async function shouldDelete(dir: string, status: RunStatus | null, now: Date, ttlOverride: number | undefined): Promise<boolean> {
  const ageSince = (date: Date | null): number => (date === null ? -1 : (now.getTime() - date.getTime()) / 1000);
  if (status === null) {
    const info = await stat(dir).catch(() => null);
    return info !== null && ageSince(info.mtime) > DETACHED_RUNS.maxAgeSeconds;
  }
  if (status.observed_end_time !== null) {
    return ageSince(parseUtcTimestamp(status.observed_end_time)) > (ttlOverride ?? status.ttl_seconds);
  }
  return ageSince(parseUtcTimestamp(status.launch_time)) > DETACHED_RUNS.maxAgeSeconds;
}
