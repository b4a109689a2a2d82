import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { equipmentJsonPath, runKindMarkerPath, writeEquipmentJson, writeRunKindMarkerOnce } from '@exlab/core/cache';

const CONFOCAL = { id: 'CONFOCAL_01', label: 'Confocal 1', configuredLocalRoot: '/data/lab', configuredNasRoot: '/nas/imaging' };
const FIRST = new Date('2026-01-05T09:00:00.750Z');
const LATER = new Date('2026-04-17T14:32:59Z');

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-equipment-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

describe('writeEquipmentJson', () => {
  it('writes .exlab-wizard/equipment.json from the configured values with both timestamps set to now', async () => {
    const record = await writeEquipmentJson(dir, CONFOCAL, FIRST);
    const expected = {
      schema_version: '1.0',
      id: 'CONFOCAL_01',
      label: 'Confocal 1',
      configured_local_root: '/data/lab',
      configured_nas_root: '/nas/imaging',
      first_seen_at: '2026-01-05T09:00:00Z',
      last_modified_at: '2026-01-05T09:00:00Z',
    };
    expect(record).toEqual(expected);
    expect(equipmentJsonPath(dir)).toBe(join(dir, '.exlab-wizard', 'equipment.json'));
    expect(await readJson(equipmentJsonPath(dir))).toEqual(expected);
  });

  it('keeps first_seen_at and updates everything else on a rewrite', async () => {
    await writeEquipmentJson(dir, CONFOCAL, FIRST);
    const record = await writeEquipmentJson(dir, { ...CONFOCAL, label: 'Confocal One', configuredNasRoot: '/nas2' }, LATER);
    expect(record).toMatchObject({
      label: 'Confocal One',
      configured_nas_root: '/nas2',
      first_seen_at: '2026-01-05T09:00:00Z',
      last_modified_at: '2026-04-17T14:32:59Z',
    });
    expect(await readJson(equipmentJsonPath(dir))).toEqual(record);
  });

  it('replaces a file that is not JSON with a fresh record', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(equipmentJsonPath(dir), '{ "schema_version": "1.0", "first_seen_at": ');
    const record = await writeEquipmentJson(dir, CONFOCAL, LATER);
    expect(record.first_seen_at).toBe('2026-04-17T14:32:59Z');
    expect(await readJson(equipmentJsonPath(dir))).toEqual(record);
  });

  it('replaces a file that breaks the schema, not trusting its first_seen_at', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(equipmentJsonPath(dir), JSON.stringify({ schema_version: '0.1', first_seen_at: '2020-01-01T00:00:00Z' }));
    expect((await writeEquipmentJson(dir, CONFOCAL, LATER)).first_seen_at).toBe('2026-04-17T14:32:59Z');
  });

  it('leaves no temporary file behind', async () => {
    await writeEquipmentJson(dir, CONFOCAL, FIRST);
    await writeEquipmentJson(dir, CONFOCAL, LATER);
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['equipment.json']);
  });
});

describe('writeRunKindMarkerOnce', () => {
  it('writes Runs/.exlab-wizard/runs.json for the first experimental run', async () => {
    expect(await writeRunKindMarkerOnce(dir, 'experimental', 'Cortex Q3 Pilot', 'CONFOCAL_01', LATER)).toBe(true);
    expect(runKindMarkerPath(dir, 'experimental')).toBe(join(dir, 'Runs', '.exlab-wizard', 'runs.json'));
    expect(await readJson(runKindMarkerPath(dir, 'experimental'))).toEqual({
      schema_version: '1.0',
      run_kind: 'experimental',
      created_at: '2026-04-17T14:32:59Z',
      project: 'Cortex Q3 Pilot',
      equipment: 'CONFOCAL_01',
    });
  });

  it('writes TestRuns/.exlab-wizard/test_runs.json for the first test run', async () => {
    expect(await writeRunKindMarkerOnce(dir, 'test', 'P', 'CONFOCAL_01', LATER)).toBe(true);
    expect(runKindMarkerPath(dir, 'test')).toBe(join(dir, 'TestRuns', '.exlab-wizard', 'test_runs.json'));
    expect(await readJson(runKindMarkerPath(dir, 'test'))).toMatchObject({ run_kind: 'test', schema_version: '1.0' });
  });

  it('returns false on later runs and leaves the marker byte-identical', async () => {
    await writeRunKindMarkerOnce(dir, 'experimental', 'P', 'CONFOCAL_01', FIRST);
    const before = await readFile(runKindMarkerPath(dir, 'experimental'));
    expect(await writeRunKindMarkerOnce(dir, 'experimental', 'Other', 'FLOW_01', LATER)).toBe(false);
    expect((await readFile(runKindMarkerPath(dir, 'experimental'))).equals(before)).toBe(true);
    expect(await readdir(join(dir, 'Runs', '.exlab-wizard'))).toEqual(['runs.json']);
  });

  it('keeps the two kinds independent', async () => {
    expect(await writeRunKindMarkerOnce(dir, 'experimental', 'P', 'E', FIRST)).toBe(true);
    expect(await writeRunKindMarkerOnce(dir, 'test', 'P', 'E', FIRST)).toBe(true);
    expect(await writeRunKindMarkerOnce(dir, 'test', 'P', 'E', LATER)).toBe(false);
  });

  it('lets exactly one of several concurrent first runs write the marker', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => writeRunKindMarkerOnce(dir, 'test', `P${i}`, 'E', LATER)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readJson(runKindMarkerPath(dir, 'test'))).toMatchObject({ project: `P${results.indexOf(true)}` });
  });

  it('passes on errors other than an existing marker', async () => {
    await writeFile(join(dir, 'Runs'), 'a file where the Runs folder should be');
    await expect(writeRunKindMarkerOnce(dir, 'experimental', 'P', 'E', LATER)).rejects.toMatchObject({
      code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/),
    });
  });
});
