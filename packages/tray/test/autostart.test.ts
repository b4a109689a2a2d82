import { lstat, mkdtemp, readFile, readlink, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Autostart,
  launchAgentPlist,
  regAddArgs,
  setAutostart,
  systemdUnit,
  windowsCommandLine,
  xdgDesktopEntry,
} from '../src/autostart.js';

let root: string;
const COMMAND = ['/opt/node/bin/node', '/opt/exlab wizard/cli/main.js', 'start', '--foreground'];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-autostart-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    () => false,
  );

async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.sort();
}

describe('Autostart on Linux with a systemd user session', () => {
  const make = (command = COMMAND): Autostart => new Autostart({ command, platform: 'linux', root, hasSystemdUser: async () => true });

  it('writes the unit with RestartPreventExitStatus=3 4 5 and enables it, idempotently, and unregisters', async () => {
    const autostart = make();
    expect(await autostart.isRegistered()).toBe(false);
    const state = await autostart.register();
    expect(state).toEqual({ registered: true, location: autostart.systemdUnitPath, command: COMMAND, mechanism: 'systemd' });
    await autostart.register();
    const unit = await readFile(autostart.systemdUnitPath, 'utf8');
    expect(unit).toBe(systemdUnit(COMMAND));
    expect(unit).toContain('ExecStart=/opt/node/bin/node "/opt/exlab wizard/cli/main.js" start --foreground\n');
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toContain('RestartPreventExitStatus=3 4 5\n');
    expect(unit).toContain('Environment=EXLAB_SUPERVISOR=systemd\n');
    expect(unit).toContain('WantedBy=graphical-session.target\n');
    expect(await readlink(autostart.systemdWantsLink)).toBe(autostart.systemdUnitPath);
    expect(await exists(autostart.xdgDesktopPath)).toBe(false);

    expect((await autostart.unregister()).registered).toBe(false);
    expect(await autostart.unregister()).toMatchObject({ registered: false });
    expect(await exists(autostart.systemdUnitPath)).toBe(false);
    expect(await exists(autostart.systemdWantsLink)).toBe(false);
  });

  it('removes an XDG entry left from before, so there are never both', async () => {
    const xdg = new Autostart({ command: COMMAND, platform: 'linux', root, hasSystemdUser: async () => false });
    await xdg.register();
    await make().register();
    expect(await exists(xdg.xdgDesktopPath)).toBe(false);
    expect((await make().state()).mechanism).toBe('systemd');
  });

  it('re-registers silently when the registered command is not the current one (A5)', async () => {
    await make(['/old/node', '/old/main.js', 'start', '--foreground']).register();
    const current = make();
    expect(await current.ensureCurrent()).toBe(true);
    expect((await current.state()).command).toEqual(COMMAND);
    expect(await current.ensureCurrent()).toBe(false);
    const unregistered = new Autostart({
      command: COMMAND,
      platform: 'linux',
      root: join(root, 'elsewhere'),
      hasSystemdUser: async () => true,
    });
    expect(await unregistered.ensureCurrent()).toBe(false);
    expect(await unregistered.isRegistered()).toBe(false);
  });
});

