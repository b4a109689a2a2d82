import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerInfo } from '@exlab/core/process';
import { ServerInfoSchema } from '@exlab/core/schemas';

/** The built CLI entry; the test task builds first. */
export const CLI_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

/** A throwaway HOME and state dir with every OS directory derived from HOME. */
export interface Sandbox {
  root: string;
  home: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** Creates a sandbox in which nothing outside `root` is touched. */
export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'exlab-cli-'));
  const home = join(root, 'home');
  await mkdir(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: join(root, 'tmp') };
  for (const key of [
    'XDG_CONFIG_HOME',
    'XDG_STATE_HOME',
    'XDG_CACHE_HOME',
    'XDG_DATA_HOME',
    'EXLAB_STATE_DIR',
    'EXLAB_CONFIG',
    'NODE_OPTIONS',
  ])
    delete env[key];
  await mkdir(join(root, 'tmp'));
  return { root, home, stateDir: join(root, 'state'), env, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Result of a finished `exlab` run. */
export interface ExlabResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `exlab <args>` to completion. */
export function runExlab(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ExlabResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A tray running in the foreground as a child process. */
export interface ForegroundTray {
  child: ChildProcess;
  info: ServerInfo;
  output(): string;
  exited: Promise<number | null>;
}

/** Polls `check` every 20 ms until it returns a value, failing after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads server.json when it exists and names `pid`. */
export async function serverInfoOf(stateDir: string, pid?: number): Promise<ServerInfo | undefined> {
  const text = await readFile(join(stateDir, 'server.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = ServerInfoSchema.safeParse(JSON.parse(text));
  if (!parsed.success) return undefined;
  return pid === undefined || parsed.data.pid === pid ? parsed.data : undefined;
}

/** Starts `exlab start --foreground --headless` and waits until its server.json appears. */
export async function startForeground(sb: Sandbox, extraArgs: readonly string[] = []): Promise<ForegroundTray> {
  const child = spawn(process.execPath, [CLI_MAIN, 'start', '--foreground', '--headless', '--state-dir', sb.stateDir, ...extraArgs], {
    env: sb.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const info = await waitFor('server.json', async () => {
    if (gone) throw new Error(`tray exited early: ${output}`);
    return serverInfoOf(sb.stateDir, child.pid);
  });
  return { child, info, output: () => output, exited };
}

/** Kills a child if it is still running and waits for it. */
export async function killAndWait(tray: ForegroundTray | undefined): Promise<void> {
  if (!tray || tray.child.exitCode !== null || tray.child.signalCode !== null) return;
  tray.child.kill('SIGKILL');
  await tray.exited;
}
