import { join } from 'node:path';
import { API_PREFIX, FILE_NAMES } from '@exlab/core/constants';
import { isProcessAlive, readLockInfo, readServerInfo, type LockInfo, type ServerInfo } from '@exlab/core/process';
import type { Health } from '@exlab/core/schemas';
import { loopbackRequest } from './loopback-http.js';

/** The states of {@link TrayProbe}; `live` only with `askHealth: false`. */
export type TrayState = 'healthy' | 'unhealthy' | 'stale' | 'not_running';

/** What the state dir says about the tray, after checking liveness and health. */
export interface TrayProbe<State extends string = TrayState> {
  /**
   * healthy: live and answering; unhealthy: live but /health fails; stale: files name a dead
   * process; not_running: no files; live: server.json names a live process and /health was not
   * asked (`askHealth: false`).
   */
  state: State;
  /** server.json, when readable. */
  server: ServerInfo | null;
  /** tray.lock, when readable. */
  lock: LockInfo | null;
  /** The health rollup, when it answered. */
  health: Health | null;
  /** True when server.json exists but cannot be parsed. */
  serverJsonCorrupt: boolean;
}

/** Loads the /health schema (and zod) now, for a command that will check an answer soon. */
export async function loadHealthSchema(): Promise<void> {
  await import('./health-schema.js');
}

/** GETs /health with the token; null when it does not answer 200 within `timeoutMs`. */
export async function fetchHealth(server: ServerInfo, timeoutMs = 2_000): Promise<Health | null> {
  try {
    const response = await loopbackRequest(server.port, `${API_PREFIX}/health`, {
      headers: { authorization: `Bearer ${server.token}` },
      timeoutMs,
    });
    if (response.status !== 200) return null;
    const { HealthSchema } = await import('./health-schema.js');
    const parsed = HealthSchema.safeParse(JSON.parse(response.body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Reads server.json and tray.lock in `stateDir` and judges the tray's state (lifecycle.md C3).
 * With `askHealth: false` a live tray with a start token is reported `live` without asking its
 * /health (for a caller whose next request tells as much, like `exlab stop`'s quit request).
 */
export async function probeTray(stateDir: string): Promise<TrayProbe>;
export async function probeTray(stateDir: string, options: { askHealth: false }): Promise<TrayProbe<TrayState | 'live'>>;
export async function probeTray(stateDir: string, options: { askHealth?: boolean } = {}): Promise<TrayProbe<TrayState | 'live'>> {
  let server: ServerInfo | null = null;
  let serverJsonCorrupt = false;
  try {
    server = await readServerInfo(join(stateDir, FILE_NAMES.serverJson));
  } catch {
    serverJsonCorrupt = true;
  }
  const lock = await readLockInfo(join(stateDir, FILE_NAMES.trayLock)).catch(() => null);
  if (server !== null) {
    const token = server.pid_start ?? null;
    if (token === null) {
      // P4: without a start token only /health naming the same instance proves the pid is still ours.
      const health = await fetchHealth(server);
      const ours = health !== null && (server.instance_id === undefined || health.instance_id === server.instance_id);
      return { state: ours ? 'healthy' : 'stale', server, lock, health: ours ? health : null, serverJsonCorrupt };
    }
    if (!(await isProcessAlive(server.pid, token))) return { state: 'stale', server, lock, health: null, serverJsonCorrupt };
    if (options.askHealth === false) return { state: 'live', server, lock, health: null, serverJsonCorrupt };
    const health = await fetchHealth(server);
    return { state: health ? 'healthy' : 'unhealthy', server, lock, health, serverJsonCorrupt };
  }
  if (lock !== null) {
    // A lock without a start token cannot be told from a reused pid: treat it as stale, never signal it.
    const alive = lock.pid_start !== null && (await isProcessAlive(lock.pid, lock.pid_start));
    return { state: alive ? 'unhealthy' : 'stale', server, lock, health: null, serverJsonCorrupt };
  }
  return { state: serverJsonCorrupt ? 'stale' : 'not_running', server, lock, health: null, serverJsonCorrupt };
}
