// HTTP throughput of the ExLab server (issue "Step 6"): requests/s and latency of GET /api/v1/health
// and GET /api/v1/tree over a generated lab of 10k runs, against a bare Fastify app with one
// `GET /hello` route (the floor), all measured with autocannon in the same run.
// Goals: health within 1.5x of the floor's requests/s; tree p99 under 100 ms.
//
// Both servers listen in this process; autocannon fires from a worker thread (`workers: 1`), so the
// load generator does not share the servers' event loop. The lab comes from the synthetic
// generator (tools/), 2% problem runs; its first background audit finishes before anything is
// measured, and the periodic one is off, so no audit pass lands inside a measurement.
//
// The targets are measured in rounds, one after the other within each round, so that a drift in
// the machine's load (a shared 2-core VM swings by a third between minutes) hits the floor and
// the routes alike. The table shows each target's medians over the rounds; the health ratio is
// the median of the per-round ratios, and the tree's p99 the median of the per-round p99s (the
// worst round is printed beside it).
//
//   pnpm --filter @exlab/server bench                 9 rounds of 2 s per target, 10,000 runs
//   BENCH_ROUNDS=15 BENCH_SECONDS=3 BENCH_RUNS=50000 tsx bench/api.bench.ts
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreationController } from '@exlab/controller';
import { evaluateSetupState, loadConfig } from '@exlab/core/config';
import { createNullLogger } from '@exlab/core/logging';
import type { Health, TreeResponse } from '@exlab/core/schemas';
import { generateLab } from '../../../tools/src/tree-generator/index.js';
import { buildServer } from '../src/index.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 9));
const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 2));
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 10_000));
const WARMUP_SECONDS = 1;
const CONNECTIONS = 10;
const PROBLEM_SHARE = 0.02;
const TOKEN = 'bench-token';
const GOAL = { maxHealthRatio: 1.5, maxTreeP99Ms: 100 };
/** How long the first background audit of the lab may take before the bench gives up on it. */
const AUDIT_WAIT_MS = 120_000;

/** One autocannon target: a base URL, a path and the headers every request carries. */
interface Target {
  name: string;
  base: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
}

