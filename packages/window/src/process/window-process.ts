import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { ENV, EXIT_CODES, FILE_NAMES, TIMINGS, WINDOW_PROCESS } from '@exlab/core/constants';
import { findExecutable } from '@exlab/core/process';
import { browserArgs, defaultBrowserCommand, findBrowser, isOn, profileDirOf, wantsHeadless } from './browser.js';
import { handshake, trayStillAlive } from './handshake.js';

/** Set by the tray's launcher: the window exits when its stdin (a pipe from the tray) closes (T7). */
export const WINDOW_PARENT_ENV = WINDOW_PROCESS.parentEnv;
/** The stderr line that tells the tray the URL went to the default browser (W3 fallback). */
export const WINDOW_FALLBACK_MARKER = WINDOW_PROCESS.fallbackMarker;

/** Exit codes of the window (lifecycle.md §10): 0 closed, 1 no browser at all, 2 no live tray, 64 usage. */
export const WINDOW_EXIT = {
  closed: EXIT_CODES.ok,
  noBrowser: EXIT_CODES.failure,
  noTray: EXIT_CODES.noTray,
  usage: EXIT_CODES.usage,
} as const;

/** Options of {@link runWindow}. */
export interface WindowProcessOptions {
  /** Environment (default `process.env`): `EXLAB_STATE_DIR`, `EXLAB_BROWSER`, `EXLAB_HEADLESS`, `EXLAB_DEBUG`, PATH. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where diagnostics go (the tray re-logs them as `[component:window]`). */
  stderr?: NodeJS.WritableStream;
  /** Where the URL goes when nothing can show it. */
  stdout?: NodeJS.WritableStream;
  /** OS (default this one). */
  platform?: NodeJS.Platform;
  /** The tray's pipe; its end means the tray is gone (default process.stdin when `EXLAB_WINDOW_PARENT=stdin`). */
  parentStdin?: NodeJS.ReadableStream | null;
  /** How often the tray is checked (W4, default 2 s). */
  followIntervalMs?: number;
  /** Handle SIGTERM, SIGINT and SIGHUP (default true). */
  handleSignals?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `argv` (the program looked up on the given PATH) and resolves with its exit code (null when it could not start). */
async function runToExit(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
): Promise<number | null> {
  const [name, ...args] = argv;
  const program = name === undefined ? null : await findExecutable(name, { env, platform });
  if (program === null) return null;
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: 'ignore', windowsHide: true, env: { ...env } });
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
}

/**
 * The window process (§15.3.2, lifecycle.md W2-W4): handshake with the tray (exit 2 with one
 * stderr line when there is none, having written nothing), then the UI in a Chromium-family
 * browser in app mode with its own profile under the state dir (headless when asked or when there
 * is no display), or the default browser when there is none (exit 0; exit 1 and the URL printed
 * when that fails too). Exits 0 when the browser closes or on SIGTERM (closing the browser), and
 * 2 when the tray goes away (checked every 2 s, and at once when the tray's pipe closes).
 */
export async function runWindow(options: WindowProcessOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const stderr = options.stderr ?? process.stderr;
  const say = (line: string): void => {
    stderr.write(`${line}\n`);
  };

  const found = await handshake(env);
  if (!('server' in found)) {
    say(found.message);
    return WINDOW_EXIT.noTray;
  }
  const { server, stateDir } = found;
  const url = `http://127.0.0.1:${server.port}/?token=${encodeURIComponent(server.token)}`;

  const browser = await findBrowser({ env, platform });
  if (browser === null) return openInDefaultBrowser(url, env, platform, say, options.stdout ?? process.stdout);

  const profileDir = profileDirOf(stateDir, FILE_NAMES.windowProfile);
  await mkdir(profileDir, { recursive: true, mode: 0o700 });
  const headless = wantsHeadless(env, platform);
  const args = browserArgs({ url, profileDir, headless, debug: isOn(env[ENV.debug]) });
  let child: ChildProcess;
  try {
    child = spawn(browser, args, { stdio: 'ignore', windowsHide: true });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    say(`exlab-window: could not start ${browser} (${error instanceof Error ? error.message : String(error)})`);
    return openInDefaultBrowser(url, env, platform, say, options.stdout ?? process.stdout);
  }
  say(`exlab-window: ${browser}${headless ? ' (headless)' : ''} showing http://127.0.0.1:${server.port}/ (browser pid ${child.pid})`);

  const browserExited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const outcome = await new Promise<{ code: number; why: string }>((resolve) => {
    let settled = false;
    const finish = (code: number, why: string): void => {
      if (settled) return;
      settled = true;
      resolve({ code, why });
    };
    void browserExited.then(() => finish(WINDOW_EXIT.closed, 'the browser closed'));

    if (options.handleSignals !== false) {
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => finish(WINDOW_EXIT.closed, signal));
    }
    const parent = options.parentStdin !== undefined ? options.parentStdin : env[WINDOW_PARENT_ENV] === 'stdin' ? process.stdin : null;
    if (parent !== null) {
      parent.on('data', () => undefined);
      parent.once('end', () => finish(WINDOW_EXIT.noTray, 'the tray closed its pipe'));
      parent.once('error', () => finish(WINDOW_EXIT.noTray, 'the tray pipe failed'));
      parent.resume();
    }
    const follow = async (): Promise<void> => {
      while (!settled) {
        await sleep(options.followIntervalMs ?? TIMINGS.windowFollowIntervalMs);
        if (settled) return;
        if (!(await trayStillAlive(server, stateDir))) finish(WINDOW_EXIT.noTray, `the tray (pid ${server.pid}) is gone`);
      }
    };
    void follow();
  });

  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const closed = await Promise.race([browserExited.then(() => true), sleep(3_000).then(() => false)]);
    if (!closed) {
      child.kill('SIGKILL');
      await Promise.race([browserExited, sleep(2_000)]);
    }
  }
  say(`exlab-window: exiting (${outcome.why})`);
  return outcome.code;
}

/** W3 fallback: hand the URL to the OS default browser (exit 0), or print it (exit 1). */
async function openInDefaultBrowser(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
  say: (line: string) => void,
  stdout: NodeJS.WritableStream,
): Promise<number> {
  say('exlab-window: no Chromium-family browser found (set EXLAB_BROWSER); trying the default browser');
  const code = await runToExit(defaultBrowserCommand(url, platform), env, platform);
  if (code === 0) {
    say(WINDOW_FALLBACK_MARKER);
    return WINDOW_EXIT.closed;
  }
  say('exlab-window: could not open any browser; open this address yourself:');
  stdout.write(`${url}\n`);
  return WINDOW_EXIT.noBrowser;
}
