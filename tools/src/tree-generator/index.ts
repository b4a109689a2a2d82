/** Synthetic lab trees for tests and benchmarks: deterministic for a seed, with an answer key of seeded problems. */
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type AnswerKey } from './answer-key.js';
import { answerKeyOf, LAB_LAYOUT, labEntries, type LabEntry } from './lab-entries.js';
import { planLab, type LabOptions, type LabPlan } from './lab-plan.js';
import { jsonText } from './run-content.js';
import { writeLabEntries } from './write-lab.js';

export { findingKey, sortFindings, tokenFindings, nameFindings, type AnswerKey, type ExpectedFinding } from './answer-key.js';
export { answerKeyOf, labEntries, labDirs, LAB_LAYOUT, type LabEntry } from './lab-entries.js';
export { planLab, type LabOptions, type LabPlan } from './lab-plan.js';
export { PROBLEM_KINDS, REQUIRED_CONFIG_FIELD, type ProblemKind } from './seeded-problems.js';
export { SeededRandom } from './seeded-random.js';

/** What {@link generateLab} wrote. */
export interface GeneratedLab {
  /** The output folder (absolute). */
  out: string;
  /** Its config.yaml. */
  configPath: string;
  /** Its lab root (`paths.local_root`). */
  labRoot: string;
  /** The expected findings, also written to answer-key.json. */
  answerKey: AnswerKey;
  /** Files written, answer key included. */
  files: number;
  bytes: number;
}

/** Thrown when the output folder already holds something: a generator never mixes two labs. */
export class OutputNotEmptyError extends Error {
  override name = 'OutputNotEmptyError';
}

/**
 * Generates a lab into `out` (created when missing; must be empty): config.yaml, an offline
 * catalogue, templates, equipment, projects and runs, and answer-key.json.
 */
export async function generateLab(out: string, options: LabOptions): Promise<GeneratedLab> {
  const root = resolve(out);
  await mkdir(root, { recursive: true });
  const existing = await readdir(root);
  if (existing.length > 0)
    throw new OutputNotEmptyError(`${root} is not empty (${existing.length} entries); choose an empty or new folder.`);
  const plan = planLab(options);
  const answerKey = answerKeyOf(plan);
  const written = writeLabEntries(root, labEntriesWithKey(plan, root, answerKey));
  return {
    out: root,
    configPath: join(root, LAB_LAYOUT.config),
    labRoot: join(root, LAB_LAYOUT.lab),
    answerKey,
    files: written.files,
    bytes: written.bytes,
  };
}

function* labEntriesWithKey(plan: LabPlan, root: string, answerKey: AnswerKey): Generator<LabEntry> {
  yield* labEntries(plan, root);
  yield { path: LAB_LAYOUT.answerKey, content: jsonText(answerKey) };
}
