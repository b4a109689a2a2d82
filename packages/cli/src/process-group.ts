import { readFile } from 'node:fs/promises';

/** The process group of `pid` on Linux (field 5 of /proc/<pid>/stat); null elsewhere or when unreadable. */
export async function processGroupOf(pid: number): Promise<number | null> {
  if (process.platform !== 'linux') return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) ? pgrp : null;
}

/** Sends `signal` to the tray's process group when it leads one (a detached tray), else to the process alone. */
export async function signalTray(pid: number, signal: NodeJS.Signals): Promise<void> {
  const group = await processGroupOf(pid);
  try {
    if (group === pid) process.kill(-pid, signal);
    else process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
