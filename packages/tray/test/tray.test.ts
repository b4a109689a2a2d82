import { createServer, type Server } from 'node:net';
import { readFile, stat, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerInfoSchema } from '@exlab/core/schemas';
import { HealthSchema } from '@exlab/core/schemas';
import { runTrayForeground, startTray, TrayStartError, type RunningTray } from '@exlab/tray';
import { isolatedHome, type IsolatedHome } from './isolated-home.js';

let lab: IsolatedHome;
const running: RunningTray[] = [];
const quiet = (): PassThrough => new PassThrough();

async function start(extra: Parameters<typeof startTray>[0] = {}): Promise<RunningTray> {
  const tray = await startTray({ stateDir: lab.stateDir, env: lab.env, headless: true, stdout: quiet(), stderr: quiet(), ...extra });
  running.push(tray);
  return tray;
}

async function startError(extra: Parameters<typeof startTray>[0] = {}): Promise<TrayStartError> {
  const error = await start(extra).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrayStartError);
  return error as TrayStartError;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

beforeEach(async () => {
  lab = await isolatedHome();
});

afterEach(async () => {
  for (const tray of running.splice(0)) await tray.stop();
  await lab.cleanup();
});

describe('startTray', () => {
  it('writes server.json with port, pid, started_at and token, mode 0600, right after bind', async () => {
    const tray = await start();
    const raw = await readFile(tray.serverJsonPath, 'utf8');
    const info = ServerInfoSchema.parse(JSON.parse(raw));
    expect(info.port).toBe(tray.port);
    expect(info.pid).toBe(process.pid);
    expect(info.token).toBe(tray.token);
    expect(info.started_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(info.mode).toBe('headless');
    expect((await stat(tray.serverJsonPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(lab.stateDir, 'tray.lock'))).mode & 0o777).toBe(0o600);
  });

  it('serves /health to the token holder and reports the demo lab as ready', async () => {
    const tray = await start();
    const response = await fetch(`http://127.0.0.1:${tray.port}/api/v1/health`, { headers: { authorization: `Bearer ${tray.token}` } });
    expect(response.status).toBe(200);
    const health = HealthSchema.parse(await response.json());
    expect(health.setup_state).toBe('ready');
    expect(health.status).toBe('ok');
  });

  it('creates the demo lab under the data directory when no config exists, and reuses it next time', async () => {
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const tray = await start({ stdout: out });
    const demoConfig = join(lab.home, '.local', 'share', 'exlab-wizard', 'demo-lab', 'config.yaml');
    expect(await exists(demoConfig)).toBe(true);
    expect(printed).toContain('Created the demo lab in');
    expect(printed).toContain(`http://127.0.0.1:${tray.port}/?token=${tray.token}`);
    const before = await readFile(demoConfig, 'utf8');
    await tray.stop();
    running.length = 0;
    const again = await start();
    expect(await readFile(demoConfig, 'utf8')).toBe(before);
    await again.stop();
  });

  it('quits cleanly on a SIGTERM that arrives while it is still starting, leaving no server.json or lock', async () => {
    const listenersBefore = process.listenerCount('SIGTERM');
    const exited = runTrayForeground({ stateDir: lab.stateDir, env: lab.env, headless: true, stdout: quiet(), stderr: quiet() });
    process.emit('SIGTERM');
    expect(await exited).toBe(0);
    expect(await exists(join(lab.stateDir, 'server.json'))).toBe(false);
    expect(await exists(join(lab.stateDir, 'tray.lock'))).toBe(false);
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
  });

  it('removes server.json and tray.lock when stopped', async () => {
    const tray = await start();
    await tray.stop();
    expect(await exists(tray.serverJsonPath)).toBe(false);
    expect(await exists(join(lab.stateDir, 'tray.lock'))).toBe(false);
    await expect(tray.stopped).resolves.toBe(0);
  });

  it('refuses a second tray on the same state dir with exit 3, naming the running pid and port, and leaves its files alone', async () => {
    const first = await start();
    const before = await readFile(first.serverJsonPath);
    const error = await startError();
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(`ExLab-Wizard already running (pid ${process.pid}, port ${first.port})`);
    expect(await readFile(first.serverJsonPath)).toEqual(before);
  });

  it('exits 4 when a fixed port is taken, without walking to another port or leaving files', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startError({ port });
      expect(error.exitCode).toBe(4);
      expect(error.message).toBe(`port ${port} already in use`);
      expect(await exists(join(lab.stateDir, 'server.json'))).toBe(false);
      expect(await exists(join(lab.stateDir, 'tray.lock'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('exits 5 when the state dir is a regular file', async () => {
    await writeFile(join(lab.root, 'not-a-dir'), 'x');
    const error = await startError({ stateDir: join(lab.root, 'not-a-dir') });
    expect(error.exitCode).toBe(5);
    expect(error.code).toBe('state_dir_unwritable');
  });

  it('exits 1 with the file, line and field when --config is invalid, and releases the lock', async () => {
    const bad = join(lab.root, 'bad.yaml');
    await writeFile(bad, 'paths:\n  local_root: /data\nequipment:\n  - id: confocal_01\n    label: x\n');
    const error = await startError({ configPath: bad });
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('bad.yaml:4');
    expect(error.message).toContain('equipment[0].id');
    expect(await exists(join(lab.stateDir, 'tray.lock'))).toBe(false);
  });

  it('runs without config when --no-demo is given, and gates creation with 503 setup_incomplete', async () => {
    const tray = await start({ noDemo: true });
    const headers = { authorization: `Bearer ${tray.token}`, 'content-type': 'application/json' };
    const status = await fetch(`http://127.0.0.1:${tray.port}/api/v1/setup/status`, { headers });
    expect(await status.json()).toMatchObject({ state: 'incomplete_no_config', ready: false, next_action: 'set_paths' });
    const created = await fetch(`http://127.0.0.1:${tray.port}/api/v1/sessions`, { method: 'POST', headers, body: '{}' });
    expect(created.status).toBe(503);
    expect(await created.json()).toMatchObject({ error: { code: 'setup_incomplete', state: 'incomplete_no_config' } });
    expect(await exists(join(lab.home, '.local', 'share', 'exlab-wizard', 'demo-lab'))).toBe(false);
  });
});
