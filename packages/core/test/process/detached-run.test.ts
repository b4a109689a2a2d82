import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExLabError } from '../../src/errors/index.js';
import {
  cleanupRuns,
  countLiveRuns,
  getRunInfo,
  isProcessAlive,
  killRun,
  launchDetached,
  listRunDirs,
  newestRunDir,
  processGroupOf,
  readProcessStartToken,
  readRunStatus,
  refreshRunStatus,
  tailFile,
  type LaunchedRun,
  type RunStatus,
} from '../../src/process/index.js';
import { killAllChildren, PACKAGE_ROOT, pidOf, spawnSleeper } from './child-processes.js';

const CHILD = join(PACKAGE_ROOT, 'test', 'process', 'fixtures', 'run-child.ts');
const child = (mode: string): string[] => [process.execPath, '--import', 'tsx', '--conditions=@exlab/source', CHILD, mode];

let runsDir: string;
const launched: LaunchedRun[] = [];

beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'exlab-runs-'));
});

afterEach(async () => {
  for (const run of launched.splice(0)) {
    try {
      process.kill(-run.status.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await killAllChildren();
  await rm(runsDir, { recursive: true, force: true });
});

async function launch(mode: string, extra: Partial<Parameters<typeof launchDetached>[0]> = {}): Promise<LaunchedRun> {
  const run = await launchDetached({ cmd: child(mode), slug: 'job', runsDir, cwd: PACKAGE_ROOT, ...extra });
  launched.push(run);
  return run;
}

/** Polls the run until it is no longer running. */
async function waitForEnd(runDir: string, timeoutMs = 15_000): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await refreshRunStatus(runDir);
    if (status !== null && status.state !== 'running') return status;
    if (Date.now() > deadline) throw new Error(`run ${runDir} still running`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls a file until it contains `text`. */
async function waitForText(path: string, text: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await readFile(path, 'utf8').catch(() => '')).includes(text)) {
    if (Date.now() > deadline) throw new Error(`${path} never contained ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Writes `<runs>/job/<runId>/status.json` saying the run is running as `pid` with start token `pidStart`. */
async function writeRunningStatus(runId: string, pid: number, pidStart: string | null): Promise<string> {
  const runDir = join(runsDir, 'job', runId);
  await mkdir(runDir, { recursive: true });
  const status: RunStatus = {
    run_id: runId,
    slug: 'job',
    state: 'running',
    pid,
    pid_start: pidStart,
    cmd: ['sleep', '60'],
    description: '',
    launch_time: '2026-01-01T00:00:00Z',
    observed_end_time: null,
    ttl_seconds: 86_400,
    max_runtime_seconds: null,
    env_update_keys: [],
  };
  await writeFile(join(runDir, 'status.json'), JSON.stringify(status));
  return runDir;
}

/** A run dir whose status.json says running, for a process that has exited. */
async function writeDeadRun(runId: string): Promise<string> {
  const gone = spawnSleeper();
  const gonePid = pidOf(gone);
  const goneToken = await readProcessStartToken(gonePid);
  gone.kill('SIGKILL');
  await new Promise((resolve) => gone.once('exit', resolve));
  return writeRunningStatus(runId, gonePid, goneToken);
}

describe('launchDetached', () => {
  it('creates <runs>/<slug>/<slug>-<stamp>-<hex>/ with status.json holding every D2 field', async () => {
    const run = await launch('ok', {
      description: 'demo',
      envUpdates: { GREETING: 'secret-value' },
      now: () => new Date('2026-06-11T14:30:22Z'),
    });
    expect(run.runId).toMatch(/^job-20260611T143022-[0-9a-f]{4}$/);
    expect(run.runDir).toBe(join(runsDir, 'job', run.runId));
    const status = await readRunStatus(run.runDir);
    expect(status).toMatchObject({
      run_id: run.runId,
      slug: 'job',
      pid: run.child.pid,
      cmd: child('ok'),
      description: 'demo',
      launch_time: '2026-06-11T14:30:22Z',
      observed_end_time: null,
      ttl_seconds: 86_400,
      max_runtime_seconds: 28_800,
      env_update_keys: ['GREETING'],
    });
    expect(JSON.stringify(status)).not.toContain('secret-value');
    expect(status?.pid_start).toBeTypeOf('string');
  });

  it('reports a run that wrote its result as finished, with messages, output tails and elapsed time', async () => {
    const run = await launch('ok', { description: 'demo', envUpdates: { GREETING: 'hi' } });
    expect((await waitForEnd(run.runDir)).state).toBe('finished');
    const info = await getRunInfo(run.runDir);
    expect(info?.result).toMatchObject({ result: { answer: 42 } });
    expect(info?.messages.at(-1)).toMatchObject({ text: 'step 1', progress: 0.5 });
    expect(info?.stdout_tail).toContain('hello stdout hi');
    expect(info?.observed_end_time).toMatch(/Z$/);
    expect(info?.elapsed_seconds).toBeGreaterThanOrEqual(0);
  });

  it('reports a run that exited without a result as died, keeping its stderr', async () => {
    const run = await launch('crash');
    expect((await waitForEnd(run.runDir)).state).toBe('died');
    const info = await getRunInfo(run.runDir);
    expect(info?.result).toBeNull();
    expect(info?.stderr_tail).toEqual(['boom']);
  });

  it('starts the child as the leader of its own process group and gives it EXLAB_RUN_DIR', async () => {
    const run = await launch('sleep');
    await waitForText(join(run.runDir, 'stdout.log'), 'ready');
    expect(await processGroupOf(run.status.pid)).toBe(run.status.pid);
    const environ = await readFile(`/proc/${run.status.pid}/environ`, 'utf8');
    expect(environ.split('\0')).toContain(`EXLAB_RUN_DIR=${run.runDir}`);
  });

  it('refuses an invalid slug and a launch past max_live', async () => {
    await expect(launchDetached({ cmd: ['true'], slug: 'Bad Slug!', runsDir })).rejects.toMatchObject({
      code: 'validation_failed',
      field: 'slug',
    });
    const first = await launch('sleep');
    const error = await launch('sleep', { maxLive: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExLabError);
    expect((error as ExLabError).code).toBe('run_limit_reached');
    expect(await listRunDirs(runsDir, 'job')).toEqual([first.runDir]);
  });

  it('fails with process_launch_failed and leaves no run dir when the program does not exist', async () => {
    await expect(launchDetached({ cmd: ['/nonexistent/program'], slug: 'job', runsDir })).rejects.toMatchObject({
      code: 'process_launch_failed',
    });
    expect(await readdir(join(runsDir, 'job'))).toEqual([]);
  });
});

describe('killRun and countLiveRuns', () => {
  it('counts a live run, kills its group with SIGTERM and marks it killed', async () => {
    const run = await launch('sleep');
    await waitForText(join(run.runDir, 'stdout.log'), 'ready');
    expect(await countLiveRuns(runsDir)).toEqual({ job: 1 });
    expect(await killRun(run.runDir, { graceMs: 5_000 })).toBe('terminated');
    expect((await readRunStatus(run.runDir))?.state).toBe('killed');
    expect(await countLiveRuns(runsDir)).toEqual({});
    expect(await isProcessAlive(run.status.pid, run.status.pid_start)).toBe(false);
  });

  it('escalates to SIGKILL when the run ignores SIGTERM for the grace period', async () => {
    const run = await launch('stubborn');
    await waitForText(join(run.runDir, 'stdout.log'), 'ready');
    expect(await killRun(run.runDir, { graceMs: 300 })).toBe('killed');
    expect(await isProcessAlive(run.status.pid, run.status.pid_start)).toBe(false);
  });

  it('never signals an unrelated process that reuses the recorded pid, and marks the run died', async () => {
    const unrelated = spawnSleeper();
    const pid = pidOf(unrelated);
    const token = await readProcessStartToken(pid);
    const runDir = await writeRunningStatus('job-20260101T000000-abcd', pid, `${token}-of-another-process`);
    expect(await killRun(runDir, { graceMs: 100 })).toBe('not_running');
    expect(await isProcessAlive(pid, token)).toBe(true);
    expect((await readRunStatus(runDir))?.state).toBe('died');
  });

  it('counts only live runs among ended, unreadable and dead ones, records the dead one as died, and lets max_live launch past them', async () => {
    const ended = await launch('ok');
    await waitForEnd(ended.runDir);
    const unreadable = join(runsDir, 'job', 'job-20260101T000000-0001');
    await mkdir(unreadable, { recursive: true });
    await writeFile(join(unreadable, 'status.json'), '{"state": "running", "pid": "not a pid"');
    const dead = await writeDeadRun('job-20260101T000000-0002');
    expect(await countLiveRuns(runsDir)).toEqual({});
    expect((await readRunStatus(dead))?.state).toBe('died');
    const live = await launch('sleep', { maxLive: 1 });
    await waitForText(join(live.runDir, 'stdout.log'), 'ready');
    expect(await countLiveRuns(runsDir)).toEqual({ job: 1 });
  });

  it('launches past a run recorded as running whose process is gone, leaving its end for the cleanup to record', async () => {
    const dead = await writeDeadRun('job-20260101T000000-0003');
    const live = await launch('sleep', { maxLive: 1 });
    expect(await listRunDirs(runsDir, 'job')).toEqual([dead, live.runDir]);
    expect(JSON.parse(await readFile(join(dead, 'status.json'), 'utf8'))).toMatchObject({ state: 'running', observed_end_time: null });
    await cleanupRuns(runsDir);
    expect((await readRunStatus(dead))?.state).toBe('died');
    expect((await readRunStatus(live.runDir))?.state).toBe('running');
  });
});

describe('cleanupRuns', () => {
  it('deletes a finished run once its TTL has passed', async () => {
    const run = await launch('ok');
    await waitForEnd(run.runDir);
    expect((await cleanupRuns(runsDir)).deleted).toEqual([]);
    const later = new Date(Date.now() + 86_401_000);
    expect((await cleanupRuns(runsDir, { now: () => later })).deleted).toEqual([run.runId]);
    expect(await getRunInfo(run.runDir)).toBeNull();
  });

  it('honours a TTL override', async () => {
    const run = await launch('ok');
    await waitForEnd(run.runDir);
    const later = new Date(Date.now() + 2_000);
    expect((await cleanupRuns(runsDir, { ttlOverrideSeconds: 0, now: () => later })).deleted).toEqual([run.runId]);
  });

  it('kills a live run past its max runtime and never deletes a live run without one', async () => {
    const limited = await launch('sleep', { maxRuntimeSeconds: 60 });
    const unlimited = await launch('sleep', { maxRuntimeSeconds: null });
    await waitForText(join(limited.runDir, 'stdout.log'), 'ready');
    await waitForText(join(unlimited.runDir, 'stdout.log'), 'ready');
    const twoDaysLater = new Date(Date.now() + 2 * 86_400_000);
    const report = await cleanupRuns(runsDir, { now: () => twoDaysLater, killGraceMs: 2_000 });
    expect(report.killed).toEqual([limited.runId]);
    expect(report.deleted).toEqual([]);
    expect((await readRunStatus(limited.runDir))?.state).toBe('killed');
    expect((await readRunStatus(unlimited.runDir))?.state).toBe('running');
    expect(await isProcessAlive(unlimited.status.pid, unlimited.status.pid_start)).toBe(true);
  });

  it('deletes an unreadable run dir only 24 h after its mtime', async () => {
    const dir = join(runsDir, 'job', 'job-20260101T000000-beef');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'status.json'), '{not json');
    expect((await cleanupRuns(runsDir)).deleted).toEqual([]);
    const old = new Date(Date.now() - 25 * 3_600_000);
    await utimes(dir, old, old);
    expect((await cleanupRuns(runsDir)).deleted).toEqual(['job-20260101T000000-beef']);
  });

  it('lists runs oldest first and finds the newest of a slug', async () => {
    const first = await launch('ok', { now: () => new Date('2026-01-01T00:00:00Z') });
    const second = await launch('ok', { now: () => new Date('2026-01-02T00:00:00Z') });
    expect(await listRunDirs(runsDir)).toEqual([first.runDir, second.runDir]);
    expect(await newestRunDir(runsDir, 'job')).toBe(second.runDir);
    expect(await newestRunDir(runsDir, 'other')).toBeNull();
  });
});

describe('tailFile', () => {
  it('returns the last lines, reading at most the last 64 KiB', async () => {
    const path = join(runsDir, 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    await writeFile(path, `${lines.join('\n')}\n`);
    expect(await tailFile(path, 3)).toEqual(['line 19997', 'line 19998', 'line 19999']);
    const all = await tailFile(path, 1_000_000);
    expect(all.length).toBeLessThan(20_000);
    expect(all.join('\n').length).toBeLessThanOrEqual(64 * 1024);
    expect(await tailFile(join(runsDir, 'missing.log'), 3)).toEqual([]);
  });
});
