import { join } from 'node:path';
import { API_PREFIX, FILE_NAMES, TIMINGS } from '@exlab/core/constants';
import { resolveAppDirs } from '@exlab/core/paths';
import { isProcessAlive, readServerInfo, type ServerInfo } from '@exlab/core/process';

/** A live tray found by {@link handshake}. */
export interface LiveTray {
  /** server.json as read. */
  server: ServerInfo;
  /** The state dir it lives in. */
  stateDir: string;
}

/** Why there is no live tray: one line for stderr, mentioning server.json and `exlab start` (W2). */
export interface NoTray {
  /** The stderr line. */
  message: string;
}

/** The state dir the window uses: `EXLAB_STATE_DIR` (set by the tray) or the OS default. */
export function windowStateDir(env: Readonly<Record<string, string | undefined>>): string {
  return resolveAppDirs({ env }).stateDir;
}

/** GETs /health with the token; true on 200 within `timeoutMs`. */
export async function trayAnswers(server: ServerInfo, timeoutMs: number = TIMINGS.windowHandshakeMs): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}${API_PREFIX}/health`, {
      headers: { authorization: `Bearer ${server.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * The window's handshake (lifecycle.md W2, §15.3.2): server.json present and valid, its pid alive
 * with the recorded start token, and /health answering within 2 s. Writes nothing.
 */
export async function handshake(env: Readonly<Record<string, string | undefined>>): Promise<LiveTray | NoTray> {
  const stateDir = windowStateDir(env);
  const path = join(stateDir, FILE_NAMES.serverJson);
  let server: ServerInfo | null;
  try {
    server = await readServerInfo(path);
  } catch {
    return {
      message: `No usable ${FILE_NAMES.serverJson} at ${path} (it is damaged); start the tray with "exlab start", which repairs it.`,
    };
  }
  if (server === null) {
    return { message: `No ExLab-Wizard tray is running: ${path} (${FILE_NAMES.serverJson}) is missing. Start it with "exlab start".` };
  }
  if (!(await isProcessAlive(server.pid, server.pid_start ?? null))) {
    return {
      message: `No ExLab-Wizard tray is running: ${FILE_NAMES.serverJson} names dead PID ${server.pid}. Start it with "exlab start".`,
    };
  }
  if (!(await trayAnswers(server))) {
    return {
      message: `The ExLab-Wizard tray (pid ${server.pid}, port ${server.port}) is not responding; ${FILE_NAMES.serverJson} may be stale. Try "exlab stop" then "exlab start".`,
    };
  }
  return { server, stateDir };
}

/** True when the tray named by `server` is still the live process (W4): pid and start token, and server.json still naming it. */
export async function trayStillAlive(server: ServerInfo, stateDir: string): Promise<boolean> {
  if (!(await isProcessAlive(server.pid, server.pid_start ?? null))) return false;
  // A rewritten server.json (self-heal) names the same launch; another launch means ours is gone.
  const current = await readServerInfo(join(stateDir, FILE_NAMES.serverJson)).catch(() => null);
  return current === null || current.pid === server.pid;
}
