import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway HOME and state dir, with an environment that points every OS directory into it. */
export interface IsolatedHome {
  root: string;
  home: string;
  stateDir: string;
  env: Record<string, string | undefined>;
  cleanup(): Promise<void>;
}

/** Creates an isolated HOME: XDG variables cleared so every directory derives from HOME. */
export async function isolatedHome(): Promise<IsolatedHome> {
  const root = await mkdtemp(join(tmpdir(), 'exlab-tray-'));
  const home = join(root, 'home');
  const stateDir = join(root, 'state');
  await mkdir(home);
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: '',
    XDG_STATE_HOME: '',
    XDG_CACHE_HOME: '',
    XDG_DATA_HOME: '',
    EXLAB_STATE_DIR: '',
    EXLAB_CONFIG: '',
  };
  return { root, home, stateDir, env, cleanup: () => rm(root, { recursive: true, force: true }) };
}
