import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentProcessStartToken, readProcessStartToken } from '@exlab/core/process';
import { browserArgs, findBrowser, isOn, runWindow, wantsHeadless } from '../src/index.js';

let root: string;
let stateDir: string;
let server: Server | undefined;
const children: ChildProcess[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-window-'));
  stateDir = join(root, 'state');
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await rm(root, { recursive: true, force: true });
});

function captured(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

/** A stand-in tray: /api/v1/health answers 200 to the token. */
async function fakeTray(token = 'tok'): Promise<number> {
  server = createServer((req, res) => {
    const ok = req.url === '/api/v1/health' && req.headers.authorization === `Bearer ${token}`;
    res.statusCode = ok ? 200 : 401;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function writeServerJson(fields: Record<string, unknown>): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'server.json'), JSON.stringify({ started_at: '2026-01-01T00:00:00Z', token: 'tok', ...fields }));
}

/** A fake browser: records its arguments and lives until killed. */
async function fakeBrowser(): Promise<{ path: string; args: () => Promise<string[]> }> {
  const path = join(root, 'fake-chromium');
  const argsFile = join(root, 'browser-args.txt');
  await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$@" > "${argsFile}"\nexec sleep 600\n`);
  await chmod(path, 0o755);
  return { path, args: async () => (await readFile(argsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean) };
}

async function waitFor<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const baseEnv = (): Record<string, string | undefined> => ({ PATH: process.env.PATH, HOME: join(root, 'home'), EXLAB_STATE_DIR: stateDir });

describe('window handshake (W2)', () => {
  it('exits 2 quickly, naming server.json and "exlab start", when no tray ever ran, and writes nothing', async () => {
    const err = captured();
    const started = performance.now();
    expect(await runWindow({ env: baseEnv(), stderr: err.stream, handleSignals: false })).toBe(2);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(err.text()).toContain('server.json');
    expect(err.text()).toContain('exlab start');
    expect(err.text().trim().split('\n')).toHaveLength(1);
    expect(await readdir(root)).toEqual([]);
  });

  it('exits 2 on a damaged server.json', async () => {
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'server.json'), '{"port": ');
    const err = captured();
    expect(await runWindow({ env: baseEnv(), stderr: err.stream, handleSignals: false })).toBe(2);
    expect(err.text()).toContain('damaged');
    expect(await readdir(stateDir)).toEqual(['server.json']);
  });

  it('exits 2 naming the dead PID when server.json names a process that is gone or a reused pid', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    children.push(sleeper);
    const token = await readProcessStartToken(sleeper.pid as number);
    await writeServerJson({ port: 9, pid: sleeper.pid, pid_start: `${token}-not-this-one` });
    const err = captured();
    expect(await runWindow({ env: baseEnv(), stderr: err.stream, handleSignals: false })).toBe(2);
    expect(err.text()).toContain(`dead PID ${sleeper.pid}`);
  });

  it('exits 2 when the live tray does not answer /health within 2 s', async () => {
    const port = await fakeTray('another-token');
    await writeServerJson({ port, pid: process.pid, pid_start: await currentProcessStartToken() });
    const err = captured();
    expect(await runWindow({ env: baseEnv(), stderr: err.stream, handleSignals: false })).toBe(2);
    expect(err.text()).toContain('not responding');
  });
});

