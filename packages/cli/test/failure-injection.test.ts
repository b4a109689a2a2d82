// The failure-injection suite of lifecycle.md §11 (F1-F14), against real tray processes started
// through the built CLI with an isolated HOME and state dir. Each scenario checks exit codes,
// files present or gone, orphans, and that no signal reaches an unrelated process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { access, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAppDirs } from '@exlab/core/paths';
import { findExecutable, isProcessAlive, readProcessStartToken, readServerInfo } from '@exlab/core/process';
import { EQUIPMENT_ID, createTestLab, installPlugins, listTree, runRequest } from '../../controller/test/support/lab.js';
import { CLI_MAIN, runExlab, sandbox, serverInfoOf, type Sandbox } from './exlab-process.js';
import {
  api,
  gone,
  groupGone,
  killSandboxProcesses,
  pidsWithArg,
  startSmoke,
  trayRunStatus,
  until,
  WINDOW_MAIN,
} from './lifecycle-helpers.js';

let sb: Sandbox;
const others: ChildProcess[] = [];

beforeEach(async () => {
  sb = await sandbox();
  sb.env.EXLAB_HEADLESS = '1';
});

afterEach(async () => {
  await runExlab(['stop', '--force', '--timeout', '1', '--state-dir', sb.stateDir], sb.env);
  await killSandboxProcesses(sb);
  for (const child of others.splice(0)) child.kill('SIGKILL');
  await sb.cleanup();
});

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
const serverJson = (): string => join(sb.stateDir, 'server.json');
/** Where Debian's faketime package puts libfaketime. */
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'];
const trayLock = (): string => join(sb.stateDir, 'tray.lock');

/** Starts a smoke tray in `env` (which makes it busy), sends it SIGTERM, and waits for the 503 of its drain. */
async function busyTrayDraining(env: NodeJS.ProcessEnv) {
  const tray = await startSmoke(sb, env);
  const info = await readServerInfo(serverJson());
  if (info === null) throw new Error('the smoke tray wrote no server.json');
  const termAt = performance.now();
  process.kill(tray.pid, 'SIGTERM');
  const refusal = await until('503 during the drain', async () => {
    const response = await api(info, 'POST', '/api/v1/sessions', {});
    return response.status === 503 ? response.json : undefined;
  });
  return { tray, info, termAt, refusal };
}

/** An unrelated live process that records every SIGTERM it gets (and survives it). */
function bystander(): { child: ChildProcess; signals: () => string } {
  const child = spawn(
    process.execPath,
    ['-e', "process.on('SIGTERM', () => process.stdout.write('TERM\\n')); setInterval(() => {}, 1000);"],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  others.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, signals: () => out };
}

/** Runs the built window in the sandbox; resolves with its exit code, stderr and wall time. */
function runWindowProcess(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [WINDOW_MAIN], {
      env: { ...env, EXLAB_STATE_DIR: sb.stateDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr, ms: performance.now() - started }));
  });
}

