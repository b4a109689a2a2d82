// Rendering a template (§5, core.md D4) against two baselines measured in the same run:
// - the floor: `cp -r` of the same template tree (no rendering at all);
// - the peer: Debian's cookiecutter rendering an equivalent template (same folders, the same
//   Jinja in the same files, the plain files copied without rendering via _copy_without_render),
//   timed as a library call inside one Python process, so interpreter start-up is not counted
//   against it; the CLI's wall time (start-up included) is printed for reference.
// The template has 200 files in nested folders, half of them `.jinja`, and a templated folder name.
// Each round renders into a fresh folder; the first render of the process (which compiles every
// template) is printed apart. Goal: faster than cookiecutter, within 3x of cp -r.
//
//   pnpm --filter @exlab/core bench
//   BENCH_ROUNDS=31 tsx bench/render.bench.ts
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadTemplateManifest, renderTemplate, resolveAnswers } from '../src/template/index.js';

const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 21));
const WARMUP = 3;
const SECTIONS = 4;
const SUBFOLDERS = 5;
const FILES_PER_FOLDER = 10; // 4 x 5 x 10 = 200 files, every second one .jinja
const GOAL = { maxFloorRatio: 3, maxPeerRatio: 1 };

const CONTEXT = {
  label: 'Pilot scan',
  operator: 'ada',
  objective: 'Check the staining of slice 3.',
  project_name: 'Cortex Q3 Pilot',
  project_short_id: 'PROJ-0042',
  run_kind: 'experimental',
};

const ANSWERS = { sample_id: 'S-042', notes: 'fixed tissue, dapi and gfp', channels: ['dapi', 'gfp', 'rfp'], z_stack: true };

function padding(i: number): string {
  return Array.from({ length: 24 }, (_, line) => `Line ${line} of file ${i}: plain text that is copied or rendered as it is.`).join('\n');
}

// The same Jinja body for both engines; `v` prefixes variables (`` or `cookiecutter.`).
function jinjaBody(i: number, v: string): string {
  return `# {{ ${v}label }}: file ${i}

Sample {{ ${v}sample_id }} by {{ ${v}operator }} ({{ ${v}run_kind | upper }}).
{% for channel in ${v}channels${v === '' ? '' : '.list'} %}- {{ loop.index }}. {{ channel | upper }}
{% endfor %}{% if ${v}z_stack %}Z-stack: yes{% else %}Z-stack: no{% endif %}
Notes: {{ ${v}notes | title }}
${padding(i)}
`;
}

