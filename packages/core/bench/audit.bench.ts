// Audit of a whole lab (§11.8: "cheap enough to run every 30 s on tens of thousands of files")
// against the floor measured in the same run: the same tree walked with readdirSync(withFileTypes)
// and every creation.json read (readFileSync) and JSON-parsed, no rules, in the same worker
// threads with the same partitioning as the validator (each equipment folder's subfolders dealt
// out by name order) and, like the validator's, workers kept up between rounds. Trees come from
// the synthetic generator (tools/), ~2% problems.
//
// The audit measured is the built one (dist/, what the tray runs). Besides the steady state (the
// periodic audit, workers up and warm), each size reports the first audit in a fresh process:
// worker start, module load, cold JIT and empty parse caches.
//
//   pnpm --filter @exlab/core bench            sizes 1k, 10k, 50k runs
//   BENCH_SIZES=1000,10000 BENCH_ROUNDS=7 ...   fewer sizes, more rounds
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { AnswerKey } from '../../../tools/src/tree-generator/index.js';
import type * as ConfigApi from '../src/config/index.js';
import { FILE_NAMES } from '../src/constants/index.js';
import type * as ValidatorApi from '../src/validator/index.js';

// The built modules (pnpm bench builds first); typed from their sources.
const { loadConfig } = (await import(join(import.meta.dirname, '..', 'dist', 'config', 'index.js'))) as typeof ConfigApi;
const { MAX_AUDIT_WORKERS, audit } = (await import(
  join(import.meta.dirname, '..', 'dist', 'validator', 'index.js')
)) as typeof ValidatorApi;

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,50000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const PROBLEM_SHARE = 0.02;
/** The validator's worker count (validator/audit.ts), so the floor competes on equal terms. */
const WORKERS = Math.max(1, Math.min(MAX_AUDIT_WORKERS, availableParallelism()));
const GOAL = { runs: 10_000, maxMs: 1000, maxRatio: 2 };
const GEN_TREE = join(import.meta.dirname, '..', '..', '..', 'tools', 'src', 'gen-tree.ts');
const DIST = join(import.meta.dirname, '..', 'dist');

// The first audit in a fresh process: what an operator waits for right after the tray starts.
const COLD_SCRIPT = `
const { pathToFileURL } = await import('node:url');
const dist = process.argv[1];
const { loadConfig } = await import(pathToFileURL(dist + '/config/index.js').href);
const { audit } = await import(pathToFileURL(dist + '/validator/index.js').href);
const { config } = await loadConfig(process.argv[2]);
const t0 = performance.now();
const report = await audit({ kind: 'all' }, { config });
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, findings: report.findings.length, maxRss: process.resourceUsage().maxRSS * 1024 }));
process.exit(0);
`;

/** Times the first audit of `configPath` in a new process (median of `rounds`). */
function coldAudit(configPath: string, rounds: number): { ms: number; maxRss: number } {
  const ms: number[] = [];
  let maxRss = 0;
  for (let round = 0; round < rounds; round += 1) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', COLD_SCRIPT, DIST, configPath], { encoding: 'utf8' });
    if (child.status !== 0) throw new RangeError(`cold audit failed (${child.status}): ${child.stderr}`);
    const result = JSON.parse(child.stdout) as { ms: number; maxRss: number };
    ms.push(result.ms);
    maxRss = Math.max(maxRss, result.maxRss);
  }
  return { ms: median(ms), maxRss };
}

// A full GC before each measured phase, so one phase's garbage does not count in the next one's RSS.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

