import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { lstat, mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { APP_DISPLAY_NAME, ENV } from '@exlab/core/constants';
import { describeError, ExLabError } from '@exlab/core/errors';
import { writeFileAtomic } from '@exlab/core/io';

/** Label of the macOS LaunchAgent (§15.7.1). */
export const LAUNCH_AGENT_LABEL = 'com.exlab-wizard.tray';
/** File name of the Linux systemd user unit and the XDG autostart entry. */
export const LINUX_UNIT_NAME = 'exlab-wizard-tray.service';
/** File name of the XDG autostart entry. */
export const XDG_DESKTOP_NAME = 'exlab-wizard-tray.desktop';
/** Windows Run value name (no hyphen, §15.7.1). */
export const WINDOWS_RUN_VALUE = 'ExLabWizard';
/** The per-user Run key; never HKLM (A4). */
export const WINDOWS_RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
/** The systemd target the unit is wanted by: default.target has no DISPLAY, so the tray could not open windows (A3). */
export const SYSTEMD_TARGET = 'graphical-session.target';

/** Runs a program and returns its exit code and output (injected in tests). */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<{ code: number; stdout: string }>;

/** Options of {@link Autostart}. */
export interface AutostartOptions {
  /** The command that starts the tray in the foreground, argv style. */
  command: readonly string[];
  /** OS (default this one). */
  platform?: NodeJS.Platform;
  /** Stands in for HOME (default `EXLAB_AUTOSTART_ROOT`, else the home dir): every file goes under it. */
  root?: string;
  /** Environment (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Runs `systemctl` and `reg` (default: the real programs; under an injected root, none are run for systemd). */
  runner?: CommandRunner;
  /** Whether a systemd user session exists (default: `systemctl --user --version` succeeds and the user bus is there). */
  hasSystemdUser?: () => Promise<boolean>;
}

/** What is registered now. */
export interface AutostartState {
  /** An entry exists. */
  registered: boolean;
  /** Where it lives (file path or registry key). */
  location: string | null;
  /** The command it runs, argv style, when it could be read back. */
  command: string[] | null;
  /** Which mechanism holds it. */
  mechanism: 'launchagent' | 'systemd' | 'xdg' | 'registry' | null;
}

const realRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000, windowsHide: true, encoding: 'utf8' }, (error, stdout) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout: stdout ?? '' });
    });
  });

const xmlEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const xmlUnescape = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The macOS LaunchAgent plist (A2): full argv, RunAtLoad, KeepAlive only after a failure, ThrottleInterval 30, `EXLAB_SUPERVISOR=launchd`. */
export function launchAgentPlist(command: readonly string[]): string {
  const args = command.map((arg) => `    <string>${xmlEscape(arg)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCH_AGENT_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <key>EnvironmentVariables</key>
  <dict>
    <key>${ENV.supervisor}</key>
    <string>launchd</string>
  </dict>
</dict>
</plist>
`;
}

function plistCommand(text: string): string[] | null {
  const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(text)?.[1];
  if (array === undefined) return null;
  return [...array.matchAll(/<string>([\s\S]*?)<\/string>/g)].map((m) => xmlUnescape(m[1] ?? ''));
}

/** Quotes one argument for systemd's ExecStart= and the XDG Exec= key: both split on spaces, honour double quotes and expand `%`. */
function quoteExecArg(arg: string): string {
  const escaped = arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? escaped : `"${escaped}"`;
}

function execLine(command: readonly string[]): string {
  return command.map(quoteExecArg).join(' ');
}

function parseExecLine(line: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of line.matchAll(re)) {
    const raw = match[1] ?? match[2] ?? '';
    args.push(raw.replace(/\\(.)/g, '$1').replace(/%%/g, '%'));
  }
  return args;
}

/** The systemd user unit (A3): restart after a failure but never after exit 3, 4 or 5 (already running, port busy, state unwritable). */
export function systemdUnit(command: readonly string[]): string {
  return `[Unit]
Description=${APP_DISPLAY_NAME} tray
PartOf=${SYSTEMD_TARGET}
After=${SYSTEMD_TARGET}

[Service]
Type=simple
ExecStart=${execLine(command)}
Environment=${ENV.supervisor}=systemd
Restart=on-failure
RestartSec=30
RestartPreventExitStatus=3 4 5

[Install]
WantedBy=${SYSTEMD_TARGET}
`;
}

/** The XDG autostart entry (A3), used only when there is no systemd user session. */
export function xdgDesktopEntry(command: readonly string[]): string {
  return `[Desktop Entry]
Type=Application
Name=${APP_DISPLAY_NAME}
Comment=Starts the ${APP_DISPLAY_NAME} tray at login
Exec=${execLine(command)}
Terminal=false
X-GNOME-Autostart-enabled=true
`;
}

