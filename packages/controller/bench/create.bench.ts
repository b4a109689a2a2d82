// End-to-end creation latency (issue 6 benchmark): a run from the starter `imaging_run` template
// with no plugins, through the whole session (gate, render into the hidden folder, plugin pass,
// README + creation.json, post-creation validation, publish, folder records), measured from
// createRun to the settled session:
// - alone: one session at a time;
// - 8 concurrent: sessions started in batches of 8;
// against the floor measured in the same run: rendering the same template with the template
// engine alone, as `copier copy` does it (manifest load, answers, render into a fresh folder, and
// the answers file Copier writes with every render).
// Goal: p50 alone within 2x of the floor and under 50 ms.
//
//   pnpm --filter @exlab/controller bench
//   BENCH_ROUNDS=41 tsx bench/create.bench.ts
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreationController } from '@exlab/controller';
import { createNullLogger } from '@exlab/core/logging';
import { renderTemplate, resolveAnswers, resolveTemplateFor, writeAnswersFile } from '@exlab/core/template';
import { createTestLab, runRequest } from '../test/support/lab.js';

const ROUNDS = Math.max(8, Number(process.env.BENCH_ROUNDS ?? 40));
const WARMUP = 5;
const CONCURRENCY = 8;
const GOAL = { maxFloorRatio: 2, maxP50Ms: 50 };

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const fmt = (ms: number): string => `${ms.toFixed(2).padStart(8)} ms`;

const lab = await createTestLab();
try {
  const config = lab.config;
  // Distinct run dates: one minute per session, so no two sessions share a destination.
  let minute = 0;
  const nextDate = (): string => new Date(Date.UTC(2026, 0, 1) + minute++ * 60_000).toISOString();
  const controller = new CreationController({
    getConfig: () => config,
    gc: false,
    logger: createNullLogger(),
    logDir: join(lab.root, 'logs'),
  });

  const createOne = async (): Promise<number> => {
    const start = performance.now();
    const handle = await controller.createRun(runRequest({ run_date: nextDate() }));
    const end = await controller.settled(handle.session_id);
    const elapsed = performance.now() - start;
    if (end.state !== 'done') throw new Error(`session ended ${end.state}: ${JSON.stringify(end.error)}`);
    return elapsed;
  };

  // The floor: what the template engine alone does for the same run.
  const floorRoot = await mkdtemp(join(lab.root, 'floor-'));
  let floorIndex = 0;
  const renderOne = async (): Promise<number> => {
    const start = performance.now();
    const manifest = await resolveTemplateFor(config, 'CONFOCAL_01', 'imaging_run', 'run', 'experimental');
    const base = {
      label: 'Slice 4 baseline',
      operator: 'ada',
      objective: 'x',
      project_name: 'Cortex Q3 Pilot',
      project_short_id: 'PROJ-0001',
      run_kind: 'experimental',
    };
    const answers = resolveAnswers(manifest, runRequest().variables, base);
    const destination = join(floorRoot, `run-${floorIndex++}`);
    await renderTemplate(manifest, destination, { ...base, ...answers });
    await writeAnswersFile(destination, manifest, answers);
    return performance.now() - start;
  };

  for (let i = 0; i < WARMUP; i += 1) {
    await renderOne();
    await createOne();
  }
  const floor: number[] = [];
  const alone: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    floor.push(await renderOne());
    alone.push(await createOne());
  }
  const concurrent: number[] = [];
  for (let batch = 0; batch < Math.ceil(ROUNDS / CONCURRENCY) * 2; batch += 1) {
    concurrent.push(...(await Promise.all(Array.from({ length: CONCURRENCY }, () => createOne()))));
  }
  await controller.close();

  const rows = [
    ['floor: template engine alone', floor],
    ['create, alone', alone],
    [`create, ${CONCURRENCY} concurrent`, concurrent],
  ] as const;
  const floorP50 = percentile(floor, 50);
  console.log(`creation latency, ${ROUNDS} rounds (${concurrent.length} concurrent sessions), starter imaging_run, no plugins`);
  console.log(`${'case'.padEnd(32)}${'p50'.padStart(11)}${'p95'.padStart(11)}  p50 / floor`);
  for (const [name, samples] of rows) {
    const p50 = percentile(samples, 50);
    console.log(`${name.padEnd(32)}${fmt(p50)}${fmt(percentile(samples, 95))}  ${(p50 / floorP50).toFixed(2)}x`);
  }
  const aloneP50 = percentile(alone, 50);
  const ok = aloneP50 <= GOAL.maxFloorRatio * floorP50 && aloneP50 < GOAL.maxP50Ms;
  console.log(
    `goal: p50 alone within ${GOAL.maxFloorRatio}x of the floor and under ${GOAL.maxP50Ms} ms: ${ok ? 'met' : 'NOT met'} (${aloneP50.toFixed(2)} ms, ${(aloneP50 / floorP50).toFixed(2)}x)`,
  );
} finally {
  await lab.remove();
}
