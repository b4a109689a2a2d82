import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ENV, EXIT_CODES } from '@exlab/core/constants';
import { evaluateSetupState, loadConfig } from '@exlab/core/config';
import { describeError } from '@exlab/core/errors';
import { resolveAppDirs } from '@exlab/core/paths';
import { ensureWritableDir, findBrowser, findExecutable } from '@exlab/core/process';
import type { Config } from '@exlab/core/schemas';
import type { Output } from '../output.js';
import { probeTray } from '../tray-probe.js';

/** Flags of `exlab doctor`. */
export interface DoctorFlags {
  stateDir?: string;
  config?: string;
  json?: boolean;
}

/** One finding of `exlab doctor`. */
export interface DoctorCheck {
  /** What was checked. */
  name: string;
  /** ok; warn (works, but something is missing or odd); fail (something the operator must fix). */
  status: 'ok' | 'warn' | 'fail';
  /** What was found. */
  detail: string;
  /** How to fix it, when not ok. */
  hint?: string;
}

/** Options that make `exlab doctor` testable: the OS whose install hints are shown. */
export interface DoctorEnvironment {
  platform?: NodeJS.Platform;
}

const MIN_NODE: readonly [number, number] = [22, 12];

/** How to install a missing tool on this OS. */
export function installHint(tool: 'rsync' | 'rclone' | 'ssh', platform: NodeJS.Platform): string {
  const debian = { rsync: 'rsync', rclone: 'rclone', ssh: 'openssh-client' }[tool];
  if (platform === 'darwin') return tool === 'ssh' ? 'ssh ships with macOS; reinstall the command line tools' : `brew install ${tool}`;
  if (platform === 'win32') {
    if (tool === 'ssh') return 'add the OpenSSH Client optional feature (Settings > Apps > Optional features)';
    if (tool === 'rclone') return 'winget install Rclone.Rclone';
    return 'install rsync from cwRsync, MSYS2 or WSL and put it on PATH';
  }
  return `sudo apt-get install ${debian} (Debian/Ubuntu) or sudo dnf install ${debian} (Fedora/RHEL)`;
}

/** The external tools a config drives: rsync for `rsync_ssh` and `local`, ssh for `rsync_ssh`, rclone for `rclone`. */
function toolsNeeded(config: Config | null): Set<'rsync' | 'rclone' | 'ssh'> {
  const needed = new Set<'rsync' | 'rclone' | 'ssh'>();
  for (const equipment of config?.equipment ?? []) {
    const type = equipment.transport?.type;
    if (type === 'rsync_ssh') needed.add('rsync').add('ssh');
    else if (type === 'local') needed.add('rsync');
    else if (type === 'rclone') needed.add('rclone');
  }
  return needed;
}

async function writableOrCreatable(dir: string): Promise<boolean> {
  let probe = dir;
  for (;;) {
    const info = await stat(probe).catch(() => null);
    if (info !== null) {
      if (!info.isDirectory()) return false;
      return access(probe, constants.W_OK).then(
        () => true,
        () => false,
      );
    }
    const parent = dirname(probe);
    if (parent === probe) return false;
    probe = parent;
  }
}

/**
 * Runs every check of `exlab doctor` (lifecycle.md C5 list, issue 8): Node version, state/config/log
 * dirs, config validity and setup state, rsync/rclone/ssh (with how to install them), a
 * Chromium-family browser, the keyring, and the tray. PATH comes from `env`, so tests can hide a tool.
 */
