// Cost of one plugin pass (issue 5 benchmark): the built PluginHost (dist/, what the tray runs)
// running one trivial plugin (appends a line to each .txt file) over 1, 10 and 100 files,
// against the floor measured in the same run: spawning `node -e 0` and waiting for it to exit.
// A pass is everything the controller waits for: dispatch, the validate-and-hold worker
// (§6.3.6), snapshot of the run folder, the transform, the diff and the record.
//
// Two host settings are measured: `isolated` (the production default: prlimit and, where the
// kernel allows, an empty network namespace via `unshare -rn`) and `bare` (--no-isolation).
// Goal (issue 5): the per-pass overhead within 1.5x of the bare spawn. The overhead is the pass
// minus the plugin's own work: the same appendFile loop over the same number of files, timed
// inside a bare `node` with no SDK, worker or host around it (at 100 files that loop alone is
// about half a spawn, which no host can take off). Both the whole pass and its overhead are
// printed against the floor. Peak RSS: the worker's own (the result frame's peak_memory_mb),
// the floor child's (`node -e` printing its maxRSS), and this host process's.

//
//   pnpm --filter @exlab/core bench                   (builds first via turbo in CI; run a build before)
//   BENCH_ROUNDS=15 BENCH_FILES=1,10,100 tsx bench/plugin-pass.bench.ts
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as PluginsApi from '../src/plugins/index.js';

// The built module; typed from its sources.
const { PluginHost, PluginRegistry } = (await import(join(import.meta.dirname, '..', 'dist', 'plugins', 'index.js'))) as typeof PluginsApi;

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 9));
const SIZES = (process.env.BENCH_FILES ?? '1,10,100')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const GOAL_RATIO = 1.5;