describe('window browser (W3, W4)', () => {
  it('runs the browser in app mode with the token URL and its own profile, headless when asked, and exits 2 when the tray pipe closes', async () => {
    const port = await fakeTray();
    await writeServerJson({ port, pid: process.pid, pid_start: await currentProcessStartToken() });
    const browser = await fakeBrowser();
    const parent = new PassThrough();
    const err = captured();
    const done = runWindow({
      env: { ...baseEnv(), EXLAB_BROWSER: browser.path, EXLAB_HEADLESS: '1' },
      stderr: err.stream,
      parentStdin: parent,
      handleSignals: false,
    });
    const args = await waitFor(async () => {
      const a = await browser.args();
      return a.length > 0 ? a : undefined;
    }, 'the browser');
    expect(args).toEqual([
      `--app=http://127.0.0.1:${port}/?token=tok`,
      `--user-data-dir=${join(stateDir, 'window-profile')}`,
      '--no-first-run',
      '--no-default-browser-check',
      '--window-size=1280,800',
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ]);
    parent.end();
    expect(await done).toBe(2);
    expect(err.text()).toContain('the tray closed its pipe');
  });

  it('exits 2 and closes the browser when server.json stops naming its tray (W4)', async () => {
    const port = await fakeTray();
    await writeServerJson({ port, pid: process.pid, pid_start: await currentProcessStartToken() });
    const browser = await fakeBrowser();
    const done = runWindow({
      env: { ...baseEnv(), EXLAB_BROWSER: browser.path },
      stderr: captured().stream,
      followIntervalMs: 50,
      handleSignals: false,
      parentStdin: null,
    });
    await waitFor(async () => ((await browser.args()).length > 0 ? true : undefined), 'the browser');
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    children.push(other);
    await writeServerJson({ port, pid: other.pid, pid_start: await readProcessStartToken(other.pid as number) });
    expect(await done).toBe(2);
  });

  it('exits 0 when the browser closes', async () => {
    const port = await fakeTray();
    await writeServerJson({ port, pid: process.pid, pid_start: await currentProcessStartToken() });
    const quick = join(root, 'quick-browser');
    await writeFile(quick, '#!/bin/sh\nexit 0\n');
    await chmod(quick, 0o755);
    expect(
      await runWindow({ env: { ...baseEnv(), EXLAB_BROWSER: quick }, stderr: captured().stream, handleSignals: false, parentStdin: null }),
    ).toBe(0);
  });

  it('falls back to the default browser (exit 0 and the marker), or prints the URL and exits 1 when that fails too', async () => {
    const port = await fakeTray();
    await writeServerJson({ port, pid: process.pid, pid_start: await currentProcessStartToken() });
    const bin = join(root, 'bin');
    await mkdir(bin);
    const noBrowserEnv = { ...baseEnv(), EXLAB_BROWSER: join(root, 'no-such-browser'), PATH: bin };
    const out = captured();
    expect(
      await runWindow({ env: noBrowserEnv, stderr: captured().stream, stdout: out.stream, handleSignals: false, parentStdin: null }),
    ).toBe(1);
    expect(out.text()).toBe(`http://127.0.0.1:${port}/?token=tok\n`);

    await writeFile(join(bin, 'xdg-open'), '#!/bin/sh\nexit 0\n');
    await chmod(join(bin, 'xdg-open'), 0o755);
    const err = captured();
    expect(await runWindow({ env: noBrowserEnv, stderr: err.stream, handleSignals: false, parentStdin: null, platform: 'linux' })).toBe(0);
    expect(err.text()).toContain('exlab-window: opened in the default browser');
  });
});

describe('browser lookup and flags', () => {
  it('finds chromium-family browsers on PATH and honours EXLAB_BROWSER', async () => {
    const bin = join(root, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'google-chrome'), '#!/bin/sh\n');
    await chmod(join(bin, 'google-chrome'), 0o755);
    expect(await findBrowser({ env: { PATH: bin }, platform: 'linux' })).toBe(join(bin, 'google-chrome'));
    expect(await findBrowser({ env: { PATH: join(root, 'empty') }, platform: 'linux' })).toBeNull();
    expect(await findBrowser({ env: { PATH: bin, EXLAB_BROWSER: 'google-chrome' }, platform: 'linux' })).toBe(join(bin, 'google-chrome'));
  });

  it('goes headless with EXLAB_HEADLESS=1 or without a display, and reads EXLAB_DEBUG as off for 0/false/no/off', () => {
    expect(wantsHeadless({ DISPLAY: ':0' }, 'linux')).toBe(false);
    expect(wantsHeadless({}, 'linux')).toBe(true);
    expect(wantsHeadless({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(false);
    expect(wantsHeadless({ DISPLAY: ':0', EXLAB_HEADLESS: '1' }, 'linux')).toBe(true);
    expect(wantsHeadless({}, 'darwin')).toBe(false);
    for (const off of [undefined, '', '0', 'false', 'No', 'off']) expect(isOn(off)).toBe(false);
    expect(isOn('1')).toBe(true);
    expect(browserArgs({ url: 'u', profileDir: 'p', headless: false, debug: true })).toContain('--auto-open-devtools-for-tabs');
  });
});
