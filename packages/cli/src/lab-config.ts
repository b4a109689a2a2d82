import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '@exlab/core/config';
import { FILE_NAMES } from '@exlab/core/constants';
import { describeError } from '@exlab/core/errors';
import { resolveAppDirs } from '@exlab/core/paths';
import type { Config } from '@exlab/core/schemas';

/** A config a command works on, and where it came from (for the "Using ..." line). */
export interface LabConfig {
  config: Config;
  /** The config file. */
  path: string;
  /** Human words for where it came from, e.g. "the OS config". */
  origin: string;
}

/** The config could not be found or loaded; `message` says what to do. */
export class LabConfigUnavailable {
  constructor(readonly message: string) {}
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The config a CLI command reads, as `exlab problems` finds it: `--config`, else the OS config
 * (or `EXLAB_CONFIG`), else an existing demo lab. Throws {@link LabConfigUnavailable}.
 */
export async function resolveLabConfig(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LabConfig> {
  const dirs = resolveAppDirs({ env });
  let path: string;
  let origin: string;
  if (explicit !== undefined) {
    path = resolve(explicit);
    origin = 'the config given with --config';
  } else if (await exists(dirs.configFile)) {
    path = dirs.configFile;
    origin = 'the OS config';
  } else {
    const demo = join(dirs.dataDir, 'demo-lab', FILE_NAMES.config);
    if (!(await exists(demo))) {
      throw new LabConfigUnavailable(
        `No config: nothing at ${dirs.configFile} and no demo lab at ${demo}. Pass --config FILE, or run "exlab start" once to create the demo lab.`,
      );
    }
    path = demo;
    origin = `the demo lab config (no config at ${dirs.configFile})`;
  }
  try {
    return { config: (await loadConfig(path)).config, path, origin };
  } catch (error) {
    throw new LabConfigUnavailable(describeError(error).replace(/^config_(invalid|not_found): /, ''));
  }
}
