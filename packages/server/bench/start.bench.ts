// Start-to-ready of the ExLab server (build, listen on port 0, first authenticated /health 200)
// against a bare Fastify app doing the same with one route: the floor, measured in the same run.
import Fastify from 'fastify';
import { performance } from 'node:perf_hooks';
import { CreationController } from '@exlab/controller';
import { evaluateSetupState } from '@exlab/core/config';
import { createNullLogger } from '@exlab/core/logging';
import { buildServer } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const TOKEN = 'bench-token';

async function exlabStartToReady(): Promise<number> {
  const t0 = performance.now();
  const app = await buildServer({
    token: TOKEN,
    version: 'bench',
    instanceId: 'bench',
    controller: new CreationController({ getConfig: () => null }),
    getConfig: () => null,
    getSetupStatus: () => evaluateSetupState({ config: null, limsPasswordPresent: false, limsReachable: null }),
    isShuttingDown: () => false,
    logger: createNullLogger(),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (response.status !== 200) throw new Error(`health answered ${response.status}`);
  await response.arrayBuffer();
  const elapsed = performance.now() - t0;
  await app.close();
  return elapsed;
}

async function bareStartToReady(): Promise<number> {
  const t0 = performance.now();
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  if (response.status !== 200) throw new Error(`health answered ${response.status}`);
  await response.arrayBuffer();
  const elapsed = performance.now() - t0;
  await app.close();
  return elapsed;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

// Warm both paths (module loading, JIT), then alternate so drift hits both equally.
await exlabStartToReady();
await bareStartToReady();
const exlab: number[] = [];
const bare: number[] = [];
for (let i = 0; i < ROUNDS; i += 1) {
  exlab.push(await exlabStartToReady());
  bare.push(await bareStartToReady());
}
const rows = [
  { case: 'bare Fastify (floor)', p50_ms: percentile(bare, 50), p95_ms: percentile(bare, 95) },
  { case: 'ExLab server', p50_ms: percentile(exlab, 50), p95_ms: percentile(exlab, 95) },
];
process.stdout.write(`server start-to-ready, ${ROUNDS} rounds each\n`);
for (const row of rows) process.stdout.write(`  ${row.case.padEnd(22)} p50 ${row.p50_ms.toFixed(2)} ms  p95 ${row.p95_ms.toFixed(2)} ms\n`);
process.stdout.write(
  `  ratio ExLab/floor      p50 ${(rows[1]!.p50_ms / rows[0]!.p50_ms).toFixed(2)}x  p95 ${(rows[1]!.p95_ms / rows[0]!.p95_ms).toFixed(2)}x\n`,
);
