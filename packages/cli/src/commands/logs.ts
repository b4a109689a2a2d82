import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DETACHED_RUNS, ENV, EXIT_CODES, FILE_NAMES } from '@exlab/core/constants';
import { resolveAppDirs } from '@exlab/core/paths';
import { newestRunDir, runsDirOf, tailFile } from '@exlab/core/process';
import type { Output } from '../output.js';

/** Flags of `exlab logs`. */
export interface LogsFlags {
  stateDir?: string;
  /** Lines to show (default 50). */
  lines?: number;
  /** Keep printing what is appended (until Ctrl-C). */
  follow?: boolean;
  /** The newest detached tray run's stdout.log and stderr.log instead of app.log. */
  daemon?: boolean;
  /** Print the file path(s) only. */
  path?: boolean;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** The files `exlab logs` reads: app.log, or the newest tray run's stdout and stderr; null when there is no run. */
export async function logFiles(flags: LogsFlags, env: Readonly<Record<string, string | undefined>>): Promise<string[] | null> {
  const scoped = flags.stateDir !== undefined ? { ...env, [ENV.stateDir]: flags.stateDir } : env;
  const dirs = resolveAppDirs({ env: scoped });
  if (!flags.daemon) return [dirs.appLog];
  const run = await newestRunDir(runsDirOf(dirs.stateDir), DETACHED_RUNS.traySlug);
  return run === null ? null : [join(run, FILE_NAMES.runStdout), join(run, FILE_NAMES.runStderr)];
}

/** Polls `path` from `offset` and prints whole new lines until the process ends. */
async function follow(paths: readonly string[], output: Output, signal?: AbortSignal): Promise<void> {
  const offsets = new Map<string, number>();
  for (const path of paths) offsets.set(path, (await stat(path).catch(() => null))?.size ?? 0);
  const partial = new Map<string, string>();
  while (signal?.aborted !== true) {
    for (const path of paths) {
      const size = (await stat(path).catch(() => null))?.size ?? 0;
      let from = offsets.get(path) ?? 0;
      if (size < from) from = 0; // rotated or truncated: start over
      if (size > from) {
        const handle = await open(path, 'r');
        const buffer = Buffer.alloc(size - from);
        await handle.read(buffer, 0, buffer.length, from);
        await handle.close();
        const text = (partial.get(path) ?? '') + buffer.toString('utf8');
        const lines = text.split('\n');
        partial.set(path, lines.pop() ?? '');
        for (const line of lines) output.out(line);
      }
      offsets.set(path, size);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * `exlab logs [-n 50] [-f] [--daemon] [--path]` (lifecycle.md C5): the tail of app.log, or of the
 * newest detached tray run's stdout and stderr. A missing file is exit 1.
 */
export async function logsCommand(
  flags: LogsFlags,
  output: Output,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<number> {
  const files = await logFiles(flags, env);
  if (files === null) {
    output.err('No detached tray run yet: "exlab start" (without --foreground) records one.');
    return EXIT_CODES.failure;
  }
  const present: string[] = [];
  for (const file of files) if (await exists(file)) present.push(file);
  if (present.length === 0) {
    output.err(`No log at ${files.join(' or ')}.`);
    return EXIT_CODES.failure;
  }
  if (flags.path) {
    for (const file of present) output.out(file);
    return EXIT_CODES.ok;
  }
  const lines = flags.lines ?? 50;
  for (const file of present) {
    if (present.length > 1) output.out(`==> ${file} <==`);
    for (const line of await tailFile(file, lines)) output.out(line);
  }
  if (flags.follow) await follow(present, output, signal);
  return EXIT_CODES.ok;
}
