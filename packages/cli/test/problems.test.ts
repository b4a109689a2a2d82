import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemsReportSchema, type ProblemsReport } from '@exlab/core/schemas';
import { runCli, type Output } from '@exlab/cli';
import { generateLab, type GeneratedLab } from '../../../tools/src/tree-generator/index.js';
import { runExlab, sandbox, type Sandbox } from './exlab-process.js';

let sb: Sandbox;
let problemLab: GeneratedLab;
let cleanLab: GeneratedLab;

beforeAll(async () => {
  sb = await sandbox();
  problemLab = await generateLab(join(sb.root, 'problem-lab'), { runs: 60, problems: 0.5, seed: 'cli', equipment: 2 });
  cleanLab = await generateLab(join(sb.root, 'clean-lab'), { runs: 12, problems: 0, seed: 'cli-clean', equipment: 1 });
});

afterAll(async () => {
  await sb.cleanup();
});

function capture(): Output & { lines: string[]; errors: string[]; stdout(): string; stderr(): string } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    stdout: () => lines.join('\n'),
    stderr: () => errors.join('\n'),
  };
}

async function problems(
  args: readonly string[],
  env: NodeJS.ProcessEnv = sb.env,
): Promise<{ code: number; output: ReturnType<typeof capture> }> {
  const output = capture();
  const code = await runCli(['problems', ...args], { output, env });
  return { code, output };
}

async function report(lab: GeneratedLab, extra: readonly string[] = []): Promise<ProblemsReport> {
  const { code, output } = await problems(['--config', lab.configPath, '--json', ...extra]);
  expect([0, 1]).toContain(code);
  return ProblemsReportSchema.parse(JSON.parse(output.stdout()));
}

/** A hard finding of a run that has a creation.json, from the answer key. */
function hardRunFinding(rule: string): { runPath: string; offendingPath: string } {
  const finding = problemLab.answerKey.findings.find((f) => f.rule === rule && f.run_path.includes('/Runs/'));
  if (!finding) throw new Error(`the generated lab has no ${rule} finding on a run`);
  return { runPath: join(problemLab.out, finding.run_path), offendingPath: join(problemLab.out, finding.offending_path) };
}

