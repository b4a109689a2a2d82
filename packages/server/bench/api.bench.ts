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
//   pnpm --filter @exlab/server bench                 5 s per target, 10,000 runs
//   BENCH_SECONDS=10 BENCH_RUNS=50000 tsx bench/api.bench.ts
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

const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 5));
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 10_000));
const WARMUP_SECONDS = Math.max(1, Math.round(SECONDS / 5));
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
const results: Measured[] = [];
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
    `server HTTP throughput: autocannon, ${SECONDS} s per target after a ${WARMUP_SECONDS} s warm-up; lab of ${RUNS} runs (/tree lists ${listedRuns})\n`,
  );
  // Warm every route first (JIT, page cache), then measure floor and health back to back.
  for (const target of Object.values(targets)) await load(target, WARMUP_SECONDS);
  for (const target of Object.values(targets)) results.push(await measure(target));
} finally {
  await floor?.close();
  await exlab?.close();
  await controller?.close();
  await cleanup();
}

const [floorResult, healthResult, treeResult] = results as [Measured, Measured, Measured, Measured];
// autocannon records latencies in whole milliseconds.
const ms = (value: number): string => `${value.toFixed(0)} ms`;
process.stdout.write(
  `\n  ${'target'.padEnd(30)} ${'conns'.padStart(5)} ${'req/s'.padStart(10)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}  non-2xx/errors\n`,
);
for (const r of results) {
  process.stdout.write(
    `  ${r.target.name.padEnd(30)} ${String(r.target.connections).padStart(5)} ${r.rps.toFixed(0).padStart(10)} ${ms(r.p50).padStart(10)} ${ms(r.p99).padStart(10)}  ${r.non2xx}/${r.errors}\n`,
  );
}
const healthRatio = floorResult.rps / healthResult.rps;
const clean = results.every((r) => r.non2xx === 0 && r.errors === 0);
const verdict = (ok: boolean): string => (ok && clean ? 'met' : 'MISSED');
process.stdout.write(`\n  ratio floor/health req/s      ${healthRatio.toFixed(2)}x\n`);
process.stdout.write(
  `  goal: health within ${GOAL.maxHealthRatio}x of the floor  ${verdict(healthRatio <= GOAL.maxHealthRatio)} (${healthRatio.toFixed(2)}x)\n`,
);
process.stdout.write(
  `  goal: tree p99 under ${GOAL.maxTreeP99Ms} ms (${CONNECTIONS} conns)  ${verdict(treeResult.p99 < GOAL.maxTreeP99Ms)} (${ms(treeResult.p99)})\n`,
);
if (!clean) process.stdout.write('  some requests failed (non-2xx or connection errors): the numbers above do not measure the routes\n');