// The floor walker, plain JS so it needs no loader: one share of the equipment folders' subfolders
// (index modulo count, in name order), walked depth first; every creation.json read and parsed.
const FLOOR_WORKER = `
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parentPort } = require('node:worker_threads');
const CACHE = ${JSON.stringify(FILE_NAMES.cacheDir)};
const CREATION = ${JSON.stringify(FILE_NAMES.creation)};
const list = (dir) => { try { return readdirSync(dir, { withFileTypes: true }); } catch { return []; } };
parentPort.on('message', ({ roots, index, count }) => {
  let files = 0;
  let creations = 0;
  const stack = [];
  for (const root of roots) {
    const names = list(root).filter((e) => e.isDirectory() && !e.isSymbolicLink() && e.name !== CACHE).map((e) => e.name).sort();
    names.forEach((name, i) => { if (i % count === index) stack.push(join(root, name)); });
  }
  while (stack.length > 0) {
    const dir = stack.pop();
    for (const entry of list(dir)) {
      if (entry.isSymbolicLink()) continue;
      const child = join(dir, entry.name);
      if (entry.name === CACHE) {
        if (!entry.isDirectory()) continue;
        try {
          JSON.parse(readFileSync(join(child, CREATION), 'utf8'));
          creations += 1;
        } catch {
          // A seeded orphan: missing or broken file.
        }
      } else if (entry.isDirectory()) stack.push(child);
      else files += 1;
    }
  }
  parentPort.postMessage({ files, creations });
});
`;

/** The floor's workers, started once and kept up between rounds (as the validator's are). */
const floorWorkers = Array.from({ length: WORKERS }, () => new Worker(FLOOR_WORKER, { eval: true }));

function floorShare(worker: Worker, roots: string[], index: number): Promise<{ files: number; creations: number }> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => reject(error);
    worker.once('error', fail);
    worker.once('message', (share: { files: number; creations: number }) => {
      worker.off('error', fail);
      resolve(share);
    });
    worker.postMessage({ roots, index, count: WORKERS });
  });
}

/** The floor: list every folder below the equipment folders, read and parse each creation.json. Returns files seen. */
async function floorWalk(labRoot: string): Promise<{ files: number; creations: number }> {
  const equipment = await promisify(readdir)(labRoot, { withFileTypes: true });
  const roots = equipment.filter((e) => e.isDirectory() && !e.isSymbolicLink()).map((e) => join(labRoot, e.name));
  const shares = await Promise.all(floorWorkers.map((worker, index) => floorShare(worker, roots, index)));
  return shares.reduce((sum, share) => ({ files: sum.files + share.files, creations: sum.creations + share.creations }), {
    files: 0,
    creations: 0,
  });
}

