// Spawns real child processes for the process tests and guarantees none outlives a test.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Root of @exlab/core; tsx resolves from here. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const live = new Set<ChildProcess>();
const stderrOf = new WeakMap<ChildProcess, string>();

/** Spawns a child that {@link killAllChildren} will reap; its stderr is kept for failure messages. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderrOf.set(child, (stderrOf.get(child) ?? '') + chunk));
  return child;
}

/** A Node child that lives until its stdin closes: a live process we control. */
export function spawnSleeper(): ChildProcess {
  return spawnTracked(process.execPath, ['-e', "process.stdin.resume(); process.stdin.on('end', () => process.exit(0));"]);
}

/** The pid of a spawned child (fails the test if the spawn failed). */
export function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('child process did not start');
  return child.pid;
}

/** Resolves with the exit code once `child` has exited (and been reaped by Node). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Returns a function that yields the child's stdout lines one by one. */
export function lineReader(child: ChildProcess): () => Promise<string> {
  if (child.stdout === null) throw new Error('child stdout is not piped');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return async () => {
    const next = await lines.next();
    if (next.done === true) throw new Error(`child ${child.pid} closed stdout; stderr: ${stderrOf.get(child) ?? ''}`);
    return next.value;
  };
}

/** Kills and awaits every child still running; call in afterEach. */
export async function killAllChildren(): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      child.kill('SIGKILL');
      await exited(child);
    }),
  );
}
