import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CacheWriter, type ReadmeFieldsBody, readmeFieldsDocument } from '../cache/index.js';
import { FILE_NAMES } from '../constants/index.js';
import { allSettledOrThrow, writeFileAtomic } from '../io/index.js';
import { formatUtcTimestamp, type ReadmeFieldsJson } from '../schemas/index.js';
import type { ReadmeLayers } from './field-layers.js';
import { renderReadmeMarkdown } from './readme-markdown.js';

/** Everything the README of one creation records. */
export interface ReadmeInput {
  /** Trimmed core fields. */
  core: { label: string; operator: string; objective: string };
  /** Resolved template, config and custom layers. */
  layers: ReadmeLayers;
  /** System fields; `run` and `run_kind` only at run level. */
  system: {
    createdBy: string;
    equipment: { id: string; label: string };
    template: { name: string; version: string };
    project: string;
    run?: string;
    runKind?: 'experimental' | 'test';
  };
  /** The creation time shared by both files. */
  createdAt: Date;
}

/**
 * Writes README.md and `.exlab-wizard/readme_fields.json` into `dir` (§10, core.md E3), both
 * atomically and with one timestamp. A README.md the template rendered there becomes the prose
 * body under the generated front matter. Returns the recorded fields.
 */
export async function writeReadme(dir: string, input: ReadmeInput, cache: CacheWriter): Promise<ReadmeFieldsJson> {
  const stamp = formatUtcTimestamp(input.createdAt);
  const body: ReadmeFieldsBody = {
    generated_at: stamp,
    core_fields: { ...input.core },
    template_fields: input.layers.template_fields,
    config_fields: input.layers.config_fields,
    custom_fields: input.layers.custom_fields,
    system_fields: {
      created: stamp,
      created_by: input.system.createdBy,
      equipment: input.system.equipment,
      template: input.system.template,
      project: input.system.project,
      ...(input.system.run !== undefined ? { run: input.system.run } : {}),
      ...(input.system.runKind !== undefined ? { run_kind: input.system.runKind } : {}),
    },
  };
  // Checked before anything is written; then the two files, which no longer depend on each other, side by side.
  const recorded = readmeFieldsDocument(dir, body);
  const readmePath = join(dir, FILE_NAMES.readme);
  const templateBody = await readFile(readmePath, 'utf8').catch(() => undefined);
  await allSettledOrThrow([cache.writeReadmeFields(dir, body), writeFileAtomic(readmePath, renderReadmeMarkdown(recorded, templateBody))]);
  return recorded;
}