/** Writes the ExLab template and the equivalent cookiecutter template under `root`. */
async function writeTemplates(root: string): Promise<{ exlab: string; cookiecutter: string }> {
  const exlab = join(root, 'exlab_template');
  const cookie = join(root, 'cookiecutter_template');
  const cookieRoot = join(cookie, '{{ cookiecutter.run_name }}');
  await mkdir(exlab, { recursive: true });
  await mkdir(cookieRoot, { recursive: true });
  await writeFile(
    join(exlab, 'copier.yml'),
    `_exlab_type: run
_exlab_version: "1.0"
_exlab_run_scope: both
sample_id: ${ANSWERS.sample_id}
notes: ${ANSWERS.notes}
channels:
  type: yaml
  default: [${ANSWERS.channels.join(', ')}]
z_stack: true
`,
  );
  await writeFile(
    join(cookie, 'cookiecutter.json'),
    JSON.stringify(
      { run_name: 'run', ...CONTEXT, ...ANSWERS, channels: { list: ANSWERS.channels }, _copy_without_render: ['*.txt'] },
      null,
      2,
    ),
  );
  let i = 0;
  for (let s = 0; s < SECTIONS; s += 1) {
    for (let f = 0; f < SUBFOLDERS; f += 1) {
      // One templated folder name per section, as run templates name folders after the sample.
      const folder = f === 0 ? `sample_{{ sample_id }}` : `sub_${f}`;
      const cookieFolder = f === 0 ? `sample_{{ cookiecutter.sample_id }}` : `sub_${f}`;
      await mkdir(join(exlab, `section_${s}`, folder), { recursive: true });
      await mkdir(join(cookieRoot, `section_${s}`, cookieFolder), { recursive: true });
      for (let n = 0; n < FILES_PER_FOLDER; n += 1, i += 1) {
        if (n % 2 === 0) {
          await writeFile(join(exlab, `section_${s}`, folder, `notes_${n}.md.jinja`), jinjaBody(i, ''));
          await writeFile(join(cookieRoot, `section_${s}`, cookieFolder, `notes_${n}.md`), jinjaBody(i, 'cookiecutter.'));
        } else {
          const data = `${padding(i)}\n{{ not_rendered }}\n`;
          await writeFile(join(exlab, `section_${s}`, folder, `data_${n}.txt`), data);
          await writeFile(join(cookieRoot, `section_${s}`, cookieFolder, `data_${n}.txt`), data);
        }
      }
    }
  }
  return { exlab, cookiecutter: cookie };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// Times cookiecutter's library call in one Python process: warm-up rounds, then one JSON line of per-call milliseconds.
const COOKIECUTTER_HARNESS = `
import json, sys, time, os
from cookiecutter.main import cookiecutter
template, out_root, rounds, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
times = []
for i in range(warmup + rounds):
    out = os.path.join(out_root, "cc_%d" % i)
    start = time.perf_counter()
    cookiecutter(template, no_input=True, output_dir=out)
    elapsed = (time.perf_counter() - start) * 1000
    if i >= warmup:
        times.append(elapsed)
print(json.dumps(times))
`;

/** The Python that runs the `cookiecutter` command (its shebang), when that Python can import cookiecutter. */
function cookiecutterPython(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v cookiecutter'], { encoding: 'utf8' });
  const command = which.status === 0 ? which.stdout.trim() : '';
  const shebang = command === '' ? '' : (readFileSync(command, 'utf8').split('\n')[0] ?? '');
  const candidates = [/^#!\s*(\S+python\S*)/.exec(shebang)?.[1], 'python3'].filter((p): p is string => p !== undefined);
  return candidates.find((python) => spawnSync(python, ['-c', 'import cookiecutter.main'], { stdio: 'ignore' }).status === 0);
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'exlab-render-bench-'));
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const templates = await writeTemplates(root);
    const out = join(root, 'out');
    await mkdir(out);
    // Cookiecutter keeps a replay file under HOME; keep it inside the bench folder.
    const peerEnv = { ...process.env, HOME: join(root, 'home') };
    await mkdir(peerEnv.HOME, { recursive: true });

    let round = 0;
    const renderOnce = async (): Promise<number> => {
      const destination = join(out, `render_${round++}`);
      const start = performance.now();
      const manifest = await loadTemplateManifest(templates.exlab, 'run');
      const answers = resolveAnswers(manifest, {}, CONTEXT);
      const result = await renderTemplate(manifest, destination, { ...CONTEXT, ...answers });
      const ms = performance.now() - start;
      if (result.written.length !== SECTIONS * SUBFOLDERS * FILES_PER_FOLDER)
        throw new TypeError(`rendered ${result.written.length} files`);
      return ms;
    };
    const copyOnce = (): number => {
      const destination = join(out, `copy_${round++}`);
      const start = performance.now();
      const status = spawnSync('cp', ['-r', templates.exlab, destination]).status;
      const ms = performance.now() - start;
      if (status !== 0) throw new TypeError('cp -r failed');
      return ms;
    };

    // The first render compiles every template; later ones reuse the compiled code (compiled-cache.ts), as the tray does.
    const coldMs = await renderOnce();
    const renderMs: number[] = [];
    const copyMs: number[] = [];
    for (let i = 0; i < WARMUP + ROUNDS; i += 1) {
      // Alternate the order so neither side always runs on a warmer cache.
      let r: number;
      let c: number;
      if (i % 2 === 0) {
        r = await renderOnce();
        c = copyOnce();
      } else {
        c = copyOnce();
        r = await renderOnce();
      }
      if (i >= WARMUP) {
        renderMs.push(r);
        copyMs.push(c);
      }
    }

    const render = median(renderMs);
    const floor = median(copyMs);
    console.log(
      `Template: ${SECTIONS * SUBFOLDERS * FILES_PER_FOLDER} files in ${SECTIONS * SUBFOLDERS} folders, half .jinja; ${ROUNDS} rounds, medians.`,
    );
    console.log(
      `  exlab renderTemplate      ${render.toFixed(1).padStart(8)} ms   (first render in the process, compiling: ${coldMs.toFixed(1)} ms)`,
    );
    console.log(`  cp -r (floor)             ${floor.toFixed(1).padStart(8)} ms   render / cp -r = ${(render / floor).toFixed(2)}x`);

    let peer: number | undefined;
    const python = cookiecutterPython();
    if (python === undefined) {
      console.log('  cookiecutter (peer)       not installed: skipped (Debian: apt-get install -y cookiecutter)');
    } else {
      const peerOut = join(root, 'peer');
      const lib = spawnSync(python, ['-c', COOKIECUTTER_HARNESS, templates.cookiecutter, peerOut, String(ROUNDS), String(WARMUP)], {
        env: peerEnv,
        encoding: 'utf8',
      });
      if (lib.status !== 0) throw new TypeError(`cookiecutter failed: ${lib.stderr}`);
      peer = median(JSON.parse(lib.stdout.trim().split('\n').at(-1) ?? '[]') as number[]);
      const cliMs: number[] = [];
      for (let i = 0; i < Math.min(ROUNDS, 7); i += 1) {
        const start = performance.now();
        const cli = spawnSync('cookiecutter', ['--no-input', '-o', join(peerOut, `cli_${i}`), templates.cookiecutter], { env: peerEnv });
        cliMs.push(performance.now() - start);
        if (cli.status !== 0) throw new TypeError(`cookiecutter CLI failed: ${String(cli.stderr)}`);
      }
      console.log(
        `  cookiecutter (peer)       ${peer.toFixed(1).padStart(8)} ms   render / cookiecutter = ${(render / peer).toFixed(2)}x (library call)`,
      );
      console.log(`  cookiecutter CLI          ${median(cliMs).toFixed(1).padStart(8)} ms   (with Python start-up, for reference)`);
    }

    const floorOk = render / floor <= GOAL.maxFloorRatio;
    const peerOk = peer === undefined ? undefined : render / peer < GOAL.maxPeerRatio;
    console.log(
      `Goal: within ${GOAL.maxFloorRatio}x of cp -r: ${floorOk ? 'met' : 'MISSED'}; faster than cookiecutter: ${peerOk === undefined ? 'not measured' : peerOk ? 'met' : 'MISSED'}.`,
    );
  } finally {
    await cleanup();
  }
}

await main();