const TRIVIAL_MANIFEST = `name: trivial
version: 1.0.0
supported_extensions: ['.txt']
api_version: '1'
isolation:
  timeout_seconds: 30
  memory_mb: 128
`;
const TRIVIAL_INDEX = `import { appendFile } from 'node:fs/promises';
import { Plugin as BasePlugin } from '@exlab/plugin-sdk';
export class Plugin extends BasePlugin {
  async transform(file) {
    await appendFile(file, 'x\\n');
    return [{ path: file, kind: 'modify', summary: 'x' }];
  }
}
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Spawns `node args` and resolves its stdout when it exits. */
function spawnNode(args: readonly string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolveRun(out));
  });
}

/** The floor: ms of spawning `node -e 0` until it exited. */
async function floorMs(): Promise<number> {
  const start = performance.now();
  await spawnNode(['-e', '0']);
  return performance.now() - start;
}

/**
 * The plugin's own work: a bare `node` runs what the trivial plugin does to `paths` and reports
 * how long the loop took (its own start-up is the floor's business, not the plugin's).
 */
async function pluginWorkMs(paths: readonly string[]): Promise<{ loopMs: number; wholeMs: number }> {
  const loop = [
    `import { appendFile } from 'node:fs/promises';`,
    `const start = performance.now();`,
    `for (const file of ${JSON.stringify(paths)}) await appendFile(file, 'x\\n');`,
    `process.stdout.write(String(performance.now() - start));`,
  ].join('\n');
  const start = performance.now();
  const out = await spawnNode(['--input-type=module', '-e', loop]);
  return { loopMs: Number(out.trim()), wholeMs: performance.now() - start };
}

const root = await mkdtemp(join(tmpdir(), 'exlab-bench-plugins-'));
try {
  const pluginRoot = join(root, 'plugins');
  await mkdir(join(pluginRoot, 'trivial'), { recursive: true });
  await writeFile(join(pluginRoot, 'trivial', 'manifest.yml'), TRIVIAL_MANIFEST);
  await writeFile(join(pluginRoot, 'trivial', 'index.mjs'), TRIVIAL_INDEX);
  const registry = new PluginRegistry({ bundledRoot: null, labRoot: pluginRoot });
  await registry.reload();
  // Workers use a compile cache as under the tray, which turns it on for itself and so for its
  // workers; the warm-up passes below fill it.
  const compileCacheDir = join(root, 'compile-cache');
  const hosts = {
    isolated: new PluginHost({ registry, logDir: join(root, 'logs'), compileCacheDir }),
    bare: new PluginHost({ registry, logDir: join(root, 'logs'), osIsolation: false, compileCacheDir }),
  };

  let runNo = 0;
  /** A fresh folder of `files` one-line .txt files. */
  async function freshFolder(files: number): Promise<{ dst: string; paths: string[] }> {
    runNo += 1;
    const dst = join(root, `run-${runNo}`);
    await mkdir(dst);
    const paths: string[] = [];
    for (let i = 0; i < files; i += 1) {
      const path = join(dst, `file-${String(i).padStart(3, '0')}.txt`);
      await writeFile(path, 'line\n');
      paths.push(path);
    }
    return { dst, paths };
  }

  /** One pass over a fresh folder of `files` .txt files; returns ms and the worker's peak MB. */
  async function onePass(host: PluginsApi.PluginHost, files: number): Promise<{ ms: number; workerMb: number; ok: boolean }> {
    const { dst, paths } = await freshFolder(files);
    const start = performance.now();
    const result = await host.runPass({
      dstRoot: dst,
      files: paths,
      context: {
        variables: {},
        answersFile: join(dst, '.exlab-answers.yml'),
        templateName: 'bench',
        templateVersion: '1',
        runKind: 'test',
        equipmentId: 'BENCH',
        project: 'PROJ-BENCH',
        runId: `bench-${runNo}`,
      },
    });
    const ms = performance.now() - start;
    await rm(dst, { recursive: true, force: true });
    const record = result.applied[0];
    return {
      ms,
      workerMb: record?.isolation?.peak_memory_mb ?? 0,
      ok: record?.status === 'success' && record.files_affected.length === files,
    };
  }

  // Warm-up: disk cache, the isolation probe, JIT of the host.
  await floorMs();
  await onePass(hosts.isolated, 1);
  await onePass(hosts.bare, 1);

  const floorRuns: number[] = [];
  const referenceRuns = new Map<number, number[]>();
  const loopRuns = new Map<number, number[]>();
  const rows: { setting: string; files: number; ms: number; workerMb: number }[] = [];
  const samples = new Map<string, number[]>();
  const workerPeaks = new Map<string, number>();
  // Rounds interleave floor and passes so machine load drifts hit both alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    floorRuns.push(await floorMs());
    for (const [setting, host] of Object.entries(hosts)) {
      for (const files of SIZES) {
        const key = `${setting}:${files}`;
        const run = await onePass(host, files);
        if (!run.ok) throw new TypeError(`the trivial plugin did not succeed (${key})`);
        samples.set(key, [...(samples.get(key) ?? []), run.ms]);
        workerPeaks.set(key, Math.max(workerPeaks.get(key) ?? 0, run.workerMb));
      }
    }
    for (const files of SIZES) {
      const { dst, paths } = await freshFolder(files);
      const work = await pluginWorkMs(paths);
      referenceRuns.set(files, [...(referenceRuns.get(files) ?? []), work.wholeMs]);
      loopRuns.set(files, [...(loopRuns.get(files) ?? []), work.loopMs]);
      await rm(dst, { recursive: true, force: true });
    }
  }
  for (const [key, values] of samples) {
    const [setting = '', files = '0'] = key.split(':');
    rows.push({ setting, files: Number(files), ms: median(values), workerMb: workerPeaks.get(key) ?? 0 });
  }
  const floor = median(floorRuns);
  const floorRssKb = Number((await spawnNode(['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'])).trim());
  await hosts.isolated.shutdown(0);
  await hosts.bare.shutdown(0);

  const lines: string[] = [];
  lines.push(`plugin pass bench: ${ROUNDS} rounds, medians; node ${process.version}, ${process.platform}`);
  lines.push(`floor  node -e 0: ${floor.toFixed(1)} ms, peak RSS ${(floorRssKb / 1024).toFixed(1)} MB`);
  lines.push('setting   files  pass ms  x floor  plugin work ms  overhead ms  x floor  worker peak RSS MB  goal');
  let allMet = true;
  for (const row of rows) {
    const work = median(loopRuns.get(row.files) ?? []);
    const overhead = row.ms - work;
    const ratio = overhead / floor;
    const met = ratio <= GOAL_RATIO;
    allMet &&= met;
    lines.push(
      [
        row.setting.padEnd(9),
        String(row.files).padStart(5),
        ` ${row.ms.toFixed(1).padStart(7)}`,
        ` ${(row.ms / floor).toFixed(2).padStart(7)}`,
        ` ${work.toFixed(1).padStart(14)}`,
        ` ${overhead.toFixed(1).padStart(11)}`,
        ` ${ratio.toFixed(2).padStart(7)}`,
        ` ${row.workerMb.toFixed(1).padStart(18)}`,
        ` ${met ? 'MET' : 'MISSED'}`,
      ].join(' '),
    );
  }
  const reference = SIZES.map(
    (files) => `${files} file${files === 1 ? '' : 's'} ${(median(referenceRuns.get(files) ?? []) / floor).toFixed(2)}x`,
  );
  lines.push(`for reading the rows: a bare node start plus the plugin's loop, against the floor: ${reference.join(' | ')}`);
  lines.push(`host process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB`);
  lines.push(`goal (every pass's overhead within ${GOAL_RATIO}x of the bare spawn): ${allMet ? 'MET' : 'MISSED'}`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