/** Runs `fn` (after a full GC) while sampling RSS every 5 ms; returns its duration, result and the peak RSS seen. */
async function measured<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T; peakRss: number }> {
  collectGarbage();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  try {
    const result = await fn();
    const ms = performance.now() - t0;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { ms, result, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const rate = (count: number, ms: number): string => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;

interface SizeResult {
  runs: number;
  files: number;
  findings: number;
  floorMs: number;
  auditMs: number;
  floorPeak: number;
  auditPeak: number;
  coldMs: number;
  coldRss: number;
}

const workDir = await promisify(mkdtemp)(join(tmpdir(), 'exlab-audit-bench-'));
const cleanup = (): Promise<void> => promisify(rm)(workDir, { recursive: true, force: true });
process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

const results: SizeResult[] = [];
try {
  process.stdout.write(
    `audit bench: sizes ${SIZES.join(', ')} runs, ${ROUNDS} rounds, ${PROBLEM_SHARE * 100}% problem runs, ${WORKERS} worker threads\n`,
  );
  const labs: { runs: number; configPath: string; labRoot: string; expected: number }[] = [];
  for (const runs of SIZES) {
    // A child process writes the tree, so the generator's memory never shows in this process's RSS.
    const out = join(workDir, `lab-${runs}`);
    const args = [GEN_TREE, '--runs', String(runs), '--problems', String(PROBLEM_SHARE), '--seed', `bench-${runs}`, '--out', out];
    const generated = spawnSync(process.execPath, [...process.execArgv, ...args], { encoding: 'utf8' });
    if (generated.status !== 0) throw new RangeError(`gen-tree failed (${generated.status}): ${generated.stderr}`);
    process.stdout.write(`  ${generated.stdout.split('\n')[0]?.replace(out, `lab-${runs}`)}\n`);
    const key = JSON.parse(await promisify(readFile)(join(out, 'answer-key.json'), 'utf8')) as AnswerKey;
    labs.push({ runs, configPath: join(out, 'config.yaml'), labRoot: join(out, 'lab'), expected: key.counts.findings });
  }

  for (const lab of labs) {
    const cold = coldAudit(lab.configPath, Math.min(ROUNDS, 3));
    const { config } = await loadConfig(lab.configPath);
    const auditAll = () => audit({ kind: 'all' }, { config });
    // Warm-up (JIT, page cache), also a check that the audit sees exactly the seeded findings.
    const warm = await auditAll();
    if (warm.findings.length !== lab.expected) {
      throw new RangeError(`audit of ${lab.runs} runs found ${warm.findings.length} findings; the answer key has ${lab.expected}`);
    }
    await floorWalk(lab.labRoot);
    const floorMs: number[] = [];
    const auditMs: number[] = [];
    let floorPeak = 0;
    let auditPeak = 0;
    let files = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate so drift (page cache, other load) hits both equally.
      const floor = await measured(() => floorWalk(lab.labRoot));
      floorMs.push(floor.ms);
      floorPeak = Math.max(floorPeak, floor.peakRss);
      files = floor.result.files;
      const audited = await measured(auditAll);
      auditMs.push(audited.ms);
      auditPeak = Math.max(auditPeak, audited.peakRss);
    }
    results.push({
      runs: lab.runs,
      files,
      findings: warm.findings.length,
      floorMs: median(floorMs),
      auditMs: median(auditMs),
      floorPeak,
      auditPeak,
      coldMs: cold.ms,
      coldRss: cold.maxRss,
    });
  }
} finally {
  await Promise.all(floorWorkers.map((worker) => worker.terminate()));
  await cleanup();
}

process.stdout.write(
  '\n  runs    files     findings  floor ms  floor files/s   audit ms  audit files/s   audit/floor  peak RSS floor / audit\n',
);
for (const r of results) {
  process.stdout.write(
    `  ${String(r.runs).padEnd(7)} ${String(r.files).padEnd(9)} ${String(r.findings).padEnd(9)} ${r.floorMs.toFixed(0).padStart(8)}  ${rate(r.files, r.floorMs).padStart(13)}  ${r.auditMs.toFixed(0).padStart(9)}  ${rate(r.files, r.auditMs).padStart(13)}  ${`${(r.auditMs / r.floorMs).toFixed(2)}x`.padStart(11)}  ${mib(r.floorPeak)} / ${mib(r.auditPeak)}\n`,
  );
}
process.stdout.write('\n  first audit in a fresh process (worker start, module load, cold JIT, empty caches):\n');
for (const r of results) {
  process.stdout.write(
    `  ${String(r.runs).padEnd(7)} ${r.coldMs.toFixed(0).padStart(6)} ms  ${rate(r.files, r.coldMs).padStart(13)}  ${`${(r.coldMs / r.floorMs).toFixed(2)}x`.padStart(7)} the floor  maxRSS ${mib(r.coldRss)}\n`,
  );
}
process.stdout.write(`  process maxRSS over the whole bench: ${mib(process.resourceUsage().maxRSS * 1024)}\n`);
const goal = results.find((r) => r.runs === GOAL.runs);
if (goal) {
  const fast = goal.auditMs < GOAL.maxMs;
  const near = goal.auditMs / goal.floorMs <= GOAL.maxRatio;
  process.stdout.write(
    `\n  goal (steady state, the periodic audit), ${GOAL.runs} runs: under ${GOAL.maxMs} ms ${fast ? 'MET' : 'MISSED'} (${goal.auditMs.toFixed(0)} ms); within ${GOAL.maxRatio}x of the floor ${near ? 'MET' : 'MISSED'} (${(goal.auditMs / goal.floorMs).toFixed(2)}x)\n`,
  );
}
