import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type Output } from '@exlab/cli';
import { logsCommand } from '../src/commands/logs.js';
import { runExlab, sandbox, serverInfoOf, type Sandbox } from './exlab-process.js';
import { api, killSandboxProcesses, pidsWithArg, startSmoke, until } from './lifecycle-helpers.js';

let sb: Sandbox;

beforeEach(async () => {
  sb = await sandbox();
  sb.env.EXLAB_HEADLESS = '1';
});

afterEach(async () => {
  await runExlab(['stop', '--force', '--timeout', '1', '--state-dir', sb.stateDir], sb.env);
  await killSandboxProcesses(sb);
  await sb.cleanup();
});

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe('exlab open', () => {
  it('starts a tray and opens a window in headless Chromium; a second open focuses it instead of spawning', async () => {
    const first = await runExlab(['open', '--state-dir', sb.stateDir], sb.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^started \(pid \d+, port \d+, run tray-/);
    const info = await until('server.json', () => serverInfoOf(sb.stateDir));
    const profile = `--user-data-dir=${join(sb.stateDir, 'window-profile')}`;
    await until('Chromium', async () => ((await pidsWithArg(profile)).length > 0 ? true : undefined));
    const browsers = await pidsWithArg(`--app=http://127.0.0.1:${info.port}/?token=`);
    expect(browsers.length).toBeGreaterThan(0);

    const second = await runExlab(['open', '--state-dir', sb.stateDir], sb.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^focused the open window \(pid \d+\)/);
    const state = (await api(info, 'GET', '/api/v1/app/state')).json as { mode: string; window: { spawned: number } };
    expect(state).toMatchObject({ mode: 'window-only', window: { spawned: 1 } });
    expect(await readFile(join(sb.stateDir, 'app.log'), 'utf8')).toContain('[component:window] focus requested');
  });

  it('fails with exit 1 and says why when the tray cannot show a window', async () => {
    await startSmoke(sb);
    const result = await runExlab(['open', '--state-dir', sb.stateDir], sb.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('smoke mode');
  });
});

describe('exlab status', () => {
  it('reports the run id of a detached tray in its JSON', async () => {
    const tray = await startSmoke(sb);
    const result = await runExlab(['status', '--json', '--state-dir', sb.stateDir], sb.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      state: 'healthy',
      pid: tray.pid,
      port: tray.port,
      run_id: tray.runId,
      lock_pid: tray.pid,
      mode: 'smoke',
    });
  });
});

describe('exlab logs', () => {
  it('prints the tail of app.log, the detached run output with --daemon, and the paths with --path', async () => {
    await startSmoke(sb);
    const app = await runExlab(['logs', '-n', '3', '--state-dir', sb.stateDir], sb.env);
    expect(app.code).toBe(0);
    expect(app.stdout.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(app.stdout).toContain('[component:tray]');
    const daemon = await runExlab(['logs', '--daemon', '--state-dir', sb.stateDir], sb.env);
    expect(daemon.stdout).toContain('exlab-wizard-tray smoke: server on port');
    const paths = await runExlab(['logs', '--path', '--state-dir', sb.stateDir], sb.env);
    expect(paths.stdout.trim()).toBe(join(sb.stateDir, 'app.log'));
  });

  it('follows app.log with -f, printing whole appended lines', async () => {
    await mkdir(sb.stateDir, { recursive: true });
    const log = join(sb.stateDir, 'app.log');
    await writeFile(log, 'first\n');
    const output = capture();
    const stop = new AbortController();
    const done = logsCommand({ stateDir: sb.stateDir, follow: true }, output, sb.env, stop.signal);
    await until('the tail', () => (output.lines.includes('first') ? true : undefined));
    await appendFile(log, 'second\nthi');
    await until('the new line', () => (output.lines.includes('second') ? true : undefined));
    await appendFile(log, 'rd\n');
    await until('the completed line', () => (output.lines.includes('third') ? true : undefined));
    stop.abort();
    expect(await done).toBe(0);
    expect(output.lines).toEqual(['first', 'second', 'third']);
  });

  it('exits 1 when there is no log yet', async () => {
    const output = capture();
    expect(await runCli(['logs', '--state-dir', sb.stateDir], { output, env: sb.env })).toBe(1);
    expect(output.errors[0]).toContain('No log at');
    expect(await runCli(['logs', '--daemon', '--state-dir', sb.stateDir], { output, env: sb.env })).toBe(1);
  });
});

describe('exlab doctor', () => {
  it('says rsync is missing and how to install it, with exit 1', async () => {
    const bin = join(sb.root, 'bin');
    await mkdir(bin);
    const output = capture();
    const code = await runCli(['doctor', '--state-dir', sb.stateDir], { output, env: { ...sb.env, PATH: bin } });
    expect(code).toBe(1);
    const text = output.lines.join('\n');
    expect(text).toMatch(/fail\s+rsync\s+rsync missing/);
    expect(text).toContain('sudo apt-get install rsync');
    expect(text).toContain('openssh-client');
    expect(text).toMatch(/warn\s+browser/);
    expect(text).toMatch(/warn\s+keyring\s+not configured/);
    expect(text).toMatch(/warn\s+tray\s+not running/);
  });

  it('passes on this machine with the tray running, as JSON', async () => {
    await startSmoke(sb);
    const output = capture();
    const code = await runCli(['doctor', '--json', '--state-dir', sb.stateDir], { output, env: sb.env });
    const report = JSON.parse(output.lines.join('\n')) as { ok: boolean; checks: { name: string; status: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    expect(byName).toMatchObject({ 'Node.js': 'ok', 'state dir': 'ok', rsync: 'ok', ssh: 'ok', rclone: 'ok', browser: 'ok', tray: 'ok' });
    expect(code).toBe(report.ok ? 0 : 1);
  });

  it('fails on an invalid config', async () => {
    const file = join(sb.root, 'config.yaml');
    await writeFile(file, 'paths: [\n');
    const output = capture();
    expect(await runCli(['doctor', '--config', file, '--state-dir', sb.stateDir], { output, env: sb.env })).toBe(1);
    expect(output.lines.join('\n')).toMatch(/fail\s+config/);
  });
});

describe('exlab usage of the lifecycle commands', () => {
  it('lists open, logs and doctor in the help and refuses a bad flag with 64', async () => {
    const output = capture();
    expect(await runCli(['--help'], { output, env: sb.env })).toBe(0);
    for (const command of ['open', 'logs', 'doctor']) expect(output.lines.join('\n')).toContain(command);
    expect(await runCli(['stop', '--timeout', 'soon'], { output: capture(), env: sb.env })).toBe(64);
    expect(await runCli(['logs', '-n', 'x'], { output: capture(), env: sb.env })).toBe(64);
  });
});
