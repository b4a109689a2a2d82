import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { APP_DIR_NAME, CONFIG_DEFAULTS, ENV, FILE_NAMES } from '../constants/index.js';

/** Where the product keeps its files on this machine (§4.3, §9, §16.3; lifecycle.md P1). */
export interface AppDirs {
  /** Folder of config.yaml. */
  configDir: string;
  /** config.yaml itself (`EXLAB_CONFIG` overrides). */
  configFile: string;
  /** State folder: server.json, tray.lock, run dirs (`EXLAB_STATE_DIR` overrides). */
  stateDir: string;
  /** Cache folder: LIMS cache, browser profile. */
  cacheDir: string;
  /** Per-user data folder: the embedded demo lab lives here. */
  dataDir: string;
  /** Folder of the central app log. */
  logDir: string;
  /** The central app log file. */
  appLog: string;
  /** Default orchestrator staging root for this OS. */
  defaultStagingRoot: string;
}

/** Inputs of {@link resolveAppDirs}; each defaults to this process's values (home: `HOME`, or `USERPROFILE` on Windows, from `env`). */
export interface AppDirsInput {
  env?: Readonly<Record<string, string | undefined>>;
  platform?: NodeJS.Platform;
  home?: string;
}

/** Resolves the product's directories for an OS; an environment variable set to "" counts as unset. */
export function resolveAppDirs(input: AppDirsInput = {}): AppDirs {
  const env = input.env ?? process.env;
  const platform = input.platform ?? process.platform;
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const home = input.home ?? (platform === 'win32' ? get('USERPROFILE') : get('HOME')) ?? homedir();

  let dirs: Omit<AppDirs, 'configFile'>;
  if (platform === 'win32') {
    const p = win32;
    const appData = get('APPDATA') ?? p.join(home, 'AppData', 'Roaming');
    const localAppData = get('LOCALAPPDATA') ?? p.join(home, 'AppData', 'Local');
    const local = p.join(localAppData, APP_DIR_NAME);
    const logDir = p.join(local, 'Logs');
    dirs = {
      configDir: p.join(appData, APP_DIR_NAME),
      stateDir: get(ENV.stateDir) ?? p.join(local, 'state'),
      cacheDir: p.join(local, 'Cache'),
      dataDir: local,
      logDir,
      appLog: p.join(logDir, FILE_NAMES.appLog),
      defaultStagingRoot: p.join(local, 'staging'),
    };
  } else if (platform === 'darwin') {
    const p = posix;
    const support = p.join(home, 'Library', 'Application Support', APP_DIR_NAME);
    const logDir = p.join(home, 'Library', 'Logs', APP_DIR_NAME);
    dirs = {
      configDir: support,
      stateDir: get(ENV.stateDir) ?? p.join(support, 'state'),
      cacheDir: p.join(home, 'Library', 'Caches', APP_DIR_NAME),
      dataDir: support,
      logDir,
      appLog: p.join(logDir, FILE_NAMES.appLog),
      defaultStagingRoot: CONFIG_DEFAULTS.posixStagingRoot,
    };
  } else {
    const p = posix;
    const stateDir = get(ENV.stateDir) ?? p.join(get('XDG_STATE_HOME') ?? p.join(home, '.local', 'state'), APP_DIR_NAME);
    dirs = {
      configDir: p.join(get('XDG_CONFIG_HOME') ?? p.join(home, '.config'), APP_DIR_NAME),
      stateDir,
      cacheDir: p.join(get('XDG_CACHE_HOME') ?? p.join(home, '.cache'), APP_DIR_NAME),
      dataDir: p.join(get('XDG_DATA_HOME') ?? p.join(home, '.local', 'share'), APP_DIR_NAME),
      logDir: stateDir,
      appLog: p.join(stateDir, FILE_NAMES.appLog),
      defaultStagingRoot: CONFIG_DEFAULTS.posixStagingRoot,
    };
  }
  const pathApi = platform === 'win32' ? win32 : posix;
  return { ...dirs, configFile: get(ENV.config) ?? pathApi.join(dirs.configDir, FILE_NAMES.config) };
}

/** Expands a leading `~` to `home`. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return `${home}${path.slice(1)}`;
  return path;
}
