import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** What the OS reports about one existing process. */
export interface ProcessProbe {
  /** Token that stays the same for the life of the process and differs for a reused pid; null when unreadable. */
  startToken: string | null;
  /** The process has exited but its parent has not reaped it yet. */
  zombie: boolean;
}

const PS_TIMEOUT_MS = 5_000;
const POWERSHELL_TIMEOUT_MS = 15_000;

/**
 * Asks the OS about `pid` (lifecycle.md P4): Linux reads `/proc/<pid>/stat`, Windows asks
 * PowerShell for the creation FILETIME, every other OS asks `ps`. Null when the process does
 * not exist or cannot be inspected.
 */
export async function probeProcess(pid: number, platform: NodeJS.Platform = process.platform): Promise<ProcessProbe | null> {
  if (platform === 'linux') return probeWithProcfs(pid);
  if (platform === 'win32') return probeWithPowershell(pid);
  return probeWithPs(pid);
}

/** Linux: state (field 3) and starttime (field 22, clock ticks since boot) of `/proc/<pid>/stat`, plus the boot id. */
async function probeWithProcfs(pid: number): Promise<ProcessProbe | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(stat, await readBootId());
}

/** Parses a `/proc/<pid>/stat` line; the token is `<boot_id>:<starttime>` (starttime alone when the boot id is unknown). */
export function parseProcStat(stat: string, bootId: string | null): ProcessProbe | null {
  // comm (field 2) is in parentheses and may itself contain spaces and parentheses: cut at the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  if (state === undefined || state === '') return null;
  // fields[0] is field 3, so field 22 sits at index 19.
  const startTime = fields[19];
  const startToken = startTime !== undefined && /^\d+$/.test(startTime) ? (bootId === null ? startTime : `${bootId}:${startTime}`) : null;
  return { startToken, zombie: state === 'Z' || state === 'X' };
}

let bootIdPromise: Promise<string | null> | undefined;

// starttime counts from boot, so the boot id keeps a token from matching a process of an earlier boot.
function readBootId(): Promise<string | null> {
  bootIdPromise ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim() || null,
    () => null,
  );
  return bootIdPromise;
}

/** macOS and other Unixes: `ps -o stat= -o lstart=`, in the C locale and UTC so every caller reads the same text. */
export async function probeWithPs(pid: number): Promise<ProcessProbe | null> {
  const stdout = await run('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], PS_TIMEOUT_MS, {
    PATH: process.env.PATH ?? '/bin:/usr/bin',
    LC_ALL: 'C',
    TZ: 'UTC',
  });
  if (stdout === null) return null;
  return parsePsLine(stdout);
}

/** Parses one `ps -o stat= -o lstart=` line such as `Ss   Tue Apr 14 10:00:00 2026`. */
export function parsePsLine(line: string): ProcessProbe | null {
  const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(line.split('\n')[0] ?? '');
  if (!match) return null;
  const [, stat = '', lstart = ''] = match;
  return { startToken: lstart.replace(/\s+/g, ' '), zombie: stat.startsWith('Z') };
}

/** Windows: the process creation time as a FILETIME; Windows has no zombies that answer signal 0. */
async function probeWithPowershell(pid: number): Promise<ProcessProbe | null> {
  const command = `(Get-Process -Id ${pid} -ErrorAction Stop).StartTime.ToFileTimeUtc()`;
  const stdout = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', command], POWERSHELL_TIMEOUT_MS);
  const token = stdout?.trim() ?? '';
  if (!/^\d+$/.test(token)) return null;
  return { startToken: token, zombie: false };
}

/** Runs a program without a shell; its stdout, or null when it fails, times out or cannot start. */
function run(file: string, args: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, encoding: 'utf8', env: env ?? process.env }, (error, stdout) => {
      resolve(error ? null : stdout);
    });
  });
}
