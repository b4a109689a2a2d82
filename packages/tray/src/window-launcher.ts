import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ENV, TIMINGS, WINDOW_PROCESS } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import { createNullLogger, type Logger } from '@exlab/core/logging';
import { systemClock, type Clock } from './clock.js';

/** Environment variable telling a window spawned by the tray to exit when its stdin closes (T7). */
export const WINDOW_PARENT_ENV = WINDOW_PROCESS.parentEnv;
/** The stderr line a window prints when it handed the URL to the default browser (W3 fallback). */
export const WINDOW_FALLBACK_MARKER = WINDOW_PROCESS.fallbackMarker;

/** How a window process ended. */
export interface WindowExit {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** The signal, when killed by one. */
  signal: NodeJS.Signals | null;
  /** It handed the URL to the default browser instead of running its own (W3). */
  usedFallback: boolean;
}

/** Options of {@link WindowLauncher}. */
export interface WindowLauncherOptions {
  /** Resolves the window command, argv style; null when there is none (see {@link resolveWindowCommand}). */
  command: () => Promise<string[] | null>;
  /** The tray's state dir, passed as `EXLAB_STATE_DIR` (W1). */
  stateDir: string;
  /** Environment the window starts from. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the window's stderr is re-logged, as `[component:window]`. */
  logger?: Logger;
  /** Called when a window process ends. */
  onExit?: (exit: WindowExit) => void;
  /** Called when Open finds a live window: the UI channel sends `focus` (W1). */
  onFocus?: () => void;
  /** Timer source. */
  clock?: Clock;
}

