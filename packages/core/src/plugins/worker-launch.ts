/**
 * How a plugin worker is started (§6.3.1, §6.3.3, requirements A6, A9): which script and Node
 * flags, the filtered environment, and the OS wrappers that apply CPU, open-file and network
 * limits where the platform allows them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire, getCompileCacheDir } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKER_COMPILE_CACHE_ENV } from '@exlab/plugin-sdk';
import { PLUGIN_LIMITS } from '../constants/index.js';
import { corePackageDir } from '../paths/core-package.js';

/** The worker script and the Node flags it needs. */
export interface WorkerRuntime {
  /** `dist` (built JavaScript) or `source` (the SDK's TypeScript, for tests). */
  kind: 'dist' | 'source';
  /** Worker script path. */
  entry: string;
  /** Node flags placed before the script (preloads, conditions). */
  nodeArgs: string[];
  /** Node flags that make `@exlab/plugin-sdk` resolvable in any script (the SDK's `register` preload), e.g. a plugin's own tests. */
  sdkArgs: string[];
}

/** URL of tsx's ESM loader, for a Node without built-in type stripping. */
function tsxLoaderUrl(from: string): string {
  return pathToFileURL(createRequire(from).resolve('tsx')).href;
}

/**
 * The runtime for a given worker script: a `.ts` script runs from sources with
 * `--conditions=@exlab/source` (Node's type stripping where present, else the tsx loader) and the
 * `register` preload beside it, which makes `@exlab/plugin-sdk` resolvable from any plugin folder
 * and maps the sources' `./x.js` imports to `./x.ts`; a built `.js` worker runs alone, as it
 * installs that resolution itself (one module to load per worker start, no preload).
 */
export function workerRuntimeFor(entry: string): WorkerRuntime {
  if (!entry.endsWith('.ts')) {
    return { kind: 'dist', entry, nodeArgs: [], sdkArgs: ['--import', pathToFileURL(join(dirname(entry), 'register.js')).href] };
  }
  const nodeArgs = ['--conditions=@exlab/source'];
  if (!process.features.typescript) nodeArgs.push('--import', tsxLoaderUrl(entry));
  nodeArgs.push('--import', pathToFileURL(join(dirname(entry), 'register.ts')).href);
  return { kind: 'source', entry, nodeArgs, sdkArgs: nodeArgs };
}

/** The SDK's worker: built `dist/worker.js` when it exists, else `src/worker.ts`. */
export function resolveWorkerRuntime(workerEntry?: string): WorkerRuntime {
  if (workerEntry !== undefined) return workerRuntimeFor(workerEntry);
  // Resolved from core's package, which depends on the SDK (this code may be bundled into a program that does not).
  const sdkDir = dirname(createRequire(join(corePackageDir(), 'package.json')).resolve('@exlab/plugin-sdk/package.json'));
  const built = join(sdkDir, 'dist', 'worker.js');
  if (existsSync(built)) return workerRuntimeFor(built);
  return workerRuntimeFor(join(sdkDir, 'src', 'worker.ts'));
}

const WINDOWS_ENV = ['SYSTEMROOT', 'TEMP', 'TMP', 'USERPROFILE'];

/** The worker environment: PATH, HOME, LANG and EXLAB_* only (plus what Windows needs); never NODE_OPTIONS (A6). */
export function workerEnv(source: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    const keep =
      upper === 'PATH' ||
      upper === 'HOME' ||
      upper === 'LANG' ||
      upper.startsWith('EXLAB_') ||
      (platform === 'win32' && WINDOWS_ENV.includes(upper));
    if (keep && upper !== 'NODE_OPTIONS') env[key] = value;
  }
  return env;
}

/**
 * Adds the compile cache folder for workers to their environment (as `EXLAB_COMPILE_CACHE`, which
 * the SDK's preload enables): `dir`, else the host process's own cache folder, so workers of a
 * tray that has the cache on compile the worker, the SDK and the plugin once. A host without it
 * (a test run, `NODE_DISABLE_COMPILE_CACHE=1`) gives its workers none.
 */