describe('failure injection (lifecycle.md §11)', () => {
  it('F1: kill -9 of the tray leaves its files, takes the window and browser along, and the next start replaces it', async () => {
    const opened = await runExlab(['open', '--state-dir', sb.stateDir], sb.env);
    expect(opened.code, opened.stderr).toBe(0);
    const run = /run (tray-[\w-]+)/.exec(opened.stdout)?.[1] ?? '';
    const info = await until('server.json', () => serverInfoOf(sb.stateDir));
    const windowPid = await until('the window', async () => {
      const state = (await api(info, 'GET', '/api/v1/app/state')).json as { window: { pid: number | null } };
      return state.window.pid ?? undefined;
    });
    await until('the browser', async () =>
      (await pidsWithArg(`--user-data-dir=${join(sb.stateDir, 'window-profile')}`)).length > 0 ? true : undefined,
    );

    process.kill(info.pid, 'SIGKILL');
    await gone(info.pid, info.pid_start ?? null);
    const killedAt = Date.now();
    await until(
      'window and browser to go',
      async () => {
        const browsers = await pidsWithArg(`--user-data-dir=${join(sb.stateDir, 'window-profile')}`);
        const windowAlive = await isProcessAlive(windowPid);
        return browsers.length === 0 && !windowAlive ? true : undefined;
      },
      5_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(await exists(serverJson())).toBe(true);
    expect(await exists(trayLock())).toBe(true);

    const status = await runExlab(['status', '--state-dir', sb.stateDir], sb.env);
    expect(status.code).toBe(1);
    expect((await trayRunStatus(sb, run))?.state).toBe('died');

    const again = await startSmoke(sb);
    const fresh = await readServerInfo(serverJson());
    expect(fresh?.pid).toBe(again.pid);
    expect(fresh?.instance_id).not.toBe(info.instance_id);
  });

  it('F1 mid-creation: the plugin worker dies with the tray; the next start sweeps the hidden folder, the destination is absent, the session id is gone', async () => {
    const lab = await createTestLab();
    try {
      const template = join(lab.templatesDir, 'plugin_run');
      await mkdir(template);
      await writeFile(join(template, 'copier.yml'), '_exlab_type: run\n_exlab_version: "1.0"\n_exlab_run_scope: both\n');
      await writeFile(join(template, 'notes.txt.jinja'), 'Run {{ label }}\n');
      await installPlugins(lab, ['timeout']); // its transform sleeps 60 s
      const first = await startSmoke(sb, sb.env, ['--config', lab.configPath]);
      const info = await until('server.json', () => serverInfoOf(sb.stateDir, first.pid));
      const created = await api(info, 'POST', '/api/v1/sessions', runRequest({ template_path: 'plugin_run' }));
      expect(created.status).toBe(201);
      const sessionId = (created.json as { session_id: string }).session_id;
      // The plugin worker runs with its cwd in the hidden creation folder inside the lab.
      const worker = await until('the plugin worker', async () => {
        for (const name of await readdir('/proc')) {
          if (!/^\d+$/.test(name)) continue;
          const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
          if (cwd.startsWith(lab.localRoot) && cwd.includes('.exlab-creating-')) return { pid: Number(name), cwd };
        }
        return undefined;
      });
      const workerToken = await readProcessStartToken(worker.pid);

      process.kill(first.pid, 'SIGKILL');
      const killedAt = Date.now();
      await gone(worker.pid, workerToken, 5_000);
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      expect(await exists(worker.cwd)).toBe(true); // nothing cleaned up yet: the tray died

      const second = await startSmoke(sb, sb.env, ['--config', lab.configPath]);
      const next = await until('the new server.json', () => serverInfoOf(sb.stateDir, second.pid));
      const health = await until('the sweep in /health', async () => {
        const body = (await api(next, 'GET', '/api/v1/health')).json as {
          components: { session_store: { interrupted_creations: string[] } };
        };
        return body.components.session_store.interrupted_creations.length > 0 ? body : undefined;
      });
      expect(health.components.session_store.interrupted_creations).toEqual([worker.cwd]);
      expect(await exists(worker.cwd)).toBe(false);
      expect(await listTree(join(lab.localRoot, EQUIPMENT_ID))).not.toContain(expect.stringMatching(/Run_/));
      expect((await api(next, 'GET', `/api/v1/sessions/${sessionId}`)).status).toBe(404);
      const appLog = await until('the sweep in app.log', async () => {
        const text = await readFile(resolveAppDirs({ env: { ...sb.env, EXLAB_STATE_DIR: sb.stateDir } }).appLog, 'utf8').catch(() => '');
        return text.includes(worker.cwd) ? text : undefined;
      });
      expect(appLog).toMatch(/\[WARN \].*removed the temporary folder of an interrupted creation/);
      // A retry of the same run succeeds once the plugin no longer hangs.
      await writeFile(join(lab.config.paths.plugin_dir, 'timeout', 'index.mjs'), "export { Plugin } from '@exlab/plugin-sdk';\n");
      const retry = await api(next, 'POST', '/api/v1/sessions', runRequest({ template_path: 'plugin_run' }));
      expect(retry.status).toBe(201);
      const retryId = (retry.json as { session_id: string }).session_id;
      const done = await until('the retry to finish', async () => {
        const handle = (await api(next, 'GET', `/api/v1/sessions/${retryId}`)).json as { state: string; result: { path: string } | null };
        return handle.state === 'done' || handle.state === 'failed' ? handle : undefined;
      });
      expect(done.state).toBe('done');
      expect(await exists(join(done.result?.path ?? '', '.exlab-wizard', 'creation.json'))).toBe(true);
    } finally {
      await runExlab(['stop', '--force', '--timeout', '1', '--state-dir', sb.stateDir], sb.env);
      await lab.remove();
    }
  });

  it('F2: a stale server.json naming a reused pid: window exits 2, status 1, stop sends no signal, start overwrites', async () => {
    const other = bystander();
    const pid = other.child.pid as number;
    const token = (await until('token', () => readProcessStartToken(pid).then((t) => t ?? undefined))) as string;
    const [bootId, startTime] = token.split(':');
    await mkdir(sb.stateDir, { recursive: true });
    const stale = { port: 9, pid, started_at: '2026-01-01T00:00:00Z', token: 'stale', instance_id: 'old' };
    for (const pidStart of [`${token}0`, undefined, `${bootId === undefined ? 'x' : 'another-boot'}:${startTime}`]) {
      await writeFile(serverJson(), JSON.stringify({ ...stale, ...(pidStart === undefined ? {} : { pid_start: pidStart }) }));
      const window = await runWindowProcess(sb.env);
      expect(window.code).toBe(2);
      expect(await exists(join(sb.stateDir, 'window-profile'))).toBe(false);
      expect((await runExlab(['status', '--state-dir', sb.stateDir], sb.env)).code).toBe(1);
    }
    const stop = await runExlab(['stop', '--state-dir', sb.stateDir], sb.env);
    expect(stop.code).toBe(0);
    expect(await isProcessAlive(pid, token)).toBe(true);
    expect(other.signals()).toBe('');

    await writeFile(serverJson(), JSON.stringify({ ...stale, pid_start: `${token}0` }));
    const started = await startSmoke(sb);
    expect((await readServerInfo(serverJson()))?.pid).toBe(started.pid);
    expect(await isProcessAlive(pid, token)).toBe(true);
  });

  it('F3: a fixed port in use exits 4 within 2 s, without walking ports or writing files', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const started = performance.now();
      const result = await runExlab(['start', '--foreground', '--smoke', '--state-dir', sb.stateDir, '--port', String(port)], sb.env);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(`port ${port} already in use`);
      expect(await exists(serverJson())).toBe(false);
      expect(await exists(trayLock())).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('F4: a state dir that is a regular file: the tray exits 5, exlab start exits 1, the window exits 2', async () => {
    await writeFile(join(sb.root, 'state'), 'not a directory');
    const tray = await runExlab(['start', '--foreground', '--smoke', '--state-dir', sb.stateDir], sb.env);
    expect(tray.code).toBe(5);
    const start = await runExlab(['start', '--smoke', '--state-dir', sb.stateDir], sb.env);
    expect(start.code).toBe(1);
    expect((await runWindowProcess(sb.env)).code).toBe(2);
  });

  it.skipIf(process.getuid?.() === 0)('F4: a read-only (0500) state dir makes the tray exit 5 before binding', async () => {
    await mkdir(sb.stateDir, { mode: 0o500 });
    const tray = await runExlab(['start', '--foreground', '--smoke', '--state-dir', sb.stateDir], sb.env);
    expect(tray.code).toBe(5);
  });

  it('F5: a window started with no tray exits 2 in under 1 s, mentions exlab start, and creates nothing', async () => {
    await mkdir(sb.stateDir);
    const window = await runWindowProcess(sb.env);
    expect(window.code).toBe(2);
    expect(window.ms).toBeLessThan(1_000);
    expect(window.stderr).toContain('exlab start');
    expect(await readdir(sb.stateDir)).toEqual([]);
  });

  it('F6: eight parallel exlab start produce exactly one tray, and all eight exit 0', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => runExlab(['start', '--smoke', '--state-dir', sb.stateDir], sb.env)));
    for (const result of results) expect(result.code, result.stdout + result.stderr).toBe(0);
    const pids = new Set(results.map((r) => /\(pid (\d+)/.exec(r.stdout)?.[1]));
    expect(pids.size).toBe(1);
    const trays = await until('losers to exit', async () => {
      const live = await pidsWithArg(`--state-dir ${sb.stateDir}`);
      return live.length === 1 ? live : undefined;
    });
    expect(String(trays[0])).toBe([...pids][0]);
  });

  it('F7 and T1: a second tray during the lock-to-bind window exits 3; a tray killed there leaves a lock the next start takes over', async () => {
    const hold = join(sb.root, 'hold');
    await writeFile(hold, '');
    const env = { ...sb.env, EXLAB_TEST_HOLD_AFTER_LOCK: hold };
    const held = spawn(process.execPath, [CLI_MAIN, 'start', '--foreground', '--smoke', '--testing', '--state-dir', sb.stateDir], {
      env,
      stdio: 'ignore',
    });
    others.push(held);
    await until('the lock', async () => ((await exists(trayLock())) ? true : undefined));
    const second = await runExlab(['start', '--foreground', '--smoke', '--state-dir', sb.stateDir], sb.env);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('already running');
    expect(second.stderr).toContain('not bound yet');
    expect(await exists(serverJson())).toBe(false);

    held.kill('SIGKILL');
    await gone(held.pid as number, null);
    expect(await exists(trayLock())).toBe(true);
    const next = await startSmoke(sb);
    const lock = JSON.parse(await readFile(trayLock(), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(next.pid);
  });

  it('F8: a corrupt server.json: the window exits 2, start repairs it, a live tray heals it within 6 s', async () => {
    await mkdir(sb.stateDir, { recursive: true });
    await writeFile(serverJson(), '{"port": 12');
    expect((await runWindowProcess(sb.env)).code).toBe(2);
    const started = await startSmoke(sb);
    const info = await readServerInfo(serverJson());
    expect(info?.pid).toBe(started.pid);
    await writeFile(serverJson(), 'garbage');
    const brokeAt = Date.now();
    const healed = await until('self-heal', async () => (await readServerInfo(serverJson()).catch(() => null)) ?? undefined, 7_000);
    expect(Date.now() - brokeAt).toBeLessThan(6_500);
    expect(healed.instance_id).toBe(info?.instance_id);
  });

  it('F9: SIGTERM while busy drains 5 s without a prompt, exits 0 and removes its files; the run is finished', async () => {
    const busy = join(sb.root, 'busy');
    await writeFile(busy, '1');
    const env = { ...sb.env, EXLAB_TEST_BUSY_FILE: busy };
    const { tray, info, termAt, refusal } = await busyTrayDraining(env);
    expect(refusal).toMatchObject({ error: { code: 'shutting_down' } });
    await gone(tray.pid, info.pid_start ?? null);
    const took = performance.now() - termAt;
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(10_000);
    expect(await exists(serverJson())).toBe(false);
    expect(await exists(trayLock())).toBe(false);
    await groupGone(tray.pid);
    expect((await runExlab(['status', '--state-dir', sb.stateDir], sb.env)).code).toBe(3);
    expect((await trayRunStatus(sb, tray.runId))?.state).toBe('finished');
  });

  it('F13: a wall-clock jump of hours during the drain neither cuts it short nor stretches it', async () => {
    // libfaketime moves the tray's wall clock (Date) while its monotonic clock runs true.
    const library = LIBFAKETIME.find((path) => existsSync(path));
    if (library === undefined)
      throw new Error(`F13 needs libfaketime (Debian package faketime, installed by .ci/run); looked in ${LIBFAKETIME.join(', ')}`);
    const busy = join(sb.root, 'busy');
    const offset = join(sb.root, 'faketime');
    await writeFile(busy, '1');
    await writeFile(offset, '+0\n');
    const env = {
      ...sb.env,
      EXLAB_TEST_BUSY_FILE: busy,
      LD_PRELOAD: library,
      FAKETIME_TIMESTAMP_FILE: offset,
      FAKETIME_NO_CACHE: '1',
      DONT_FAKE_MONOTONIC: '1',
    };
    for (const jump of ['+3h', '-3h']) {
      await writeFile(offset, '+0\n');
      const { tray, info, termAt } = await busyTrayDraining(env);
      await writeFile(offset, `${jump}\n`);
      await gone(tray.pid, info.pid_start ?? null);
      const took = performance.now() - termAt;
      expect(took, jump).toBeGreaterThanOrEqual(4_500);
      expect(took, jump).toBeLessThan(10_000);
      expect((await trayRunStatus(sb, tray.runId))?.state).toBe('finished');
      // The tray did see the jump: its last log line is stamped hours away from the one at SIGTERM.
      const lines = (await readFile(resolveAppDirs({ env: { ...sb.env, EXLAB_STATE_DIR: sb.stateDir } }).appLog, 'utf8'))
        .trim()
        .split('\n');
      const stamp = (line: string | undefined): number => Date.parse(line?.slice(0, 20) ?? '');
      const drainStarted = lines.findLast((line) => line.includes('graceful shutdown started'));
      expect(Math.abs(stamp(lines.at(-1)) - stamp(drainStarted)), jump).toBeGreaterThan(2 * 3_600_000);
    }
  });

  it('F9: a second SIGTERM exits at once, still removing the files', async () => {
    const busy = join(sb.root, 'busy');
    await writeFile(busy, '1');
    const tray = await startSmoke(sb, { ...sb.env, EXLAB_TEST_BUSY_FILE: busy });
    const info = await readServerInfo(serverJson());
    process.kill(tray.pid, 'SIGTERM');
    await until('the drain', async () =>
      (await api(info as NonNullable<typeof info>, 'POST', '/api/v1/sessions', {})).status === 503 ? true : undefined,
    );
    const secondAt = performance.now();
    process.kill(tray.pid, 'SIGTERM');
    await gone(tray.pid, info?.pid_start ?? null);
    expect(performance.now() - secondAt).toBeLessThan(2_000);
    expect(await exists(serverJson())).toBe(false);
    expect(await exists(trayLock())).toBe(false);
    expect((await trayRunStatus(sb, tray.runId))?.state).toBe('finished');
  });

  it('F10: a hung session and Quit: 503 shutting_down throughout, the unanswered prompt turns into a forced quit', async () => {
    const busy = join(sb.root, 'busy');
    await writeFile(busy, '1');
    // Timings scaled down from 30 s + 30 s by the --testing hooks; the real numbers are unit-tested on a manual clock.
    const env = { ...sb.env, EXLAB_TEST_BUSY_FILE: busy, EXLAB_TEST_DRAIN_MS: '1000', EXLAB_TEST_PROMPT_MS: '1000' };
    const tray = await startSmoke(sb, env);
    const info = (await readServerInfo(serverJson())) as NonNullable<Awaited<ReturnType<typeof readServerInfo>>>;
    const quitAt = performance.now();
    expect((await api(info, 'POST', '/api/v1/app/quit', {})).status).toBe(202);
    const refusals: number[] = [];
    while (await isProcessAlive(tray.pid, info.pid_start ?? null)) {
      const response = await api(info, 'POST', '/api/v1/sessions', {}).catch(() => null);
      if (response !== null) refusals.push(response.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const took = performance.now() - quitAt;
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(6_000);
    expect(refusals.length).toBeGreaterThan(5);
    expect(refusals.every((status) => status === 503)).toBe(true);
    expect(await exists(serverJson())).toBe(false);
    const log = await readFile(join(sb.stateDir, 'app.log'), 'utf8');
    expect(log).toContain('1 operation still running. Force quit anyway?');
    expect(log).toContain('force-quit prompt unanswered; forcing');
  });

  it('F11: a window killed with -9: health stays 200 and the next open spawns a new window', async () => {
    expect((await runExlab(['open', '--state-dir', sb.stateDir], sb.env)).code).toBe(0);
    const info = await until('server.json', () => serverInfoOf(sb.stateDir));
    const state = async (): Promise<{ window: { pid: number | null; alive: boolean; spawned: number } }> =>
      (await api(info, 'GET', '/api/v1/app/state')).json as { window: { pid: number | null; alive: boolean; spawned: number } };
    const first = await until('the window', async () => (await state()).window.pid ?? undefined);
    process.kill(first, 'SIGKILL');
    await until('the window to go', async () => ((await state()).window.alive ? undefined : true));
    expect((await api(info, 'GET', '/api/v1/health')).status).toBe(200);
    const reopened = await runExlab(['open', '--state-dir', sb.stateDir], sb.env);
    expect(reopened.code).toBe(0);
    expect(reopened.stdout).toMatch(/^window opened \(pid \d+\)/);
    expect((await state()).window.spawned).toBe(2);
  });

  it('F12: no Chromium, no default browser, no notifier and an unusable app log: the tray keeps running with one WARN each', async () => {
    const emptyBin = join(sb.root, 'empty-bin');
    await mkdir(emptyBin);
    await mkdir(join(sb.stateDir, 'app.log'), { recursive: true });
    const env = { ...sb.env, PATH: emptyBin };
    const opened = await runExlab(['open', '--state-dir', sb.stateDir], env);
    expect(opened.code, opened.stderr).toBe(0);
    const info = await until('server.json', () => serverInfoOf(sb.stateDir));
    const run = /run (tray-[\w-]+)/.exec(opened.stdout)?.[1] ?? '';
    const stderrLog = join(sb.stateDir, 'runs', 'tray', run, 'stderr.log');
    await until('the window fallback to fail', async () =>
      (await readFile(stderrLog, 'utf8')).includes('could not be shown') ? true : undefined,
    );
    expect((await api(info, 'GET', '/api/v1/health')).status).toBe(200);
    const stderr = await readFile(stderrLog, 'utf8');
    expect(stderr.match(/cannot write the app log/g)).toHaveLength(1);
    expect(stderr.match(/could not be shown/g)).toHaveLength(1);
    expect(await isProcessAlive(info.pid, info.pid_start ?? null)).toBe(true);
  });

  it('F14: a supervised twin of a healthy tray exits 0; an unsupervised one exits 3, which the systemd unit never restarts', async () => {
    await startSmoke(sb);
    const launchd = await runExlab(['start', '--foreground', '--smoke', '--state-dir', sb.stateDir], {
      ...sb.env,
      EXLAB_SUPERVISOR: 'launchd',
    });
    expect(launchd.code).toBe(0);
    const plain = await runExlab(['start', '--foreground', '--smoke', '--state-dir', sb.stateDir], sb.env);
    expect(plain.code).toBe(3);
    const { systemdUnit } = await import('@exlab/tray');
    expect(systemdUnit(['exlab'])).toContain('RestartPreventExitStatus=3 4 5');
  });
});

describe('exlab stop on a busy tray', () => {
  it('answers new sessions with 503 during the drain, then stops; server.json and the lock are gone', async () => {
    const busy = join(sb.root, 'busy');
    await writeFile(busy, '1');
    const tray = await startSmoke(sb, { ...sb.env, EXLAB_TEST_BUSY_FILE: busy });
    const info = (await readServerInfo(serverJson())) as NonNullable<Awaited<ReturnType<typeof readServerInfo>>>;
    const stopping = runExlab(['stop', '--timeout', '2', '--state-dir', sb.stateDir], sb.env);
    const refused = await until('503', async () => {
      const response = await api(info, 'POST', '/api/v1/sessions', {}).catch(() => null);
      return response?.status === 503 ? response : undefined;
    });
    expect(refused.json).toMatchObject({ error: { code: 'shutting_down' } });
    const stop = await stopping;
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe(`stopped (pid ${tray.pid})`);
    expect(await exists(serverJson())).toBe(false);
    expect(await exists(trayLock())).toBe(false);
    await groupGone(tray.pid);
  });
});

describe('exlab stop during a NAS push', () => {
  it('drains with 503s, stops the push, and the next start finishes it from the queue (Q5, F1: NAS jobs resume)', async () => {
    const lab = await createTestLab();
    try {
      // The first push hangs like a stalled network; later ones run the real rsync.
      const realRsync = await findExecutable('rsync');
      if (realRsync === null) throw new Error('rsync is not installed');
      const bin = join(sb.root, 'bin');
      await mkdir(bin);
      const started = join(sb.root, 'push-started');
      await writeFile(
        join(bin, 'rsync'),
        `#!/bin/sh\n[ -e '${started}' ] || { : > '${started}'; exec sleep 60; }\nexec '${realRsync}' "$@"\n`,
        {
          mode: 0o755,
        },
      );
      const env = { ...sb.env, PATH: `${bin}:${sb.env.PATH ?? ''}` };
      const tray = await startSmoke(sb, env, ['--config', lab.configPath]);
      const info = await until('server.json', () => serverInfoOf(sb.stateDir, tray.pid));
      const created = await api(info, 'POST', '/api/v1/sessions', runRequest());
      const sessionId = (created.json as { session_id: string }).session_id;
      const done = await until('the run', async () => {
        const handle = (await api(info, 'GET', `/api/v1/sessions/${sessionId}`)).json as { state: string; result: { path: string } | null };
        return handle.state === 'done' ? handle : undefined;
      });
      const run = done.result?.path ?? '';
      await until('the push to start', () => exists(started).then((yes) => yes || undefined));
      const pushing = (await api(info, 'GET', '/api/v1/health')).json as { components: { nas_sync: { in_flight: number } } };
      expect(pushing.components.nas_sync.in_flight).toBe(1);

      // The drain waits for the push in flight (2 s here instead of 30 s), then forces the quit.
      const stopping = runExlab(['stop', '--timeout', '2', '--state-dir', sb.stateDir], env);
      const refused = await until('503', async () => {
        const response = await api(info, 'POST', '/api/v1/sessions', {}).catch(() => null);
        return response?.status === 503 ? response : undefined;
      });
      expect(refused.json).toMatchObject({ error: { code: 'shutting_down' } });
      expect((await stopping).code).toBe(0);
      expect(await exists(serverJson())).toBe(false);
      expect(await exists(trayLock())).toBe(false);
      await groupGone(tray.pid);
      expect(await pidsWithArg(started)).toEqual([]);
      expect(JSON.parse(await readFile(join(run, '.exlab-wizard', 'creation.json'), 'utf8'))).toMatchObject({ sync_status: 'pending' });
      // The stopped push is back in the queue as it was: no failure counted against it.
      const queue = new DatabaseSync(join(sb.stateDir, 'sync_queue.db'), { readOnly: true });
      try {
        expect(queue.prepare('SELECT state, attempts, last_error FROM jobs WHERE run_path = ?').get(run)).toEqual({
          state: 'queued',
          attempts: 0,
          last_error: null,
        });
      } finally {
        queue.close();
      }

      const second = await startSmoke(sb, env, ['--config', lab.configPath]);
      const next = await until('the new server.json', () => serverInfoOf(sb.stateDir, second.pid));
      await until(
        'the push to finish',
        async () => {
          const creation = JSON.parse(await readFile(join(run, '.exlab-wizard', 'creation.json'), 'utf8')) as { sync_status: string };
          return creation.sync_status === 'synced' ? true : undefined;
        },
        30_000,
      );
      const copy = join(lab.nasRoot, EQUIPMENT_ID, 'Cortex Q3 Pilot', 'Runs', 'Run_2026-03-02T09-15');
      expect(await readFile(join(copy, 'README.md'), 'utf8')).toBe(await readFile(join(run, 'README.md'), 'utf8'));
      // The job ends verified once the metadata went again after the synced mark.
      const health = await until('the queue to settle', async () => {
        const body = (await api(next, 'GET', '/api/v1/health')).json as { components: { nas_sync: Record<string, unknown> } };
        return body.components.nas_sync.in_flight === 0 ? body : undefined;
      });
      expect(health.components.nas_sync).toMatchObject({ status: 'ok', enabled: true, queue_depth: 0, in_flight: 0, failed: 0 });
    } finally {
      await runExlab(['stop', '--force', '--timeout', '1', '--state-dir', sb.stateDir], sb.env);
      await lab.remove();
    }
  });
});
