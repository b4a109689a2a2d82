import { describe, expect, it } from 'vitest';
import { expandHome, resolveAppDirs } from '@exlab/core/paths';

// core.md B6 and lifecycle.md P1: where config, state, cache, data and the app log live on each OS.

describe('resolveAppDirs on Linux', () => {
  const home = '/home/ada';

  it('uses the XDG defaults under the home folder when no variable is set', () => {
    expect(resolveAppDirs({ platform: 'linux', env: {}, home })).toEqual({
      configDir: '/home/ada/.config/exlab-wizard',
      configFile: '/home/ada/.config/exlab-wizard/config.yaml',
      stateDir: '/home/ada/.local/state/exlab-wizard',
      cacheDir: '/home/ada/.cache/exlab-wizard',
      dataDir: '/home/ada/.local/share/exlab-wizard',
      logDir: '/home/ada/.local/state/exlab-wizard',
      appLog: '/home/ada/.local/state/exlab-wizard/app.log',
      defaultStagingRoot: '/staging',
    });
  });

  it('honours XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME and XDG_DATA_HOME', () => {
    const env = { XDG_CONFIG_HOME: '/x/config', XDG_STATE_HOME: '/x/state', XDG_CACHE_HOME: '/x/cache', XDG_DATA_HOME: '/x/data' };
    expect(resolveAppDirs({ platform: 'linux', env, home })).toEqual({
      configDir: '/x/config/exlab-wizard',
      configFile: '/x/config/exlab-wizard/config.yaml',
      stateDir: '/x/state/exlab-wizard',
      cacheDir: '/x/cache/exlab-wizard',
      dataDir: '/x/data/exlab-wizard',
      logDir: '/x/state/exlab-wizard',
      appLog: '/x/state/exlab-wizard/app.log',
      defaultStagingRoot: '/staging',
    });
  });

  it('treats an XDG variable set to the empty string as unset', () => {
    const env = { XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', XDG_CACHE_HOME: '', XDG_DATA_HOME: '', EXLAB_STATE_DIR: '', EXLAB_CONFIG: '' };
    expect(resolveAppDirs({ platform: 'linux', env, home })).toEqual(resolveAppDirs({ platform: 'linux', env: {}, home }));
  });

  it('puts state and the app log in EXLAB_STATE_DIR when it is set, leaving the other folders alone', () => {
    const dirs = resolveAppDirs({ platform: 'linux', env: { EXLAB_STATE_DIR: '/tmp/exlab-state', XDG_STATE_HOME: '/x/state' }, home });
    expect(dirs.stateDir).toBe('/tmp/exlab-state');
    expect(dirs.logDir).toBe('/tmp/exlab-state');
    expect(dirs.appLog).toBe('/tmp/exlab-state/app.log');
    expect(dirs.configDir).toBe('/home/ada/.config/exlab-wizard');
    expect(dirs.cacheDir).toBe('/home/ada/.cache/exlab-wizard');
  });

  it('reads config.yaml from EXLAB_CONFIG when it is set, keeping the config folder', () => {
    const dirs = resolveAppDirs({ platform: 'linux', env: { EXLAB_CONFIG: '/etc/lab/exlab.yaml' }, home });
    expect(dirs.configFile).toBe('/etc/lab/exlab.yaml');
    expect(dirs.configDir).toBe('/home/ada/.config/exlab-wizard');
  });
});

describe('resolveAppDirs on macOS', () => {
  const home = '/Users/ada';

  it('uses Application Support, Caches and Logs under ~/Library', () => {
    expect(resolveAppDirs({ platform: 'darwin', env: {}, home })).toEqual({
      configDir: '/Users/ada/Library/Application Support/exlab-wizard',
      configFile: '/Users/ada/Library/Application Support/exlab-wizard/config.yaml',
      stateDir: '/Users/ada/Library/Application Support/exlab-wizard/state',
      cacheDir: '/Users/ada/Library/Caches/exlab-wizard',
      dataDir: '/Users/ada/Library/Application Support/exlab-wizard',
      logDir: '/Users/ada/Library/Logs/exlab-wizard',
      appLog: '/Users/ada/Library/Logs/exlab-wizard/app.log',
      defaultStagingRoot: '/staging',
    });
  });

  it('ignores XDG variables', () => {
    const env = { XDG_CONFIG_HOME: '/x/config', XDG_STATE_HOME: '/x/state', XDG_CACHE_HOME: '/x/cache' };
    expect(resolveAppDirs({ platform: 'darwin', env, home })).toEqual(resolveAppDirs({ platform: 'darwin', env: {}, home }));
  });

  it('honours EXLAB_STATE_DIR for state but keeps the app log in ~/Library/Logs', () => {
    const dirs = resolveAppDirs({ platform: 'darwin', env: { EXLAB_STATE_DIR: '/tmp/s', EXLAB_CONFIG: '/tmp/c.yaml' }, home });
    expect(dirs.stateDir).toBe('/tmp/s');
    expect(dirs.appLog).toBe('/Users/ada/Library/Logs/exlab-wizard/app.log');
    expect(dirs.configFile).toBe('/tmp/c.yaml');
  });
});

describe('resolveAppDirs on Windows', () => {
  const home = 'C:\\Users\\ada';
  const env = { APPDATA: 'D:\\Profiles\\ada\\Roaming', LOCALAPPDATA: 'E:\\Local' };

  it('puts config under APPDATA and state, cache, logs and staging under LOCALAPPDATA, with backslashes', () => {
    expect(resolveAppDirs({ platform: 'win32', env, home })).toEqual({
      configDir: 'D:\\Profiles\\ada\\Roaming\\exlab-wizard',
      configFile: 'D:\\Profiles\\ada\\Roaming\\exlab-wizard\\config.yaml',
      stateDir: 'E:\\Local\\exlab-wizard\\state',
      cacheDir: 'E:\\Local\\exlab-wizard\\Cache',
      dataDir: 'E:\\Local\\exlab-wizard',
      logDir: 'E:\\Local\\exlab-wizard\\Logs',
      appLog: 'E:\\Local\\exlab-wizard\\Logs\\app.log',
      defaultStagingRoot: 'E:\\Local\\exlab-wizard\\staging',
    });
  });

  it('falls back to AppData\\Roaming and AppData\\Local under the home folder when APPDATA and LOCALAPPDATA are unset', () => {
    const dirs = resolveAppDirs({ platform: 'win32', env: {}, home });
    expect(dirs.configFile).toBe('C:\\Users\\ada\\AppData\\Roaming\\exlab-wizard\\config.yaml');
    expect(dirs.stateDir).toBe('C:\\Users\\ada\\AppData\\Local\\exlab-wizard\\state');
    expect(dirs.appLog).toBe('C:\\Users\\ada\\AppData\\Local\\exlab-wizard\\Logs\\app.log');
    expect(dirs.defaultStagingRoot).toBe('C:\\Users\\ada\\AppData\\Local\\exlab-wizard\\staging');
  });

  it('treats an empty APPDATA or LOCALAPPDATA as unset', () => {
    expect(resolveAppDirs({ platform: 'win32', env: { APPDATA: '', LOCALAPPDATA: '' }, home })).toEqual(
      resolveAppDirs({ platform: 'win32', env: {}, home }),
    );
  });

  it('honours EXLAB_STATE_DIR and EXLAB_CONFIG as given', () => {
    const dirs = resolveAppDirs({
      platform: 'win32',
      env: { ...env, EXLAB_STATE_DIR: 'F:\\state', EXLAB_CONFIG: 'F:\\cfg\\lab.yaml' },
      home,
    });
    expect(dirs.stateDir).toBe('F:\\state');
    expect(dirs.configFile).toBe('F:\\cfg\\lab.yaml');
    expect(dirs.appLog).toBe('E:\\Local\\exlab-wizard\\Logs\\app.log');
  });

  it('never emits a forward slash', () => {
    for (const value of Object.values(resolveAppDirs({ platform: 'win32', env, home }))) expect(value).not.toContain('/');
  });
});

describe('expandHome', () => {
  it('expands a bare ~ and a leading ~/ or ~\\ to the home folder', () => {
    expect(expandHome('~', '/home/ada')).toBe('/home/ada');
    expect(expandHome('~/.ssh/id_ed25519', '/home/ada')).toBe('/home/ada/.ssh/id_ed25519');
    expect(expandHome('~\\keys\\id', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\keys\\id');
  });

  it('leaves absolute paths, ~user paths and inner tildes alone', () => {
    expect(expandHome('/etc/ssh/key', '/home/ada')).toBe('/etc/ssh/key');
    expect(expandHome('~bob/key', '/home/ada')).toBe('~bob/key');
    expect(expandHome('data/~/x', '/home/ada')).toBe('data/~/x');
  });
});