describe('Autostart on Linux without systemd', () => {
  it('writes an XDG autostart entry only, and removes it', async () => {
    const autostart = new Autostart({ command: COMMAND, platform: 'linux', root, hasSystemdUser: async () => false });
    expect(await autostart.register()).toEqual({
      registered: true,
      location: autostart.xdgDesktopPath,
      command: COMMAND,
      mechanism: 'xdg',
    });
    const entry = await readFile(autostart.xdgDesktopPath, 'utf8');
    expect(entry).toBe(xdgDesktopEntry(COMMAND));
    expect(entry).toContain('Exec=/opt/node/bin/node "/opt/exlab wizard/cli/main.js" start --foreground\n');
    expect(entry).toContain('X-GNOME-Autostart-enabled=true\n');
    expect(await tree(join(root, '.config'))).toEqual(['autostart', 'autostart/exlab-wizard-tray.desktop']);
    await autostart.unregister();
    expect(await exists(autostart.xdgDesktopPath)).toBe(false);
  });

  it('uses EXLAB_AUTOSTART_ROOT and never probes systemctl there', async () => {
    const calls: string[] = [];
    const autostart = new Autostart({
      command: COMMAND,
      platform: 'linux',
      env: { EXLAB_AUTOSTART_ROOT: root, HOME: '/nonexistent-home' },
      runner: async (file, args) => {
        calls.push([file, ...args].join(' '));
        return { code: 0, stdout: 'running' };
      },
    });
    await autostart.register();
    expect(autostart.xdgDesktopPath.startsWith(root)).toBe(true);
    expect(await exists(autostart.xdgDesktopPath)).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('Autostart on macOS', () => {
  it('writes the LaunchAgent with the full argv escaped, KeepAlive on failure only and launchd as supervisor', async () => {
    const command = ['/Applications/ExLab & Co.app/node', '<main>.js'];
    const autostart = new Autostart({ command, platform: 'darwin', root });
    const state = await autostart.register();
    expect(state).toMatchObject({ registered: true, command, mechanism: 'launchagent' });
    expect(autostart.launchAgentPath).toBe(join(root, 'Library/LaunchAgents/com.exlab-wizard.tray.plist'));
    const plist = await readFile(autostart.launchAgentPath, 'utf8');
    expect(plist).toBe(launchAgentPlist(command));
    expect(plist).toContain('<string>/Applications/ExLab &amp; Co.app/node</string>');
    expect(plist).toContain('<string>&lt;main&gt;.js</string>');
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    expect(plist).toMatch(/<key>ThrottleInterval<\/key>\s*<integer>30<\/integer>/);
    expect(plist).toMatch(/<key>EXLAB_SUPERVISOR<\/key>\s*<string>launchd<\/string>/);
    await autostart.unregister();
    expect(await autostart.isRegistered()).toBe(false);
  });
});

describe('Autostart on Windows', () => {
  it('builds the reg add command for HKCU Run, REG_SZ ExLabWizard, quoted, never HKLM', () => {
    const command = ['C:\\Program Files\\nodejs\\node.exe', 'C:\\ExLab\\main.js', 'start', '--foreground'];
    expect(regAddArgs(command)).toEqual([
      'add',
      'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
      '/v',
      'ExLabWizard',
      '/t',
      'REG_SZ',
      '/d',
      '"C:\\Program Files\\nodejs\\node.exe" C:\\ExLab\\main.js start --foreground',
      '/f',
    ]);
    expect(regAddArgs(command).join(' ')).not.toContain('HKLM');
    expect(windowsCommandLine(['a b\\', 'c"d'])).toBe('"a b\\\\" "c\\"d"');
  });

  it('drives reg.exe through the runner and reads the value back', async () => {
    const registry = new Map<string, string>();
    const autostart = new Autostart({
      command: ['C:\\node.exe', 'C:\\main.js'],
      platform: 'win32',
      env: {},
      runner: async (file, args) => {
        expect(file).toBe('reg');
        if (args[0] === 'add') registry.set(String(args[3]), String(args[7]));
        if (args[0] === 'delete') registry.delete(String(args[3]));
        if (args[0] === 'query') {
          const value = registry.get(String(args[3]));
          return value === undefined ? { code: 1, stdout: '' } : { code: 0, stdout: `\r\n    ExLabWizard    REG_SZ    ${value}\r\n` };
        }
        return { code: 0, stdout: '' };
      },
    });
    expect(await autostart.register()).toMatchObject({ registered: true, command: ['C:\\node.exe', 'C:\\main.js'], mechanism: 'registry' });
    expect(registry.get('ExLabWizard')).toBe('C:\\node.exe C:\\main.js');
    await autostart.unregister();
    expect(await autostart.isRegistered()).toBe(false);
    expect(registry.size).toBe(0);
  });

  it('keeps the registry in a stand-in file under an injected root', async () => {
    const autostart = new Autostart({ command: ['C:\\node.exe', 'C:\\main.js'], platform: 'win32', root });
    await autostart.register();
    expect(JSON.parse(await readFile(autostart.registryStandInPath, 'utf8'))).toEqual({ ExLabWizard: 'C:\\node.exe C:\\main.js' });
    await autostart.unregister();
    expect(await exists(autostart.registryStandInPath)).toBe(false);
  });
});

describe('setAutostart', () => {
  it('answers {enabled, registered} and never throws', async () => {
    const autostart = new Autostart({ command: COMMAND, platform: 'linux', root, hasSystemdUser: async () => false });
    expect(await setAutostart(autostart, true)).toEqual({ enabled: true, registered: true });
    expect(await setAutostart(autostart, false)).toEqual({ enabled: false, registered: false });
    await mkdir(join(root, 'blocked'));
    await writeFile(join(root, 'blocked', '.config'), 'a file where a folder belongs');
    const broken = new Autostart({ command: COMMAND, platform: 'linux', root: join(root, 'blocked'), hasSystemdUser: async () => false });
    const answer = await setAutostart(broken, true);
    expect(answer).toMatchObject({ enabled: true, registered: false });
    expect(answer.error).toBeTypeOf('string');
  });
});