const TS_EXTENSIONS = new Set(['.ts', '.mts']);
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/** argv for running `file`: scripts through this Node (TypeScript sources via tsx), anything else directly. */
export function commandForFile(file: string): string[] {
  const ext = extname(file);
  if (TS_EXTENSIONS.has(ext)) return [process.execPath, '--conditions=@exlab/source', '--import', 'tsx', file];
  if (JS_EXTENSIONS.has(ext)) return [process.execPath, file];
  return [file];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The window command (lifecycle.md W1): `EXLAB_WINDOW_EXECUTABLE`, else an `exlab-window` beside
 * the running program (bundled installs), else the `exlab-window` bin of the `@exlab/window` package, else
 * the workspace's built window (`packages/window/dist/main.js`, a development checkout). Null when
 * none exists.
 */
export async function resolveWindowCommand(
  options: { env?: Readonly<Record<string, string | undefined>>; entry?: string | undefined } = {},
): Promise<string[] | null> {
  const env = options.env ?? process.env;
  const configured = env[ENV.windowExecutable];
  if (configured !== undefined && configured !== '') return commandForFile(configured);
  const entry = options.entry ?? process.argv[1];
  if (entry !== undefined) {
    for (const name of process.platform === 'win32' ? ['exlab-window.exe', 'exlab-window.cmd'] : ['exlab-window']) {
      const sibling = join(dirname(entry), name);
      if (await exists(sibling)) return [sibling];
    }
  }
  try {
    const manifest = fileURLToPath(import.meta.resolve('@exlab/window/package.json'));
    const pkg = JSON.parse(await readFile(manifest, 'utf8')) as { bin?: Record<string, string> };
    const bin = pkg.bin?.['exlab-window'];
    if (bin !== undefined && (await exists(join(dirname(manifest), bin)))) return commandForFile(join(dirname(manifest), bin));
  } catch {
    // Not installed beside the tray.
  }
  const workspace = fileURLToPath(new URL('../../window/dist/main.js', import.meta.url));
  if (await exists(workspace)) return commandForFile(workspace);
  return null;
}

/**
 * Spawns and tracks the window process (§4.3.2 window_launcher, lifecycle.md W1): one window per
 * tray; Open while it lives only asks it to take focus. The window gets `EXLAB_STATE_DIR`, leads
 * its own process group (so its browser goes with it), and exits when its stdin, a pipe from the
 * tray, closes (T7).
 */
export class WindowLauncher {
  readonly #options: WindowLauncherOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  #child: ChildProcess | undefined;
  #exited: Promise<WindowExit> | undefined;
  #spawned = 0;
  #opening: Promise<'spawned' | 'focused' | 'unavailable'> | undefined;

  constructor(options: WindowLauncherOptions) {
    this.#options = options;
    this.#log = (options.logger ?? createNullLogger()).child({ component: 'window' });
    this.#clock = options.clock ?? systemClock;
  }

  /** True while a window process runs. */
  get alive(): boolean {
    return this.#child !== undefined;
  }

  /** Its pid, while it runs. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** How many window processes this launcher started. */
  get spawnCount(): number {
    return this.#spawned;
  }

  /** Resolves when the current window exits (immediately when none runs). */
  get exited(): Promise<WindowExit | null> {
    return this.#exited ?? Promise.resolve(null);
  }

  /** Open: spawn a window, or focus the live one (W1). Concurrent calls share one spawn. */
  open(): Promise<'spawned' | 'focused' | 'unavailable'> {
    if (this.#child !== undefined) {
      this.#log.info('focus requested');
      try {
        this.#options.onFocus?.();
      } catch (error) {
        this.#log.warn(`focus failed: ${describeError(error)}`);
      }
      return Promise.resolve('focused');
    }
    this.#opening ??= this.#spawn().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #spawn(): Promise<'spawned' | 'unavailable'> {
    const command = await this.#options.command();
    const [program, ...args] = command ?? [];
    if (program === undefined) {
      this.#log.warn('no window program found (set EXLAB_WINDOW_EXECUTABLE or build @exlab/window)');
      return 'unavailable';
    }
    const child = spawn(program, args, {
      detached: process.platform !== 'win32',
      windowsHide: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...(this.#options.env ?? process.env), [ENV.stateDir]: this.#options.stateDir, [WINDOW_PARENT_ENV]: 'stdin' },
    });
    const started = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', (error) => {
        this.#log.warn(`could not start the window (${program}): ${describeError(error)}`);
        resolve(false);
      });
    });
    if (!started) return 'unavailable';
    this.#child = child;
    this.#spawned += 1;
    // Writing to a window that already exited must not crash the tray.
    child.stdin?.on('error', () => undefined);
    let usedFallback = false;
    if (child.stderr !== null) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        if (line.includes(WINDOW_FALLBACK_MARKER)) usedFallback = true;
        if (line.trim() !== '') this.#log.info(line);
      });
    }
    const pid = child.pid as number;
    this.#log.info(`window started (pid ${pid})`);
    this.#exited = new Promise<WindowExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#child = undefined;
        // Its browser shares its process group; leftovers go with it. The group id stays ours while members remain.
        if (process.platform !== 'win32') {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // The group is already empty.
          }
        }
        const exit: WindowExit = { code, signal, usedFallback };
        this.#log.info(`window exited (pid ${pid}, ${signal ?? `code ${code}`})`);
        try {
          this.#options.onExit?.(exit);
        } catch (error) {
          this.#log.warn(`window exit handler failed: ${describeError(error)}`);
        }
        resolve(exit);
      });
    });
    return 'spawned';
  }

  /** Closes the window (Q5): SIGTERM, 5 s, SIGKILL to its group, 2 s. */
  async close(): Promise<void> {
    const child = this.#child;
    const exited = this.#exited;
    if (child === undefined || exited === undefined || child.pid === undefined) return;
    const pid = child.pid;
    child.kill('SIGTERM');
    if (await this.#within(exited, TIMINGS.windowCloseGraceMs)) return;
    this.#log.warn(`window (pid ${pid}) ignored SIGTERM for ${TIMINGS.windowCloseGraceMs} ms; killing it`);
    try {
      if (process.platform === 'win32') child.kill('SIGKILL');
      else process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    await this.#within(exited, TIMINGS.windowKillWaitMs);
  }

  async #within(promise: Promise<unknown>, ms: number): Promise<boolean> {
    let cancel: (() => void) | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      cancel = this.#clock.setTimer(ms, () => resolve(false));
    });
    const result = await Promise.race([promise.then(() => true), timeout]);
    cancel?.();
    return result;
  }
}
