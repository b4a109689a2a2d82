import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCreationJson, parseEquipmentJson, parseReadmeFieldsJson, parseRunKindMarker } from '@exlab/core/cache';
import { loadConfig } from '@exlab/core/config';
import { PROBLEM_CLASSES } from '@exlab/core/constants';
import { readOfflineCatalogue } from '@exlab/core/lims';
import { generateLab, PROBLEM_KINDS, planLab, type AnswerKey } from '../src/tree-generator/index.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'exlab-gen-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` (relative path, `/` separators), sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** sha256 over every file's relative path and bytes. */
async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await filesUnder(dir)) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const options = { runs: 120, problems: 0.4, seed: 'gen-test', equipment: 4 };

describe('tree generator', () => {
  it('writes a byte-identical lab for the same seed and a different one for another seed', async () => {
    const out = join(root, 'lab');
    await generateLab(out, options);
    const first = await treeDigest(out);
    await rm(out, { recursive: true });
    await generateLab(out, options);
    expect(await treeDigest(out)).toBe(first);
    await rm(out, { recursive: true });
    await generateLab(out, { ...options, seed: 'another seed' });
    expect(await treeDigest(out)).not.toBe(first);
  });

  it('plans the same lab for the same options without touching the disk', () => {
    const a = planLab(options);
    const b = planLab(options);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.runCount).toBe(120);
    expect(a.problemCount).toBe(48);
    expect(a.projects.reduce((n, p) => n + p.runs.length, 0)).toBe(120);
  });

  it('refuses an output folder that is not empty', async () => {
    await generateLab(join(root, 'lab'), { runs: 1, problems: 0 });
    await expect(generateLab(join(root, 'lab'), { runs: 1, problems: 0 })).rejects.toThrow(/is not empty/);
  });

  it('writes a config that loadConfig accepts, with the equipment, catalogue, orchestrator and a required README field', async () => {
    const lab = await generateLab(join(root, 'lab'), options);
    const { config } = await loadConfig(lab.configPath);
    expect(config.equipment.map((e) => e.id)).toEqual(['CONFOCAL_01', 'FLOW_01', 'SEM_01', 'MASS_SPEC_01']);
    expect(config.equipment.every((e) => e.transport?.type === 'local' && e.sync_mode === 'nas')).toBe(true);
    expect(config.paths.local_root).toBe(lab.labRoot);
    expect(config.orchestrator.label).not.toBe('');
    expect(config.orchestrator.staging_root).not.toBe('');
    expect(config.readme.defaults.filter((f) => f.required).map((f) => f.id)).toEqual(['irb_protocol']);
    const catalogue = await readOfflineCatalogue(config.lims.offline_catalogue_path);
    expect(catalogue.projects).toHaveLength(lab.answerKey.counts.projects);
  });

  it('writes cache files the product reads, except the creation.json of seeded orphans', async () => {
    const lab = await generateLab(join(root, 'lab'), options);
    const orphans = new Set(lab.answerKey.findings.filter((f) => f.rule === 'orphan').map((f) => f.run_path));
    let creations = 0;
    for (const file of await filesUnder(lab.out)) {
      const folder = file.split('/.exlab-wizard/')[0] ?? '';
      if (!file.includes('/.exlab-wizard/')) continue;
      const path = join(lab.out, file);
      const text = await readFile(path, 'utf8');
      if (file.endsWith('/creation.json')) {
        creations += 1;
        if (orphans.has(folder)) {
          expect(() => parseCreationJson(JSON.parse(text), path), file).toThrow();
        } else {
          expect(() => parseCreationJson(JSON.parse(text), path), file).not.toThrow();
        }
      } else if (file.endsWith('/readme_fields.json')) {
        parseReadmeFieldsJson(JSON.parse(text), path);
      } else if (file.endsWith('/equipment.json')) {
        parseEquipmentJson(JSON.parse(text), path);
      } else if (file.endsWith('/runs.json') || file.endsWith('/test_runs.json')) {
        parseRunKindMarker(JSON.parse(text), path);
      }
    }
    // Every project and run has one, except orphans without a file at all.
    expect(creations).toBeGreaterThan(options.runs);
  });

  it('seeds every problem class and lists each finding once in a sorted answer key', async () => {
    const lab = await generateLab(join(root, 'lab'), options);
    const key = JSON.parse(await readFile(join(lab.out, 'answer-key.json'), 'utf8')) as AnswerKey;
    expect(key).toEqual(lab.answerKey);
    expect(Object.keys(key.counts.seeded_by_kind).sort()).toEqual(PROBLEM_KINDS.map((k) => k.id).sort());
    expect(Object.keys(key.counts.by_rule).sort()).toEqual([...PROBLEM_CLASSES].sort());
    const tuples = key.findings.map((f) => JSON.stringify(f));
    expect(new Set(tuples).size).toBe(tuples.length);
    expect(key.counts.findings).toBe(key.findings.length);
    expect(key.counts.hard + key.counts.soft).toBe(key.findings.length);
  });

  it('puts look-alikes that are not problems into clean runs', async () => {
    const lab = await generateLab(join(root, 'lab'), options);
    const files = await filesUnder(lab.out);
    for (const name of ['/CONsole.txt', '/COM10', '/raw/frame_dump.txt', '/analysis_plan.md']) {
      expect(
        files.some((f) => f.endsWith(name)),
        name,
      ).toBe(true);
    }
    const withLookAlike = files.find((f) => f.endsWith('/CONsole.txt'))?.replace('/CONsole.txt', '') ?? '';
    expect(lab.answerKey.findings.some((f) => f.run_path === withLookAlike)).toBe(false);
    const notes = await readFile(join(lab.out, withLookAlike, 'acquisition_notes.txt'), 'utf8');
    expect(notes).toContain('<2 mM>');
    expect(notes).toContain('<foo bar>');
    expect(await readFile(join(lab.out, withLookAlike, 'README.md'), 'utf8')).toContain('<your_protocol>');
  });

  it('writes no problem at all when the share is 0', async () => {
    const lab = await generateLab(join(root, 'lab'), { runs: 50, problems: 0, seed: 3 });
    expect(lab.answerKey.findings).toEqual([]);
    expect(lab.answerKey.counts.seeded_problems).toBe(0);
  });
});
