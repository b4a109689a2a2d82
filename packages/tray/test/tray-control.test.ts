import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerInfoSchema } from '@exlab/core/schemas';
import { ManualClock, startTray, TrayStartError, type RunningTray, type TrayIcon } from '@exlab/tray';
import { isolatedHome, type IsolatedHome } from './isolated-home.js';

let lab: IsolatedHome;
const running: RunningTray[] = [];
const quiet = (): PassThrough => new PassThrough();

beforeEach(async () => {
  lab = await isolatedHome();
});

afterEach(async () => {
  for (const tray of running.splice(0)) await tray.stop();
  await lab.cleanup();
});

async function start(extra: Parameters<typeof startTray>[0] = {}): Promise<RunningTray> {
  const tray = await startTray({
    stateDir: lab.stateDir,
    env: { ...lab.env, DISPLAY: '', WAYLAND_DISPLAY: '' },
    stdout: quiet(),
    stderr: quiet(),
    notificationBackend: null,
    ...extra,
  });
  running.push(tray);
  return tray;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

function call(tray: RunningTray, method: string, path: string, options: { body?: unknown; control?: boolean; origin?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${tray.token}` };
  if (options.control) headers['x-exlab-control'] = tray.token;
  if (options.origin) headers.origin = options.origin;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`http://127.0.0.1:${tray.port}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A stand-in window process: records its pid, exits 0 on SIGTERM, 2 when the tray's pipe closes, or with the code in <dir>/exit. */
function fakeWindow(dir: string): () => Promise<string[]> {
  const script = `
    const fs = require('fs');
    fs.appendFileSync(${JSON.stringify(join(dir, 'pids'))}, process.pid + '\\n');
    process.on('SIGTERM', () => process.exit(0));
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(2));
    setInterval(() => {
      try { process.exit(Number(fs.readFileSync(${JSON.stringify(join(dir, 'exit'))}, 'utf8'))); } catch {}
    }, 20);`;
  return async () => [process.execPath, '-e', script];
}

describe('tray control routes (S3)', () => {
  it('refuses control without the X-ExLab-Control header or the UI origin, and reports its state', async () => {
    const tray = await start({ headless: true });
    const refused = await call(tray, 'POST', '/api/v1/app/open-window');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden_origin' } });
    const sameOrigin = await call(tray, 'POST', '/api/v1/app/open-window', { origin: `http://127.0.0.1:${tray.port}` });
    expect(await sameOrigin.json()).toMatchObject({ action: 'unavailable', reason: 'the tray runs in headless mode' });
    const state = await call(tray, 'GET', '/api/v1/app/state');
    expect(await state.json()).toEqual({
      mode: 'headless',
      status_label: 'Idle',
      quitting: false,
      window: { alive: false, pid: null, spawned: 0 },
      icon_unavailable_reason: null,
    });
  });

  it('quits on POST /app/quit after answering 202, removing server.json and the lock', async () => {
    const tray = await start({ headless: true });
    const response = await call(tray, 'POST', '/api/v1/app/quit', { control: true, body: {} });
    expect(response.status).toBe(202);
    expect(await tray.stopped).toBe(0);
    expect(await exists(tray.serverJsonPath)).toBe(false);
    expect(await exists(join(lab.stateDir, 'tray.lock'))).toBe(false);
  });

  it('answers new sessions with 503 shutting_down during the drain while /health stays 200, then quits when idle (Q2)', async () => {
    let active = 1;
    const tray = await start({ headless: true, workload: { activeSessions: () => active } });
    expect((await call(tray, 'POST', '/api/v1/app/quit', { control: true, body: { drain_seconds: 30 } })).status).toBe(202);
    await waitFor(
      'the drain',
      async () => ((await (await call(tray, 'GET', '/api/v1/app/state')).json()) as { quitting: boolean }).quitting || undefined,
    );
    const refused = await call(tray, 'POST', '/api/v1/sessions', { body: {} });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'shutting_down' } });
    expect((await call(tray, 'GET', '/api/v1/health')).status).toBe(200);
    active = 0;
    expect(await tray.stopped).toBe(0);
  });

  it('documents the control routes in openapi.json with their bodies and answers, and refuses a bad quit body with 422', async () => {
    const tray = await start({ headless: true });
    type Operation = { requestBody?: unknown; responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
    const document = (await (await call(tray, 'GET', '/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operation = (path: string, method: string): Operation => document.paths[path]?.[method] as Operation;
    expect(Object.keys(operation('/api/v1/app/quit', 'post').responses)).toEqual(expect.arrayContaining(['202', '403', '422']));
    expect(operation('/api/v1/app/quit', 'post').responses['202']?.content?.['application/json']?.schema).toMatchObject({
      properties: { quitting: { type: 'boolean', enum: [true] } },
    });
    expect(operation('/api/v1/app/quit', 'post').requestBody).toBeDefined();
    expect(operation('/api/v1/setup/autostart', 'post').requestBody).toBeDefined();
    for (const [path, method] of [
      ['/api/v1/app/open-window', 'post'],
      ['/api/v1/app/state', 'get'],
      ['/api/v1/setup/autostart', 'post'],
    ] as const)
      expect(operation(path, method).responses['200']?.content?.['application/json']?.schema).toBeDefined();
    const bad = await call(tray, 'POST', '/api/v1/app/quit', { control: true, body: { drain_seconds: -1 } });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: 'validation_failed', field: 'drain_seconds' } });
    expect((await call(tray, 'GET', '/api/v1/app/state')).status).toBe(200);
  });

  it('registers and unregisters autostart under EXLAB_AUTOSTART_ROOT (A1)', async () => {
    const root = join(lab.root, 'autostart');
    const tray = await start({
      headless: true,
      env: { ...lab.env, EXLAB_AUTOSTART_ROOT: root },
      selfCommand: ['/usr/bin/node', '/app/main.js'],
    });
    const on = await call(tray, 'POST', '/api/v1/setup/autostart', { control: true, body: { enabled: true } });
    expect(await on.json()).toEqual({ enabled: true, registered: true });
    expect(await readFile(join(root, '.config/autostart/exlab-wizard-tray.desktop'), 'utf8')).toContain('Exec=/usr/bin/node /app/main.js');
    const off = await call(tray, 'POST', '/api/v1/setup/autostart', { control: true, body: { enabled: false } });
    expect(await off.json()).toEqual({ enabled: false, registered: false });
    const bad = await call(tray, 'POST', '/api/v1/setup/autostart', { control: true, body: { enabled: 'yes' } });
    expect(bad.status).toBe(422);
  });
});

describe('tray modes', () => {
  it('prints the smoke line and records mode smoke', async () => {
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const tray = await start({ smoke: true, stdout: out });
    expect(printed).toContain(`exlab-wizard-tray smoke: server on port ${tray.port}\n`);
    expect(ServerInfoSchema.parse(JSON.parse(await readFile(tray.serverJsonPath, 'utf8'))).mode).toBe('smoke');
  });

  it('falls back to window-only without a tray icon: opens the window at once, and quits when it closes (T8)', async () => {
    const tray = await start({ windowCommand: fakeWindow(lab.root) });
    expect(tray.mode).toBe('window-only');
    expect(ServerInfoSchema.parse(JSON.parse(await readFile(tray.serverJsonPath, 'utf8'))).mode).toBe('window-only');
    await waitFor('the window', () => (tray.window.alive ? true : undefined));
    await writeFile(join(lab.root, 'exit'), '0');
    expect(await tray.stopped).toBe(0);
    running.length = 0;
  });

  it('keeps running when the window is killed, and the next Open spawns a new one (F11)', async () => {
    const tray = await start({ windowCommand: fakeWindow(lab.root) });
    const first = await waitFor('the window', () => tray.window.pid ?? undefined);
    process.kill(first, 'SIGKILL');
    await waitFor('the window to go', () => (tray.window.alive ? undefined : true));
    const open = await call(tray, 'POST', '/api/v1/app/open-window', { control: true });
    const answer = (await open.json()) as { action: string; pid: number };
    expect(answer.action).toBe('spawned');
    expect(answer.pid).not.toBe(first);
    const again = (await (await call(tray, 'POST', '/api/v1/app/open-window', { control: true })).json()) as { action: string };
    expect(again.action).toBe('focused');
    expect(tray.window.spawnCount).toBe(2);
    expect((await call(tray, 'GET', '/api/v1/health')).status).toBe(200);
  });

  it('rewrites a deleted server.json when the window exits 2 (T6)', async () => {
    const tray = await start({ windowCommand: fakeWindow(lab.root) });
    await waitFor('the window', () => (tray.window.alive ? true : undefined));
    const before = await readFile(tray.serverJsonPath, 'utf8');
    await writeFile(tray.serverJsonPath, 'garbage');
    await writeFile(join(lab.root, 'exit'), '2');
    const healed = await waitFor('server.json', async () => {
      const text = await readFile(tray.serverJsonPath, 'utf8').catch(() => '');
      return text.startsWith('{') ? text : undefined;
    });
    expect(JSON.parse(healed)).toMatchObject({ instance_id: JSON.parse(before).instance_id });
  });

  it('uses a tray icon when one can be made: status label, menu Quit, and disposal at quit', async () => {
    const labels: string[] = [];
    let disposed = false;
    let menu: ((status: string) => { kind: string; label?: string; run?: () => void }[]) | undefined;
    const tray = await start({
      env: { ...lab.env, DISPLAY: ':99' },
      windowCommand: fakeWindow(lab.root),
      iconFactory: async (buildMenu) => {
        menu = buildMenu;
        const icon: TrayIcon = {
          setStatus: (label) => void labels.push(label),
          dispose: async () => {
            disposed = true;
          },
        };
        return { icon };
      },
    });
    expect(tray.mode).toBe('tray');
    expect(labels).toEqual(['Idle']);
    const quitItem = menu?.('Idle').find((item) => item.label === 'Quit ExLab-Wizard');
    quitItem?.run?.();
    expect(await tray.stopped).toBe(0);
    expect(disposed).toBe(true);
    running.length = 0;
  });

  it('notifies once, coalesced, when plugins start waiting for input (N1, N2)', async () => {
    const clock = new ManualClock();
    const shown: string[] = [];
    let waiting = 0;
    await start({
      env: { ...lab.env, DISPLAY: ':99' },
      clock,
      windowCommand: fakeWindow(lab.root),
      workload: { pluginsNeedingInput: () => waiting },
      notificationBackend: { name: 'recorder', show: async (n) => void shown.push(`${n.title}: ${n.body}`) },
      iconFactory: async () => ({ icon: { setStatus: () => undefined, dispose: async () => undefined } }),
    });
    waiting = 2;
    await clock.advance(1_000);
    waiting = 3;
    await clock.advance(1_000);
    expect(shown).toEqual([]);
    await clock.advance(4_000);
    expect(shown).toEqual(['ExLab-Wizard: 3 plugins need input']);
  });

  it('starts and stops 50 times on OS-assigned ports without a bind failure (F3)', async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 50; i += 1) {
      const tray = await startTray({
        stateDir: lab.stateDir,
        env: lab.env,
        smoke: true,
        stdout: quiet(),
        stderr: quiet(),
        notificationBackend: null,
      });
      ports.add(tray.port);
      await tray.stop();
    }
    expect(ports.size).toBeGreaterThan(1);
  });

  it('lets a supervised twin of a healthy tray exit 0 instead of 3 (T9)', async () => {
    await start({ headless: true });
    const twin = await startTray({
      stateDir: lab.stateDir,
      env: { ...lab.env, EXLAB_SUPERVISOR: 'launchd' },
      headless: true,
      stdout: quiet(),
      stderr: quiet(),
    }).catch((e: unknown) => e);
    expect(twin).toBeInstanceOf(TrayStartError);
    expect((twin as TrayStartError).exitCode).toBe(0);
    const plain = await startTray({ stateDir: lab.stateDir, env: lab.env, headless: true, stdout: quiet(), stderr: quiet() }).catch(
      (e: unknown) => e,
    );
    expect((plain as TrayStartError).exitCode).toBe(3);
  });
});
