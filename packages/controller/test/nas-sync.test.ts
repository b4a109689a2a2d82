import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreNasSync } from '@exlab/controller';
import { readCreationJson } from '@exlab/core/cache';
import { NasSync } from '@exlab/core/sync';
import { EQUIPMENT_ID, createTestLab, runRequest, testController, type TestLab } from './support/lab.js';

let lab: TestLab;
let sync: NasSync | undefined;

beforeEach(async () => {
  lab = await createTestLab();
});

afterEach(async () => {
  await sync?.stop();
  sync = undefined;
  await lab.remove();
});

describe('creation with NAS sync (requirements B4, §7.1)', () => {
  it('queues a finished run, which the sync pushes to the NAS in the local layout and marks synced', async () => {
    sync = await NasSync.open({ queuePath: join(lab.root, 'state', 'sync_queue.db'), getConfig: () => lab.config });
    sync.start();
    const ctl = testController(lab, { ports: { sync: coreNasSync(Promise.resolve(sync)) } });
    const handle = await ctl.createRunToEnd(runRequest());
    expect(handle).toMatchObject({ state: 'done', result: { sync_status: 'pending', blocked: false } });
    const run = handle.result?.path ?? '';
    expect(sync.status(run)).not.toBe('none');
    await sync.whenIdle();
    expect(sync.status(run)).toBe('verified');
    expect((await readCreationJson(run)).sync_status).toBe('synced');
    const copy = join(lab.nasRoot, EQUIPMENT_ID, 'Cortex Q3 Pilot', 'Runs', 'Run_2026-03-02T09-15');
    expect(await readFile(join(copy, 'README.md'), 'utf8')).toBe(await readFile(join(run, 'README.md'), 'utf8'));
    expect(ctl.syncQueueStats()).toEqual({ queue_depth: 0, in_flight: 0, failed: 0 });
  });

  it('does not queue a run the post-creation validation blocked', async () => {
    sync = await NasSync.open({ queuePath: join(lab.root, 'state', 'sync_queue.db'), getConfig: () => lab.config });
    const ctl = testController(lab, { ports: { sync: coreNasSync(Promise.resolve(sync)) } });
    const handle = await ctl.createRunToEnd(runRequest({ variables: { sample_id: '<sample_id>' } }));
    expect(handle.result).toMatchObject({ blocked: true, sync_status: 'blocked_by_validation' });
    expect(sync.jobs()).toEqual([]);
  });

  it('ends done with a warning when the queue could not be opened, and health names why', async () => {
    const warnings: string[] = [];
    const ctl = testController(lab, {
      ports: { sync: coreNasSync(Promise.reject(new Error('disk full'))) },
      events: { warning: (info) => warnings.push(info.message) },
    });
    const handle = await ctl.createRunToEnd(runRequest());
    expect(handle.state).toBe('done');
    expect(warnings.join('\n')).toContain('disk full');
    expect(ctl.syncQueueStats()).toMatchObject({ error: expect.stringContaining('disk full') });
  });
});