/** What the table shows of one measured target. */
interface Measured {
  target: Target;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function portOf(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new RangeError('the server has no TCP address');
  return address.port;
}

/** Headers the ExLab server requires: the Host allow-list and the per-launch token. */
function exlabHeaders(port: number): Record<string, string> {
  return { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` };
}

async function getJson<T>(target: Target): Promise<T> {
  const response = await fetch(`${target.base}${target.path}`, { headers: target.headers });
  if (response.status !== 200) throw new RangeError(`${target.name} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Polls /health until the validator reports its first finished pass, so its worker threads are idle. */
async function firstAudit(health: Target): Promise<void> {
  const deadline = Date.now() + AUDIT_WAIT_MS;
  for (;;) {
    const { components } = await getJson<Health>(health);
    if (components.validator?.last_audit_at) return;
    if (Date.now() > deadline) throw new RangeError(`the first audit did not finish within ${AUDIT_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function load(target: Target, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${target.base}${target.path}`,
    headers: target.headers,
    connections: target.connections,
    duration: seconds,
    workers: 1,
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function measure(target: Target): Promise<Measured> {
  const result = await load(target, SECONDS);
  return {
    target,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const workDir = await mkdtemp(join(tmpdir(), 'exlab-api-bench-'));
const cleanup = (): Promise<void> => rm(workDir, { recursive: true, force: true });
process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

let floor: FastifyInstance | null = null;
let exlab: FastifyInstance | null = null;
let controller: CreationController | null = null;
/** Per target, one measurement per round. */
const rounds: Measured[][] = [];
try {
  const lab = await generateLab(join(workDir, 'lab'), { runs: RUNS, problems: PROBLEM_SHARE, seed: `api-bench-${RUNS}` });
  const { config } = await loadConfig(lab.configPath);
  controller = new CreationController({ getConfig: () => config, gc: false, logDir: join(workDir, 'logs') });
  exlab = await buildServer({
    token: TOKEN,
    version: 'bench',
    instanceId: 'bench',
    configPath: lab.configPath,
    controller,
    getConfig: () => config,
    // Evaluated on every call, as the tray does.
    getSetupStatus: () => evaluateSetupState({ config, limsPasswordPresent: false, limsReachable: null }),
    isShuttingDown: () => false,
    logger: createNullLogger(),
    audit: { intervalMs: 0 },
  });
  await exlab.listen({ host: '127.0.0.1', port: 0 });
  floor = Fastify({ logger: false });
  floor.get('/hello', async () => ({ status: 'ok' }));
  await floor.listen({ host: '127.0.0.1', port: 0 });

  const exlabBase = `http://127.0.0.1:${portOf(exlab)}`;
  const auth = exlabHeaders(portOf(exlab));
  const targets = {
    floor: {
      name: 'bare Fastify /hello (floor)',
      base: `http://127.0.0.1:${portOf(floor)}`,
      path: '/hello',
      headers: {},
      connections: CONNECTIONS,
    },
    health: { name: 'ExLab /api/v1/health', base: exlabBase, path: '/api/v1/health', headers: auth, connections: CONNECTIONS },
    tree: { name: 'ExLab /api/v1/tree', base: exlabBase, path: '/api/v1/tree', headers: auth, connections: CONNECTIONS },
    // One window polling alone: the tree's service time without queueing behind other requests.
    treeAlone: { name: 'ExLab /api/v1/tree, 1 conn', base: exlabBase, path: '/api/v1/tree', headers: auth, connections: 1 },
  } satisfies Record<string, Target>;

  await firstAudit(targets.health);
  const tree = await getJson<TreeResponse>(targets.tree);
  const listedRuns = tree.equipment.reduce((sum, e) => sum + e.projects.reduce((n, p) => n + p.runs.length, 0), 0);
  process.stdout.write(
    `server HTTP throughput: autocannon, ${ROUNDS} rounds of ${SECONDS} s per target after a ${WARMUP_SECONDS} s warm-up; lab of ${RUNS} runs (/tree lists ${listedRuns})\n`,
  );
  // Warm every route first (JIT, page cache), then measure the targets in turn, round after round.
  for (const target of Object.values(targets)) await load(target, WARMUP_SECONDS);
  const list = Object.values(targets);
  list.forEach(() => rounds.push([]));
  for (let round = 0; round < ROUNDS; round += 1) for (const [index, target] of list.entries()) rounds[index]?.push(await measure(target));
} finally {
  await floor?.close();
  await exlab?.close();
  await controller?.close();
  await cleanup();
}

/** A target's medians over the rounds, with its worst p99 and all failures summed. */
const results = rounds.map((measured) => ({
  target: (measured[0] as Measured).target,
  rps: median(measured.map((m) => m.rps)),
  p50: median(measured.map((m) => m.p50)),
  p99: median(measured.map((m) => m.p99)),
  worstP99: Math.max(...measured.map((m) => m.p99)),
  non2xx: measured.reduce((sum, m) => sum + m.non2xx, 0),
  errors: measured.reduce((sum, m) => sum + m.errors, 0),
}));
const [floorRounds = [], healthRounds = []] = rounds;
const treeResult = results[2] as (typeof results)[number];
// autocannon records latencies in whole milliseconds.
const ms = (value: number): string => `${value.toFixed(0)} ms`;
process.stdout.write(
  `\n  ${'target'.padEnd(30)} ${'conns'.padStart(5)} ${'req/s'.padStart(10)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'worst p99'.padStart(10)}  non-2xx/errors\n`,
);
for (const r of results) {
  process.stdout.write(
    `  ${r.target.name.padEnd(30)} ${String(r.target.connections).padStart(5)} ${r.rps.toFixed(0).padStart(10)} ${ms(r.p50).padStart(10)} ${ms(r.p99).padStart(10)} ${ms(r.worstP99).padStart(10)}  ${r.non2xx}/${r.errors}\n`,
  );
}
const ratios = floorRounds.map((f, index) => f.rps / (healthRounds[index]?.rps ?? Number.NaN));
const healthRatio = median(ratios);
const clean = results.every((r) => r.non2xx === 0 && r.errors === 0);
const verdict = (ok: boolean): string => (ok && clean ? 'met' : 'MISSED');
process.stdout.write(`\n  ratio floor/health req/s per round: ${ratios.map((r) => `${r.toFixed(2)}x`).join(' ')}\n`);
process.stdout.write(
  `  goal: health within ${GOAL.maxHealthRatio}x of the floor  ${verdict(healthRatio <= GOAL.maxHealthRatio)} (median ${healthRatio.toFixed(2)}x)\n`,
);
process.stdout.write(
  `  goal: tree p99 under ${GOAL.maxTreeP99Ms} ms (${CONNECTIONS} conns)  ${verdict(treeResult.p99 < GOAL.maxTreeP99Ms)} (median ${ms(treeResult.p99)}, worst round ${ms(treeResult.worstP99)})\n`,
);
if (!clean) process.stdout.write('  some requests failed (non-2xx or connection errors): the numbers above do not measure the routes\n');
