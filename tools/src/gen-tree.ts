/**
 * `pnpm gen-tree --runs N --problems P --out DIR [--seed S] [--equipment K]`: writes a
 * synthetic lab and its answer key. The process edge only: parsing and printing.
 */
import { parseArgs } from 'node:util';
import { generateLab } from './tree-generator/index.js';

const USAGE = 'usage: pnpm gen-tree --runs N --problems P --out DIR [--seed S] [--equipment K]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function numberArg(name: string, value: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) fail(`--${name} ${JSON.stringify(value)}: expected ${what}`);
  return n;
}

let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      runs: { type: 'string' },
      problems: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      equipment: { type: 'string' },
    },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}

const runs = numberArg('runs', values.runs, (n) => Number.isInteger(n) && n >= 0, 'a whole number of runs (0 or more)');
const problems = numberArg('problems', values.problems, (n) => n >= 0 && n <= 1, 'a share of runs between 0 and 1') ?? 0;
const equipment = numberArg('equipment', values.equipment, (n) => Number.isInteger(n) && n >= 1, 'a whole number of equipment (1 or more)');
if (runs === undefined) fail('--runs is required');
if (values.out === undefined) fail('--out is required');

const started = performance.now();
try {
  const lab = await generateLab(values.out, { runs, problems, seed: values.seed ?? '1', equipment });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const { counts } = lab.answerKey;
  process.stdout.write(
    [
      `wrote ${lab.files} files (${(lab.bytes / 1024 / 1024).toFixed(1)} MiB) to ${lab.out} in ${seconds} s`,
      `  ${counts.runs} runs in ${counts.projects} projects on ${counts.equipment} equipment; ${counts.seeded_problems} seeded problems`,
      `  expected findings: ${counts.findings} (${counts.hard} hard, ${counts.soft} soft)`,
      `  config: ${lab.configPath}`,
      `  answer key: ${lab.out}/answer-key.json`,
      '',
    ].join('\n'),
  );
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
