// Shared setup of the plugin tests: temp plugin roots copied from the fixtures, temp run
// folders, a host with a recording logger, and cleanup of every worker and folder.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createNullLogger, type LogFields, type Logger } from '@exlab/core/logging';
import { PluginHost, PluginRegistry, type PluginHostOptions, type PluginPassContext, type PluginPassOptions } from '@exlab/core/plugins';

/** Folder of the fixture plugins. */
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'plugins');

/** One line the recording logger received. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: LogFields | undefined;
}

/** A silent logger that keeps every line, children included (their tags merged into the fields). */
export function recordingLogger(lines: LoggedLine[] = [], tags: LogFields = {}): Logger & { lines: LoggedLine[] } {
  const base = createNullLogger();
  const record = (level: LoggedLine['level']) => (msg: string, fields?: LogFields) =>
    lines.push({ level, msg, fields: { ...tags, ...fields } });
  return {
    ...base,
    get level() {
      return base.level;
    },
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: (more) => recordingLogger(lines, { ...tags, ...more }),
  };
}

const cleanups: (() => Promise<void>)[] = [];

/** A temp folder removed by {@link cleanup}. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `exlab-plugins-${prefix}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A plugin root holding copies of the named fixtures (`as` renames the copy's folder). */
export async function pluginRoot(names: readonly (string | { fixture: string; as: string })[]): Promise<string> {
  const root = await tempDir('root');
  for (const entry of names) {
    const { fixture, as } = typeof entry === 'string' ? { fixture: entry, as: entry } : entry;
    await cp(join(FIXTURES, fixture), join(root, as), { recursive: true });
  }
  return root;
}

/** A run folder with the given files (relative path -> content); returns the folder. */
export async function runFolder(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('run');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** The pass context every test uses unless it overrides variables. */
export function passContext(variables: Record<string, unknown> = {}): PluginPassContext {
  return {
    variables: { operator: 'asmith', ...variables },
    answersFile: '/nonexistent/.exlab-answers.yml',
    templateName: 'test_template',
    templateVersion: '1.0',
    runKind: 'experimental',
    equipmentId: 'CONFOCAL_01',
    project: 'PROJ-0042',
    runId: 'Run_2026-04-17T14-32',
  };
}

/** A registry over a root of the named fixtures and a host over it, shut down by {@link cleanup}. */
export async function hostWith(
  names: readonly (string | { fixture: string; as: string })[],
  options: Partial<PluginHostOptions> = {},
): Promise<{ host: PluginHost; registry: PluginRegistry; logDir: string; logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  const registry = new PluginRegistry({ bundledRoot: await pluginRoot(names), labRoot: null, logger });
  await registry.reload();
  const logDir = await tempDir('logs');
  const host = new PluginHost({ registry, logDir, logger, ...options });
  cleanups.push(() => host.shutdown(0));
  return { host, registry, logDir, logger };
}

/** Pass options over every file of `dstRoot` given by relative path. */
export function pass(dstRoot: string, files: readonly string[], extra: Partial<PluginPassOptions> = {}): PluginPassOptions {
  return { dstRoot, files: files.map((f) => join(dstRoot, f)), context: passContext(), ...extra };
}

/** Shuts down hosts and removes temp folders, newest first; call in afterEach. */
export async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step();
}

/** True while a process with `pid` exists and is not a zombie. */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return process.platform !== 'linux';
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Polls `check` every 25 ms until it returns a value, failing after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
