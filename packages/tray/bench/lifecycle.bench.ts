// Lifecycle benchmark (issue 8): `exlab start` to healthy and `exlab stop` to gone, and the tray
// binary's own start and SIGTERM, against a bare `node -e` Fastify listen-and-exit measured in the
// same run; plus the idle tray's RSS. Goals: start within 2x of the bare server and under 1 s;
// idle RSS under 120 MB. Needs the built tray and CLI (`pnpm bench` builds both).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

// Starts on this kind of VM swing by tens of milliseconds between rounds; 15 rounds keep the medians steady.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const here = dirname(fileURLToPath(import.meta.url));
const TRAY_MAIN = join(here, '..', 'dist', 'main.js');
const CLI_MAIN = join(here, '..', '..', 'cli', 'dist', 'main.js');
const BARE = `
  import Fastify from 'fastify';
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(String(app.server.address().port) + '\\n');
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

function bail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

if (!existsSync(TRAY_MAIN)) bail(`${TRAY_MAIN} is missing: run pnpm build first.`);

const root = await mkdtemp(join(tmpdir(), 'exlab-lifecycle-bench-'));
const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(root, 'home'), EXLAB_HEADLESS: '1' };
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
const stateDir = join(root, 'state');

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..') });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, ms: performance.now() - t0 }));
  });
}

async function healthy(port: number, token?: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${token ? '/api/v1/health' : '/health'}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Spawns a server, waits for its port on stdout (or server.json) and its first /health 200; then SIGTERM and the exit. */
async function serverCycle(args: readonly string[], readInfo: (stdout: string) => Promise<{ port: number; token?: string } | null>) {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..') });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let info: { port: number; token?: string } | null = null;
  for (;;) {
    info ??= await readInfo(stdout);
    if (info !== null && (await healthy(info.port, info.token))) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const startMs = performance.now() - t0;
  const rss = await rssOf(child.pid as number);
  const t1 = performance.now();
  child.kill('SIGTERM');
  await exited;
  return { startMs, stopMs: performance.now() - t1, rss };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const bareCycle = () =>
  serverCycle(['--input-type=module', '-e', BARE], async (stdout) => {
    const port = Number(stdout.split('\n')[0]);
    return Number.isInteger(port) && port > 0 ? { port } : null;
  });

const trayCycle = () =>
  serverCycle([TRAY_MAIN, '--smoke', '--state-dir', stateDir], async () => {
    const text = await readFile(join(stateDir, 'server.json'), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const info = JSON.parse(text) as { port: number; token: string };
      return { port: info.port, token: info.token };
    } catch {
      return null;
    }
  });

async function cliCycle(): Promise<{ startMs: number; stopMs: number; rss: number }> {
  const started = await run([CLI_MAIN, 'start', '--headless', '--state-dir', stateDir]);
  if (started.code !== 0) bail(`exlab start exited ${started.code}: ${started.stdout}`);
  const pid = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rss = await rssOf(pid);
  const stopped = await run([CLI_MAIN, 'stop', '--state-dir', stateDir]);
  if (stopped.code !== 0) bail(`exlab stop exited ${stopped.code}: ${stopped.stdout}`);
  return { startMs: started.ms, stopMs: stopped.ms, rss };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

type Samples = { startMs: number[]; stopMs: number[]; rss: number[] };
const collect = (): Samples => ({ startMs: [], stopMs: [], rss: [] });
const bare = collect();
const tray = collect();
const cli = collect();
const haveCli = existsSync(CLI_MAIN);

try {
  // Warm up: module caches, the demo lab, JIT in the OS page cache.
  await bareCycle();
  await trayCycle();
  if (haveCli) await cliCycle();
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const [cycle, into] of [[bareCycle, bare], [trayCycle, tray], ...(haveCli ? ([[cliCycle, cli]] as const) : [])] as const) {
      const sample = await cycle();
      into.startMs.push(sample.startMs);
      into.stopMs.push(sample.stopMs);
      into.rss.push(sample.rss);
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

const line = (name: string, s: Samples): string =>
  `  ${name.padEnd(34)} start p50 ${percentile(s.startMs, 50).toFixed(0).padStart(5)} ms  p95 ${percentile(s.startMs, 95).toFixed(0).padStart(5)} ms` +
  `   stop p50 ${percentile(s.stopMs, 50).toFixed(0).padStart(5)} ms   RSS p50 ${percentile(s.rss, 50).toFixed(1)} MB`;
process.stdout.write(`lifecycle, ${ROUNDS} rounds each\n`);
process.stdout.write(`${line('bare node -e Fastify (floor)', bare)}\n`);
process.stdout.write(`${line('exlab-wizard-tray --smoke', tray)}\n`);
if (haveCli) process.stdout.write(`${line('exlab start / exlab stop', cli)}\n`);
else process.stdout.write(`  exlab start / exlab stop            skipped: ${CLI_MAIN} is not built\n`);
const floor = percentile(bare.startMs, 50);
const measured = haveCli ? cli : tray;
const ratio = percentile(measured.startMs, 50) / floor;
const idleRss = percentile(measured.rss, 50);
process.stdout.write(
  `  ratio start/floor p50 ${ratio.toFixed(2)}x (goal <= 2x), start p50 ${percentile(measured.startMs, 50).toFixed(0)} ms (goal < 1000), idle RSS ${idleRss.toFixed(1)} MB (goal < 120)\n`,
);