function iniValue(text: string, key: string): string | null {
  const match = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  return match?.[1] ?? null;
}

/** Quotes a Windows command line the way CreateProcess splits it. */
export function windowsCommandLine(command: readonly string[]): string {
  return command.map((arg) => (/^[^\s"]+$/.test(arg) ? arg : `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`)).join(' ');
}

/** The `reg add` invocation that registers `command` (A4): HKCU Run, value ExLabWizard, REG_SZ. */
export function regAddArgs(command: readonly string[]): string[] {
  return ['add', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE, '/t', 'REG_SZ', '/d', windowsCommandLine(command), '/f'];
}

function parseWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of line.matchAll(re)) args.push(match[1] !== undefined ? match[1].replace(/\\"/g, '"') : (match[2] ?? ''));
  return args;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Per-user autostart of the tray (§15.7, lifecycle.md A1-A5): a LaunchAgent on macOS, a systemd
 * user unit on Linux (an XDG autostart entry when there is no systemd user session, never both),
 * the HKCU Run key on Windows. register/unregister are idempotent and need no elevation; every
 * file goes under `root`, so tests (EXLAB_AUTOSTART_ROOT) never touch the real home.
 */
export class Autostart {
  readonly #options: AutostartOptions;
  readonly #platform: NodeJS.Platform;
  readonly #root: string;
  readonly #injectedRoot: boolean;
  readonly #runner: CommandRunner;

  constructor(options: AutostartOptions) {
    this.#options = options;
    this.#platform = options.platform ?? process.platform;
    const env = options.env ?? process.env;
    const envRoot = env[ENV.autostartRoot];
    this.#injectedRoot = options.root !== undefined || (envRoot !== undefined && envRoot !== '');
    this.#root = options.root ?? (envRoot !== undefined && envRoot !== '' ? envRoot : (env.HOME ?? homedir()));
    this.#runner = options.runner ?? realRunner;
  }

  /** The command this tray registers. */
  get command(): readonly string[] {
    return this.#options.command;
  }

  /** Path of the macOS LaunchAgent. */
  get launchAgentPath(): string {
    return join(this.#root, 'Library', 'LaunchAgents', `${LAUNCH_AGENT_LABEL}.plist`);
  }

  /** Path of the systemd user unit. */
  get systemdUnitPath(): string {
    return join(this.#root, '.config', 'systemd', 'user', LINUX_UNIT_NAME);
  }

  /** The `enable` symlink that makes the unit start with the graphical session. */
  get systemdWantsLink(): string {
    return join(this.#root, '.config', 'systemd', 'user', `${SYSTEMD_TARGET}.wants`, LINUX_UNIT_NAME);
  }

  /** Path of the XDG autostart entry. */
  get xdgDesktopPath(): string {
    return join(this.#root, '.config', 'autostart', XDG_DESKTOP_NAME);
  }

  /** Path of the file that stands in for the registry under an injected root. */
  get registryStandInPath(): string {
    return join(this.#root, 'registry', 'HKCU-Run.json');
  }

  async #hasSystemdUser(): Promise<boolean> {
    if (this.#options.hasSystemdUser) return this.#options.hasSystemdUser();
    if (this.#injectedRoot) return false;
    const version = await this.#runner('systemctl', ['--user', '--version']);
    if (version.code !== 0) return false;
    // `--version` works without a user manager; a running one answers `is-system-running`.
    const state = await this.#runner('systemctl', ['--user', 'is-system-running']);
    return state.stdout.trim() !== '' && state.stdout.trim() !== 'offline';
  }

  /** Registers the tray to start at login, replacing an entry with another command (idempotent). */
  async register(): Promise<AutostartState> {
    const command = this.#options.command;
    if (this.#platform === 'darwin') {
      await writeFileAtomic(this.launchAgentPath, launchAgentPlist(command), { mode: 0o644 });
    } else if (this.#platform === 'win32') {
      await this.#registrySet(command);
    } else if (await this.#hasSystemdUser()) {
      await rm(this.xdgDesktopPath, { force: true });
      await writeFileAtomic(this.systemdUnitPath, systemdUnit(command), { mode: 0o644 });
      // What `systemctl --user enable` does, done directly so it works without a reachable user bus.
      await mkdir(dirname(this.systemdWantsLink), { recursive: true });
      await rm(this.systemdWantsLink, { force: true });
      await symlink(this.systemdUnitPath, this.systemdWantsLink);
      if (!this.#injectedRoot) await this.#runner('systemctl', ['--user', 'daemon-reload']);
    } else {
      await this.#removeSystemdUnit();
      await writeFileAtomic(this.xdgDesktopPath, xdgDesktopEntry(command), { mode: 0o644 });
    }
    return this.state();
  }

  /** Removes every entry this tray may have created (idempotent). */
  async unregister(): Promise<AutostartState> {
    if (this.#platform === 'darwin') {
      await rm(this.launchAgentPath, { force: true });
    } else if (this.#platform === 'win32') {
      await this.#registryDelete();
    } else {
      const hadUnit = await exists(this.systemdUnitPath);
      await this.#removeSystemdUnit();
      await rm(this.xdgDesktopPath, { force: true });
      if (hadUnit && !this.#injectedRoot) await this.#runner('systemctl', ['--user', 'daemon-reload']);
    }
    return this.state();
  }

  async #removeSystemdUnit(): Promise<void> {
    await rm(this.systemdWantsLink, { force: true });
    await rm(this.systemdUnitPath, { force: true });
  }

  /** True when an entry exists. */
  async isRegistered(): Promise<boolean> {
    return (await this.state()).registered;
  }

  /** What is registered, read back from the OS. */
  async state(): Promise<AutostartState> {
    const none: AutostartState = { registered: false, location: null, command: null, mechanism: null };
    if (this.#platform === 'darwin') {
      const text = await readFile(this.launchAgentPath, 'utf8').catch(() => null);
      return text === null
        ? none
        : { registered: true, location: this.launchAgentPath, command: plistCommand(text), mechanism: 'launchagent' };
    }
    if (this.#platform === 'win32') {
      const line = await this.#registryGet();
      return line === null
        ? none
        : {
            registered: true,
            location: `${WINDOWS_RUN_KEY}\\${WINDOWS_RUN_VALUE}`,
            command: parseWindowsCommandLine(line),
            mechanism: 'registry',
          };
    }
    const unit = await readFile(this.systemdUnitPath, 'utf8').catch(() => null);
    if (unit !== null) {
      const enabled = await readlink(this.systemdWantsLink).then(
        () => true,
        () => false,
      );
      const exec = iniValue(unit, 'ExecStart');
      return enabled
        ? { registered: true, location: this.systemdUnitPath, command: exec === null ? null : parseExecLine(exec), mechanism: 'systemd' }
        : none;
    }
    const desktop = await readFile(this.xdgDesktopPath, 'utf8').catch(() => null);
    if (desktop !== null) {
      const exec = iniValue(desktop, 'Exec');
      return { registered: true, location: this.xdgDesktopPath, command: exec === null ? null : parseExecLine(exec), mechanism: 'xdg' };
    }
    return none;
  }

  /**
   * The startup integrity check (A5, §15.7.2): when an entry exists but runs another command (the
   * app moved or was upgraded), registers the current one silently. Returns true when it re-registered.
   */
  async ensureCurrent(): Promise<boolean> {
    const state = await this.state();
    if (!state.registered) return false;
    if (state.command !== null && state.command.join('\0') === this.#options.command.join('\0')) return false;
    await this.register();
    return true;
  }

  async #registrySet(command: readonly string[]): Promise<void> {
    if (this.#injectedRoot) {
      await writeFileAtomic(this.registryStandInPath, `${JSON.stringify({ [WINDOWS_RUN_VALUE]: windowsCommandLine(command) }, null, 2)}\n`);
      return;
    }
    const result = await this.#runner('reg', regAddArgs(command));
    if (result.code !== 0) throw new ExLabError('internal_error', `reg add exited ${result.code}; autostart is not registered.`);
  }

  async #registryDelete(): Promise<void> {
    if (this.#injectedRoot) {
      await rm(this.registryStandInPath, { force: true });
      return;
    }
    if ((await this.#registryGet()) === null) return;
    const result = await this.#runner('reg', ['delete', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE, '/f']);
    if (result.code !== 0) throw new ExLabError('internal_error', `reg delete exited ${result.code}; autostart is still registered.`);
  }

  async #registryGet(): Promise<string | null> {
    if (this.#injectedRoot) {
      const text = await readFile(this.registryStandInPath, 'utf8').catch(() => null);
      if (text === null) return null;
      const value = (JSON.parse(text) as Record<string, unknown>)[WINDOWS_RUN_VALUE];
      return typeof value === 'string' ? value : null;
    }
    const result = await this.#runner('reg', ['query', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE]);
    if (result.code !== 0) return null;
    const match = new RegExp(`${WINDOWS_RUN_VALUE}\\s+REG_SZ\\s+(.*)$`, 'm').exec(result.stdout);
    return match?.[1]?.trim() ?? null;
  }
}

/** Registers or unregisters, never throwing: the shape of `POST /api/v1/setup/autostart` (A1). */
export async function setAutostart(
  autostart: Autostart,
  enabled: boolean,
): Promise<{ enabled: boolean; registered: boolean; error?: string }> {
  try {
    const state = enabled ? await autostart.register() : await autostart.unregister();
    return { enabled, registered: state.registered };
  } catch (error) {
    const registered = await autostart.isRegistered().catch(() => false);
    return { enabled, registered, error: describeError(error) };
  }
}
