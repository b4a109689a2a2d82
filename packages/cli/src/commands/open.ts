import { API_PREFIX, CONTROL_HEADER, EXIT_CODES, TIMINGS } from '@exlab/core/constants';
import { resolveAppDirs } from '@exlab/core/paths';
import type { ServerInfo } from '@exlab/core/process';
import { AppOpenWindowResponseSchema, type AppOpenWindowResponse } from '@exlab/core/schemas';
import { loopbackRequest } from '../loopback-http.js';
import type { Output } from '../output.js';
import { probeTray } from '../tray-probe.js';
import { startCommand, type StartFlags } from './start.js';

/** Flags of `exlab open`. */
export interface OpenFlags {
  stateDir?: string;
  config?: string;
  wait?: number;
}

/** Asks the tray to open (or focus) its window (S3); null when it did not answer. */
export async function requestOpenWindow(server: ServerInfo): Promise<AppOpenWindowResponse | null> {
  try {
    const response = await loopbackRequest(server.port, `${API_PREFIX}/app/open-window`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, [CONTROL_HEADER]: server.token },
      timeoutMs: TIMINGS.startWaitMs,
    });
    if (response.status !== 200) return null;
    const parsed = AppOpenWindowResponseSchema.safeParse(JSON.parse(response.body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * `exlab open` (lifecycle.md C4, §15.3.3): with a live tray, asks it to open the window (a window
 * already open is focused, never doubled, W1); otherwise starts the tray with `--open-window`.
 * Exit 0 on success, 1 on failure.
 */
export async function openCommand(flags: OpenFlags, output: Output, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
  const probe = await probeTray(stateDir);
  if (probe.state === 'healthy' && probe.server !== null) {
    const answer = await requestOpenWindow(probe.server);
    if (answer === null) {
      output.err(`ExLab-Wizard (pid ${probe.server.pid}) did not answer the open request; see "exlab logs".`);
      return EXIT_CODES.failure;
    }
    if (answer.action === 'unavailable') {
      output.err(
        `No window could be opened: ${answer.reason ?? 'unknown reason'}. The UI is at ${probe.server.url ?? `http://127.0.0.1:${probe.server.port}/`}`,
      );
      return EXIT_CODES.failure;
    }
    output.out(answer.action === 'focused' ? `focused the open window (pid ${answer.pid})` : `window opened (pid ${answer.pid})`);
    return EXIT_CODES.ok;
  }
  if (probe.state === 'unhealthy') {
    output.err(
      `ExLab-Wizard is running (pid ${probe.server?.pid ?? probe.lock?.pid ?? '?'}) but does not answer; run "exlab stop --force" first.`,
    );
    return EXIT_CODES.failure;
  }
  const start: StartFlags = { stateDir: flags.stateDir, config: flags.config, wait: flags.wait, openWindow: true };
  return startCommand(start, output, env);
}