export async function runDoctorChecks(
  flags: DoctorFlags,
  env: Readonly<Record<string, string | undefined>>,
  environment: DoctorEnvironment = {},
): Promise<DoctorCheck[]> {
  const platform = environment.platform ?? process.platform;
  const scoped = flags.stateDir !== undefined ? { ...env, [ENV.stateDir]: flags.stateDir } : env;
  const dirs = resolveAppDirs({ env: scoped });
  const checks: DoctorCheck[] = [];

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeOk = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  checks.push({
    name: 'Node.js',
    status: nodeOk ? 'ok' : 'fail',
    detail: `v${process.versions.node} (needs ${MIN_NODE.join('.')} or newer)`,
    ...(nodeOk ? {} : { hint: 'install Node.js 24 LTS' }),
  });

  try {
    await ensureWritableDir(dirs.stateDir);
    checks.push({ name: 'state dir', status: 'ok', detail: `${dirs.stateDir} is writable` });
  } catch (error) {
    checks.push({
      name: 'state dir',
      status: 'fail',
      detail: describeError(error),
      hint: `fix the permissions of ${dirs.stateDir} or set ${ENV.stateDir}`,
    });
  }
  for (const [name, dir] of [
    ['config dir', dirname(flags.config ?? dirs.configFile)],
    ['log dir', dirname(dirs.appLog)],
  ] as const) {
    const ok = await writableOrCreatable(dir);
    checks.push(
      ok
        ? { name, status: 'ok', detail: `${dir} is writable` }
        : { name, status: name === 'log dir' ? 'warn' : 'fail', detail: `${dir} cannot be written`, hint: `fix the permissions of ${dir}` },
    );
  }

  const configFile = flags.config ?? dirs.configFile;
  let config: Config | null = null;
  const configExists = await stat(configFile).then(
    () => true,
    () => false,
  );
  if (!configExists) {
    checks.push({
      name: 'config',
      status: 'warn',
      detail: `no config at ${configFile}`,
      hint: '"exlab start" uses the embedded demo lab until you save one in Settings',
    });
  } else {
    try {
      config = (await loadConfig(configFile)).config;
      checks.push({ name: 'config', status: 'ok', detail: `${configFile} is valid` });
    } catch (error) {
      checks.push({
        name: 'config',
        status: 'fail',
        detail: describeError(error),
        hint: `run "exlab config check ${configFile}" for every problem`,
      });
    }
  }
  const setup = evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null });
  checks.push({
    name: 'setup',
    status: setup.ready ? 'ok' : 'warn',
    detail: setup.ready ? 'ready' : `${setup.state}; still to set: ${setup.missing.map((m) => `${m.field} (${m.reason})`).join(', ')}`,
    ...(setup.ready ? {} : { hint: 'finish setup in the window (exlab open)' }),
  });

  // Without a config, `exlab start` runs the demo lab, whose NAS is a local folder pushed with rsync.
  const needed = config === null ? new Set(['rsync' as const]) : toolsNeeded(config);
  for (const tool of ['rsync', 'rclone', 'ssh'] as const) {
    const found = await findExecutable(tool, { env, platform });
    if (found !== null) {
      checks.push({ name: tool, status: 'ok', detail: found });
    } else {
      const why = needed.has(tool) ? 'missing, and your config uses it' : 'missing (not used by the current config)';
      checks.push({ name: tool, status: needed.has(tool) ? 'fail' : 'warn', detail: `${tool} ${why}`, hint: installHint(tool, platform) });
    }
  }

  const browser = await findBrowser({ env, platform });
  checks.push(
    browser !== null
      ? { name: 'browser', status: 'ok', detail: browser }
      : {
          name: 'browser',
          status: 'warn',
          detail: 'no Chromium-family browser (Chromium, Chrome, Edge, Brave); the window falls back to the default browser',
          hint:
            platform === 'linux' ? 'sudo apt-get install chromium, or set EXLAB_BROWSER' : 'install Chrome or Edge, or set EXLAB_BROWSER',
        },
  );

  checks.push({
    name: 'keyring',
    status: 'warn',
    detail: 'not configured: no OS keyring library is installed in this build yet, so the LIMS password cannot be stored',
    hint: 'arrives with the credentials step (@napi-rs/keyring)',
  });

  const probe = await probeTray(dirs.stateDir);
  const server = probe.server;
  const trayCheck: Record<typeof probe.state, DoctorCheck> = {
    healthy: {
      name: 'tray',
      status: 'ok',
      detail: `running and healthy (pid ${server?.pid}, port ${server?.port}, ${probe.health?.status ?? ''})`,
    },
    unhealthy: {
      name: 'tray',
      status: 'fail',
      detail: `running (pid ${server?.pid ?? probe.lock?.pid}) but not answering`,
      hint: 'exlab stop --force, then exlab start',
    },
    stale: {
      name: 'tray',
      status: 'warn',
      detail: 'not running; stale files remain',
      hint: 'exlab stop removes them; exlab start replaces them',
    },
    not_running: { name: 'tray', status: 'warn', detail: 'not running', hint: 'exlab start' },
  };
  checks.push(trayCheck[probe.state]);
  return checks;
}

/** `exlab doctor [--json]`: prints every check; exit 0 when none failed, 1 otherwise. */
export async function doctorCommand(
  flags: DoctorFlags,
  output: Output,
  env: Readonly<Record<string, string | undefined>>,
  environment: DoctorEnvironment = {},
): Promise<number> {
  const checks = await runDoctorChecks(flags, env, environment);
  const failed = checks.some((c) => c.status === 'fail');
  if (flags.json) {
    output.out(JSON.stringify({ ok: !failed, checks }, null, 2));
  } else {
    for (const check of checks) {
      output.out(`${check.status.padEnd(4)}  ${check.name.padEnd(10)}  ${check.detail}`);
      if (check.hint !== undefined) output.out(`${''.padEnd(18)}fix: ${check.hint}`);
    }
    output.out(failed ? 'Some checks failed.' : 'No problems that stop ExLab-Wizard.');
  }
  return failed ? EXIT_CODES.failure : EXIT_CODES.ok;
}