export function withCompileCache(env: NodeJS.ProcessEnv, dir?: string | null): NodeJS.ProcessEnv {
  const folder = dir === undefined ? getCompileCacheDir() : dir;
  if (folder === undefined || folder === null || folder === '') return env;
  return { ...env, [WORKER_COMPILE_CACHE_ENV]: folder };
}

/** Which OS limit tools this machine has, probed once. */
export interface IsolationSupport {
  /** `prlimit` binary (Linux), for RLIMIT_CPU and RLIMIT_NOFILE. */
  prlimit: string | null;
  /** `unshare` binary when `unshare -rn` works here (unprivileged user and network namespaces). */
  unshare: string | null;
  /** `sh` for the `ulimit` wrapper (macOS). */
  sh: string | null;
}

function onPath(command: string, pathVariable = process.env.PATH ?? ''): string | null {
  for (const dir of pathVariable.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function commandSucceeds(command: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5_000 }, (error) => resolve(error === null));
  });
}

let probed: Promise<IsolationSupport> | undefined;

/** Finds prlimit and checks once whether `unshare -rn` works (Linux); on macOS only `sh` is used. */
export function probeIsolationSupport(): Promise<IsolationSupport> {
  probed ??= (async () => {
    if (process.platform === 'linux') {
      const prlimit = onPath('prlimit');
      const unshare = onPath('unshare');
      const unshareWorks = unshare !== null && (await commandSucceeds(unshare, ['-rn', 'true']));
      return { prlimit, unshare: unshareWorks ? unshare : null, sh: null };
    }
    if (process.platform === 'darwin') return { prlimit: null, unshare: null, sh: onPath('sh') };
    return { prlimit: null, unshare: null, sh: null };
  })();
  return probed;
}

/** What a worker was actually given, recorded in its `plugins_applied` isolation block. */
export interface AppliedIsolation {
  /** `namespace`: no network at all; `none`: nothing blocks it; `allowed`: the plugin declared and was granted network. */
  network: 'namespace' | 'none' | 'allowed';
  /** How CPU time and open files were capped. */
  rlimits: 'prlimit' | 'ulimit' | 'none';
}

/** Limits of one worker. */
export interface WorkerLimits {
  memoryMb: number;
  cpuSeconds: number;
  /** The plugin did not declare network: deny it where the OS lets us (DECISIONS.md). */
  denyNetwork: boolean;
  /** Turn off the OS wrappers (`exlab plugins exec --no-isolation`, benchmarks). */
  osLimits?: boolean | undefined;
}

/** The command line of a worker: wrappers, then Node with the heap cap, preloads and script. */
export function workerCommand(
  runtime: WorkerRuntime,
  limits: WorkerLimits,
  support: IsolationSupport,
): { command: string; args: string[]; applied: AppliedIsolation } {
  const node = [`--max-old-space-size=${limits.memoryMb}`, ...runtime.nodeArgs, runtime.entry];
  const osLimits = limits.osLimits !== false;
  const applied: AppliedIsolation = { network: limits.denyNetwork ? 'none' : 'allowed', rlimits: 'none' };
  let command = process.execPath;
  let args = node;
  if (osLimits && limits.denyNetwork && support.unshare !== null) {
    args = ['-rn', '--', command, ...args];
    command = support.unshare;
    applied.network = 'namespace';
  }
  if (osLimits && support.prlimit !== null) {
    args = [
      `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds}`,
      `--nofile=${PLUGIN_LIMITS.maxOpenFiles}:${PLUGIN_LIMITS.maxOpenFiles}`,
      '--',
      command,
      ...args,
    ];
    command = support.prlimit;
    applied.rlimits = 'prlimit';
  } else if (osLimits && support.sh !== null) {
    args = ['-c', `ulimit -t ${limits.cpuSeconds} -n ${PLUGIN_LIMITS.maxOpenFiles}; exec "$@"`, 'sh', command, ...args];
    command = support.sh;
    applied.rlimits = 'ulimit';
  }
  return { command, args, applied };
}
