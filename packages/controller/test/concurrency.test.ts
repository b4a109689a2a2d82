import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreationController } from '@exlab/controller';
import { readCreationJson } from '@exlab/core/cache';
import { ExLabError } from '@exlab/core/errors';
import { EquipmentJsonSchema, RunKindMarkerSchema, type SessionHandle } from '@exlab/core/schemas';
import { EQUIPMENT_ID, IMAGING_RUN_FILES, createTestLab, listTree, runRequest, type TestLab } from './support/lab.js';

const PROJECT = 'Cortex Q3 Pilot';
const RUN_FILES = IMAGING_RUN_FILES;

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

function controller(): CreationController {
  return new CreationController({ getConfig: () => lab.config, osUser: 'ada-os', hostname: 'bench-host' });
}

/** The outcome of one creation: its handle, or the code it was refused with. */
async function outcome(promise: Promise<SessionHandle>): Promise<{ handle?: SessionHandle; code: string }> {
  try {
    const handle = await promise;
    return { handle, code: handle.state === 'done' ? 'done' : (handle.error?.code ?? handle.state) };
  } catch (error) {
    if (error instanceof ExLabError) return { code: error.code };
    throw error;
  }
}

describe('concurrent creations', () => {
  it('creates ten runs with distinct minutes side by side, each complete, with one runs.json and no temp folders', async () => {
    const c = controller();
    const dates = Array.from({ length: 10 }, (_, i) => `2026-03-02T09:${String(10 + i).padStart(2, '0')}:00Z`);

    const handles = await Promise.all(dates.map((run_date, i) => c.createRun(runRequest({ run_date, label: `Run ${i}` }))));

    expect(handles.map((h) => h.state)).toEqual(Array(10).fill('done'));
    const runs = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs');
    for (const [i, handle] of handles.entries()) {
      const destination = join(runs, `Run_2026-03-02T09-${String(10 + i).padStart(2, '0')}`);
      expect(handle.result?.path).toBe(destination);
      expect(await listTree(destination)).toEqual(RUN_FILES);
      expect(await readFile(join(destination, 'acquisition_notes.md'), 'utf8')).toContain(`# Acquisition notes: Run ${i}\n`);
      expect((await readCreationJson(destination)).paths.local).toBe(destination);
    }
    expect(new Set(handles.map((h) => h.session_id)).size).toBe(10);
    const tree = await listTree(lab.localRoot);
    expect(tree.filter((entry) => entry.includes('.exlab-creating-'))).toEqual([]);
    expect(await listTree(join(runs, '.exlab-wizard'))).toEqual(['runs.json']);
    RunKindMarkerSchema.parse(JSON.parse(await readFile(join(runs, '.exlab-wizard', 'runs.json'), 'utf8')));
    EquipmentJsonSchema.parse(JSON.parse(await readFile(join(lab.localRoot, EQUIPMENT_ID, '.exlab-wizard', 'equipment.json'), 'utf8')));
  });

  it('lets exactly one of ten same-minute creations win; the others get destination_exists and the winner tree is whole', async () => {
    const c = controller();
    const requests = Array.from({ length: 10 }, (_, i) =>
      runRequest({ run_date: '2026-03-02T09:15:00Z', label: `Contender ${i}`, variables: { sample_id: `S-${i}` } }),
    );

    const outcomes = await Promise.all(requests.map((request) => outcome(c.createRun(request))));

    const winners = outcomes.filter((o) => o.code === 'done');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o.code === 'destination_exists')).toHaveLength(9);
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');
    expect(winners[0]?.handle?.result?.path).toBe(destination);
    expect(await listTree(destination)).toEqual(RUN_FILES);

    // The published tree comes from one request only, never a mix of two.
    const creation = await readCreationJson(destination);
    const sample = String(creation.variables.sample_id);
    const index = Number(sample.slice(2));
    expect(await readFile(join(destination, 'acquisition_notes.md'), 'utf8')).toContain(`# Acquisition notes: Contender ${index}\n`);
    expect(await readFile(join(destination, 'settings', 'acquisition.yaml'), 'utf8')).toContain(`sample_id: "${sample}"`);
    expect(await readFile(join(destination, '.exlab-answers.yml'), 'utf8')).toContain(`sample_id: ${sample}`);

    expect((await readdir(join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs'))).sort()).toEqual(['.exlab-wizard', 'Run_2026-03-02T09-15']);
    expect(c.sessions.activeCount()).toBe(0);
  });
});
