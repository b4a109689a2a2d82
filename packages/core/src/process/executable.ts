import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter as hostDelimiter, isAbsolute, posix, win32 } from 'node:path';

/** Options of {@link findExecutable}. */
export interface FindExecutableOptions {
  /** Environment whose `PATH` (and on Windows `PATHEXT`) is searched (default `process.env`); tests inject a PATH without a tool. */
  env?: Readonly<Record<string, string | undefined>>;
  /** OS (default this one). */
  platform?: NodeJS.Platform;
}

async function isExecutableFile(path: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    if (platform !== 'win32') await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of program `name` as the shell would find it on `PATH` (with `PATHEXT` on
 * Windows), or null. An absolute `name` is checked as it is.
 */
export async function findExecutable(name: string, options: FindExecutableOptions = {}): Promise<string | null> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const pathApi = platform === 'win32' ? win32 : posix;
  const extensions =
    platform === 'win32' ? ['', ...(env.PATHEXT ?? env.Pathext ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '')] : [''];
  if (isAbsolute(name) || pathApi.isAbsolute(name)) {
    for (const ext of extensions) if (await isExecutableFile(name + ext, platform)) return name + ext;
    return null;
  }
  const delimiter = platform === process.platform ? hostDelimiter : platform === 'win32' ? ';' : ':';
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = pathApi.join(dir, name + ext);
      if (await isExecutableFile(candidate, platform)) return candidate;
    }
  }
  return null;
}
