import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCreationJson } from '@exlab/core/cache';
import { CreationJsonSchema, EquipmentJsonSchema, ReadmeFieldsJsonSchema, RunKindMarkerSchema } from '@exlab/core/schemas';
import {
  EQUIPMENT_ID,
  IMAGING_RUN_FILES,
  type TestController,
  createTestLab,
  listTree,
  runRequest,
  testController,
  type TestLab,
} from './support/lab.js';

const PROJECT = 'Cortex Q3 Pilot';
const RUN_FILES = IMAGING_RUN_FILES;

let lab: TestLab;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await lab.remove();
});

function controller(): TestController {
  return testController(lab);
}

describe('concurrent creations (issue 6 acceptance)', () => {
  it('runs 20 createRun calls on one project side by side: all done, each tree complete with a valid creation.json and README, no temp folders', async () => {
    const c = controller();
    const minutes = Array.from({ length: 20 }, (_, i) => String(10 + i).padStart(2, '0'));

    const started = await Promise.all(
      minutes.map((mm, i) => c.createRun(runRequest({ run_date: `2026-03-02T09:${mm}:00Z`, label: `Run ${i}` }))),
    );
    expect(started.map((h) => h.state)).toEqual(Array(20).fill('rendering'));
    const handles = await Promise.all(started.map((h) => c.settled(h.session_id)));

    expect(handles.map((h) => h.state)).toEqual(Array(20).fill('done'));
    const runs = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs');
    for (const [i, handle] of handles.entries()) {
      const destination = join(runs, `Run_2026-03-02T09-${minutes[i]}`);
      expect(handle.result).toEqual({ path: destination, sync_status: 'pending', blocked: false, findings: [] });
      expect(await listTree(destination)).toEqual(RUN_FILES);
      expect(await readFile(join(destination, 'acquisition_notes.md'), 'utf8')).toContain(`# Acquisition notes: Run ${i}\n`);
      const creation = CreationJsonSchema.parse(JSON.parse(await readFile(join(destination, '.exlab-wizard', 'creation.json'), 'utf8')));
      expect(creation.paths.local).toBe(destination);
      expect(creation.created_at).toBe(`2026-03-02T09:${minutes[i]}:00Z`);
      const readme = await readFile(join(destination, 'README.md'), 'utf8');
      expect(readme.startsWith('---\n')).toBe(true);
      expect(readme).toContain(`label: "Run ${i}"`);
      ReadmeFieldsJsonSchema.parse(JSON.parse(await readFile(join(destination, '.exlab-wizard', 'readme_fields.json'), 'utf8')));
    }
    expect(new Set(handles.map((h) => h.session_id)).size).toBe(20);
    const tree = await listTree(lab.localRoot);
    expect(tree.filter((entry) => entry.includes('.exlab-creating-'))).toEqual([]);
    expect(await listTree(join(runs, '.exlab-wizard'))).toEqual(['runs.json']);
    RunKindMarkerSchema.parse(JSON.parse(await readFile(join(runs, '.exlab-wizard', 'runs.json'), 'utf8')));
    const equipment = EquipmentJsonSchema.parse(
      JSON.parse(await readFile(join(lab.localRoot, EQUIPMENT_ID, '.exlab-wizard', 'equipment.json'), 'utf8')),
    );
    // The concurrent equipment.json writes end with the newest run's time, whatever order they ran in.
    expect(equipment.last_modified_at).toBe('2026-03-02T09:29:00Z');
    expect(c.sessions.activeCount()).toBe(0);
  });

  it('lets exactly one of ten same-minute creations proceed; the nine others fail at the gate with destination_exists', async () => {
    const c = controller();
    const requests = Array.from({ length: 10 }, (_, i) =>
      runRequest({ run_date: '2026-03-02T09:15:00Z', label: `Contender ${i}`, variables: { sample_id: `S-${i}` } }),
    );

    const started = await Promise.all(requests.map((request) => c.createRun(request)));
    const handles = await Promise.all(started.map((h) => c.settled(h.session_id)));

    const winners = handles.filter((h) => h.state === 'done');
    expect(winners).toHaveLength(1);
    const losers = started.filter((h) => h.state === 'failed');
    expect(losers).toHaveLength(9);
    for (const loser of losers) {
      expect(loser.error?.code).toBe('destination_exists');
      // Refused before rendering: the loser never entered rendering_template.
      expect((await c.framesOf(loser.session_id)).map((f) => (f.kind === 'phase' ? f.phase : f.kind))).toEqual([
        'validating_inputs',
        'failed',
      ]);
    }
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');
    expect(winners[0]?.result?.path).toBe(destination);
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

  it('lets two controllers (two processes embedding it) race for one minute: one publishes, the other fails and leaves nothing behind', async () => {
    const a = controller();
    const b = controller();
    const [first, second] = await Promise.all([
      a.createRunToEnd(runRequest({ label: 'From A', variables: { sample_id: 'S-A' } })),
      b.createRunToEnd(runRequest({ label: 'From B', variables: { sample_id: 'S-B' } })),
    ]);
    const outcomes = [first, second].map((h) => (h.state === 'done' ? 'done' : h.error?.code));
    expect(outcomes.sort()).toEqual(['destination_exists', 'done']);
    const tree = await listTree(lab.localRoot);
    expect(tree.filter((entry) => entry.includes('.exlab-creating-'))).toEqual([]);
    const destination = join(lab.localRoot, EQUIPMENT_ID, PROJECT, 'Runs', 'Run_2026-03-02T09-15');
    expect(await listTree(destination)).toEqual(RUN_FILES);
  });
});
