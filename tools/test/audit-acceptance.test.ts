import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@exlab/core/config';
import { FindingSchema, type Finding } from '@exlab/core/schemas';
import { audit } from '@exlab/core/validator';
import { findingKey, generateLab, PROBLEM_KINDS, type ExpectedFinding, type GeneratedLab } from '../src/tree-generator/index.js';

// ACCEPTANCE (§8.1, §11.8): a generated lab with problems of every class, audited with scope
// all, gives exactly the answer key: no finding missed, none invented.

let root: string;
let lab: GeneratedLab;
let config: Config;
const now = new Date('2026-06-01T12:00:00Z');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-acceptance-'));
  // 3 problem runs per class on average, so every variant of the small kinds appears too.
  lab = await generateLab(join(root, 'lab'), { runs: 240, problems: 0.25, seed: 'acceptance', equipment: 3 });
  config = (await loadConfig(lab.configPath)).config;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A reported finding reduced to the answer key's identifying tuple, paths relative to the output folder. */
function identify(finding: Finding): ExpectedFinding {
  const rel = (path: string): string => relative(lab.out, path).split(sep).join('/');
  return {
    rule: finding.rule,
    run_path: rel(finding.run_path),
    offending_path: rel(finding.offending_path),
    offending_kind: finding.offending_kind,
    matched_token: finding.matched_token,
  };
}

function describeDifference(title: string, keys: string[]): string {
  return keys.length === 0 ? '' : `${title} (${keys.length}):\n${keys.map((k) => `  ${k}`).join('\n')}\n`;
}

describe('audit of a generated lab (acceptance)', () => {
  it('seeds every problem class', () => {
    expect(Object.keys(lab.answerKey.counts.seeded_by_kind).sort()).toEqual(PROBLEM_KINDS.map((k) => k.id).sort());
  });

  it('reports exactly the answer key: zero false negatives and zero false positives', async () => {
    const { findings } = await audit({ kind: 'all' }, { config, now });
    for (const finding of findings) FindingSchema.parse(finding);
    const reported = new Set(findings.map((f) => findingKey(identify(f))));
    const expected = new Set(lab.answerKey.findings.map(findingKey));
    const missed = [...expected].filter((k) => !reported.has(k)).sort();
    const invented = [...reported].filter((k) => !expected.has(k)).sort();
    const report =
      describeDifference('false negatives: in the answer key, not reported', missed) +
      describeDifference('false positives: reported, not in the answer key', invented);
    expect(report, report).toBe('');
    // Each finding is reported once.
    expect(findings).toHaveLength(lab.answerKey.findings.length);
  });

  it('gives byte-identical JSON on two audits', async () => {
    const first = await audit({ kind: 'all' }, { config, now });
    const second = await audit({ kind: 'all' }, { config, now });
    expect(JSON.stringify(second.findings)).toBe(JSON.stringify(first.findings));
  });
});