describe('exlab problems', () => {
  it('exits 0 and says so when the lab has no problem', async () => {
    const { code, output } = await problems(['--config', cleanLab.configPath]);
    expect(code).toBe(0);
    expect(output.stdout()).toBe('No problems in all equipment.');
    expect(output.stderr()).toContain(`Using the config given with --config: ${cleanLab.configPath}`);
  });

  it('exits 1 and prints a table of the problems, paths relative to the lab root, and a summary', async () => {
    const { code, output } = await problems(['--config', problemLab.configPath]);
    expect(code).toBe(1);
    const [header, ...rows] = output.lines;
    expect(header).toMatch(/^TIER\s+RULE\s+PATH\s+TOKEN\s+NOTE$/);
    const summary = rows.pop() ?? '';
    expect(rows).toHaveLength(problemLab.answerKey.counts.findings);
    expect(summary).toBe(
      `${problemLab.answerKey.counts.findings} problems in all equipment: ${problemLab.answerKey.counts.hard} hard, ${problemLab.answerKey.counts.soft} soft; ${problemLab.answerKey.counts.hard} hard findings block sync.`,
    );
    const text = output.stdout();
    for (const rule of Object.keys(problemLab.answerKey.counts.by_rule)) expect(text).toContain(rule);
    expect(text).toContain('"<sample_id>"');
    expect(text).not.toContain(problemLab.labRoot);
    expect(rows.some((row) => /\sCONFOCAL_01\/\S/.test(row))).toBe(true);
  });

  it('prints a report that validates against ProblemsReportSchema with --json, and no stderr line', async () => {
    const { code, output } = await problems(['--config', problemLab.configPath, '--json']);
    expect(code).toBe(1);
    expect(output.errors).toEqual([]);
    const parsed = ProblemsReportSchema.parse(JSON.parse(output.stdout()));
    expect(parsed.findings).toHaveLength(problemLab.answerKey.counts.findings);
    expect(parsed.findings.slice(0, problemLab.answerKey.counts.hard).every((f) => f.tier === 'hard')).toBe(true);
  });

  it('exits 1 with a valid JSON report from the built exlab binary', async () => {
    const result = await runExlab(['problems', '--config', problemLab.configPath, '--json'], sb.env);
    expect(result.code).toBe(1);
    expect(ProblemsReportSchema.parse(JSON.parse(result.stdout)).findings).toHaveLength(problemLab.answerKey.counts.findings);
  });

  it('narrows the audit to one equipment id or one project folder', async () => {
    const all = await report(problemLab);
    const confocal = await report(problemLab, ['--scope', 'CONFOCAL_01']);
    const underConfocal = all.findings.filter((f) => f.run_path.startsWith(join(problemLab.labRoot, 'CONFOCAL_01')));
    expect(confocal.findings).toEqual(underConfocal);
    const project = all.findings.find((f) => f.run_path.includes('/Runs/'))?.run_path.split('/Runs/')[0] ?? '';
    const one = await report(problemLab, ['--scope', project]);
    expect(one.findings.length).toBeGreaterThan(0);
    expect(one.findings.every((f) => f.run_path.startsWith(`${project}/`) || f.run_path === project)).toBe(true);
  });

  it.each([
    ['an unconfigured equipment id', 'NOPE_01', 'no equipment "NOPE_01" is configured'],
    ['a path that does not exist', '/no/such/folder', 'is not a folder'],
    ['a run folder instead of a project folder', '<run>', 'is inside project folder'],
    ['an equipment folder given as a path', '<equipment>', 'is the folder of equipment CONFOCAL_01; use --scope CONFOCAL_01'],
  ])('exits 2 and lists the allowed forms for %s', async (_what, scope, message) => {
    const value =
      scope === '<run>'
        ? hardRunFinding('leftover_jinja_marker').runPath
        : scope === '<equipment>'
          ? join(problemLab.labRoot, 'CONFOCAL_01')
          : scope;
    const { code, output } = await problems(['--config', problemLab.configPath, '--scope', value]);
    expect(code).toBe(2);
    expect(output.stderr()).toContain(message);
  });

  it('exits 2 when the config is missing or invalid', async () => {
    const missing = await problems(['--config', join(sb.root, 'nowhere.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.output.stderr()).toContain('nowhere.yaml');
    const bad = join(sb.root, 'bad.yaml');
    await writeFile(bad, 'paths:\n  local_root: /data\n  bogus: 1\n');
    const invalid = await problems(['--config', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.output.stderr()).toContain('paths.bogus');
  });

  it('exits 2, not the global 64, on an unknown option', async () => {
    const { code, output } = await problems(['--bogus']);
    expect(code).toBe(2);
    expect(output.stderr()).toContain("unknown option '--bogus'");
  });

  it('uses the demo lab config when there is no OS config, and says so', async () => {
    const env = { ...sb.env, HOME: join(sb.root, 'demo-home') };
    const demoRoot = join(env.HOME, '.local', 'share', 'exlab-wizard', 'demo-lab');
    await generateLab(demoRoot, { runs: 3, problems: 0, seed: 'demo' });
    const { code, output } = await problems([], env);
    expect(code).toBe(0);
    expect(output.stderr()).toContain(
      `Using the demo lab config (no config at ${join(env.HOME, '.config', 'exlab-wizard', 'config.yaml')})`,
    );
  });

  it('exits 2 naming both places when there is neither an OS config nor a demo lab', async () => {
    const { code, output } = await problems([], { ...sb.env, HOME: join(sb.root, 'empty-home') });
    expect(code).toBe(2);
    expect(output.stderr()).toContain('No config: nothing at');
  });
});

describe('exlab problems override and revoke', () => {
  it('an override makes the finding override_active on the next audit, and a revoke clears it', async () => {
    const target = hardRunFinding('leftover_jinja_marker');
    const matching = (r: ProblemsReport) => r.findings.filter((f) => f.run_path === target.runPath && f.rule === 'leftover_jinja_marker');
    expect(matching(await report(problemLab)).every((f) => !f.override_active)).toBe(true);

    const override = await problems([
      'override',
      target.runPath,
      '--class',
      'leftover_jinja_marker',
      '--reason',
      'Marker is literal text in the vendor protocol',
      '--operator',
      'asmith',
    ]);
    expect(override.code).toBe(0);
    const id = override.output.stdout();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const after = matching(await report(problemLab));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((f) => f.override_active)).toBe(true);

    const revoke = await problems(['revoke', target.runPath, '--id', id, '--reason', 'The protocol was fixed upstream']);
    expect(revoke.code).toBe(0);
    expect(revoke.output.stdout()).toMatch(/^[0-9a-f-]{36}$/);
    expect(matching(await report(problemLab)).every((f) => !f.override_active)).toBe(true);
  });

  it('exits 0 once every hard finding is overridden', async () => {
    const lab = await generateLab(join(sb.root, 'one-problem'), { runs: 1, problems: 1, seed: 'one' });
    // The one seeded problem is the first class: a placeholder in a folder name, which also holds illegal < and >.
    const rules = new Set(lab.answerKey.findings.map((f) => f.rule));
    expect([...rules].sort()).toEqual(['illegal_filesystem_character', 'unresolved_placeholder_token']);
    expect((await problems(['--config', lab.configPath])).code).toBe(1);
    const runPath = join(lab.out, lab.answerKey.findings[0]?.run_path ?? '');
    for (const rule of rules) {
      const { code } = await problems(['override', runPath, '--class', rule, '--reason', 'Accepted for the pilot run only']);
      expect(code).toBe(0);
    }
    const { code, output } = await problems(['--config', lab.configPath]);
    expect(code).toBe(0);
    expect(output.lines.at(-1)).toContain('nothing blocks sync');
  });

  it.each([
    ['a soft class', ['--class', 'orphan', '--reason', 'long enough reason'], 'cannot be overridden'],
    ['an unknown class', ['--class', 'typo_rule', '--reason', 'long enough reason'], 'allowed (hard rules only)'],
    ['a reason under 10 characters', ['--class', 'leftover_jinja_marker', '--reason', '  too short '], 'must be 10 to 500'],
    ['a reason over 500 characters', ['--class', 'leftover_jinja_marker', '--reason', 'x'.repeat(501)], 'must be 10 to 500'],
    [
      'an expiry in the past',
      ['--class', 'leftover_jinja_marker', '--reason', 'long enough reason', '--expires', '2020-01-01'],
      'not in the future',
    ],
    ['a missing --class', ['--reason', 'long enough reason'], "required option '--class <class>' not specified"],
  ])('override exits 2 for %s', async (_what, args, message) => {
    const { code, output } = await problems(['override', hardRunFinding('leftover_jinja_marker').runPath, ...args]);
    expect(code).toBe(2);
    expect(output.stderr()).toContain(message);
  });

  it('override exits 1 for a folder without creation.json', async () => {
    const dir = join(sb.root, 'not-a-run');
    await mkdir(dir, { recursive: true });
    const { code, output } = await problems(['override', dir, '--class', 'leftover_jinja_marker', '--reason', 'long enough reason']);
    expect(code).toBe(1);
    expect(output.stderr()).toContain('No creation.json at');
    await rm(dir, { recursive: true });
  });

  it('revoke exits 1 for an id that names no active override, and 2 for a short reason', async () => {
    const run = hardRunFinding('leftover_jinja_marker').runPath;
    const unknown = await problems(['revoke', run, '--id', '00000000-0000-4000-8000-000000000000', '--reason', 'long enough reason']);
    expect(unknown.code).toBe(1);
    expect(unknown.output.stderr()).toContain('No active override 00000000-0000-4000-8000-000000000000');
    const short = await problems(['revoke', run, '--id', 'x', '--reason', 'short']);
    expect(short.code).toBe(2);
  });
});
