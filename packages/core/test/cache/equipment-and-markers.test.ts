import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter, equipmentJsonPath, readEquipmentJson, readRunKindMarker, runKindMarkerPath } from '@exlab/core/cache';

const CONFOCAL = { id: 'CONFOCAL_01', label: 'Confocal 1', configuredLocalRoot: '/data/lab', configuredNasRoot: '/nas/imaging' };
const FIRST = new Date('2026-01-05T09:00:00.750Z');
const LATER = new Date('2026-04-17T14:32:59Z');

let dir: string;
const writer = new CacheWriter();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-equipment-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

describe('CacheWriter.writeEquipmentJson', () => {
  it('writes .exlab-wizard/equipment.json from the configured values with both timestamps set to now', async () => {
    const record = await writer.writeEquipmentJson(dir, CONFOCAL, FIRST);
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
    await writer.writeEquipmentJson(dir, CONFOCAL, FIRST);
    const record = await writer.writeEquipmentJson(dir, { ...CONFOCAL, label: 'Confocal One', configuredNasRoot: '/nas2' }, LATER);
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
    const record = await writer.writeEquipmentJson(dir, CONFOCAL, LATER);
    expect(record.first_seen_at).toBe('2026-04-17T14:32:59Z');
    expect(await readJson(equipmentJsonPath(dir))).toEqual(record);
  });

  it('replaces a file that breaks the schema, not trusting its first_seen_at', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(equipmentJsonPath(dir), JSON.stringify({ schema_version: '0.1', first_seen_at: '2020-01-01T00:00:00Z' }));
    expect((await writer.writeEquipmentJson(dir, CONFOCAL, LATER)).first_seen_at).toBe('2026-04-17T14:32:59Z');
  });

  it('refuses to overwrite a file of a newer major version, leaving it untouched', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    const newer = JSON.stringify({ schema_version: '2.0', id: 'CONFOCAL_01', first_seen_at: '2020-01-01T00:00:00Z' });
    await writeFile(equipmentJsonPath(dir), newer);
    await expect(writer.writeEquipmentJson(dir, CONFOCAL, LATER)).rejects.toMatchObject({
      code: 'schema_major_mismatch',
      details: { found: '2.0', expected_major: 1 },
    });
    expect(await readFile(equipmentJsonPath(dir), 'utf8')).toBe(newer);
  });

  it('keeps the unknown keys and the version of a newer-minor file it rewrites', async () => {
    await writer.writeEquipmentJson(dir, CONFOCAL, FIRST);
    const newer = { ...((await readJson(equipmentJsonPath(dir))) as object), schema_version: '1.2', serial_number: 'SN-42' };
    await writeFile(equipmentJsonPath(dir), JSON.stringify(newer));
    await writer.writeEquipmentJson(dir, CONFOCAL, LATER);
    expect(await readEquipmentJson(dir)).toMatchObject({
      schema_version: '1.2',
      serial_number: 'SN-42',
      first_seen_at: '2026-01-05T09:00:00Z',
      last_modified_at: '2026-04-17T14:32:59Z',
    });
  });

  it('never moves last_modified_at backwards when an older write lands after a newer one', async () => {
    await writer.writeEquipmentJson(dir, CONFOCAL, LATER);
    const record = await writer.writeEquipmentJson(dir, { ...CONFOCAL, label: 'Confocal (renamed)' }, FIRST);
    expect(record).toMatchObject({ label: 'Confocal (renamed)', last_modified_at: '2026-04-17T14:32:59Z' });
    expect(await readEquipmentJson(dir)).toMatchObject({ last_modified_at: '2026-04-17T14:32:59Z' });
  });

  it('defaults now to the writer clock', async () => {
    const record = await new CacheWriter({ clock: () => LATER }).writeEquipmentJson(dir, CONFOCAL);
    expect(record.last_modified_at).toBe('2026-04-17T14:32:59Z');
  });

  it('leaves no temporary file behind', async () => {
    await writer.writeEquipmentJson(dir, CONFOCAL, FIRST);
    await writer.writeEquipmentJson(dir, CONFOCAL, LATER);
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['equipment.json']);
  });
});

describe('CacheWriter.writeRunKindMarkerOnce', () => {
  it('writes Runs/.exlab-wizard/runs.json for the first experimental run', async () => {
    expect(await writer.writeRunKindMarkerOnce(dir, 'experimental', 'Cortex Q3 Pilot', 'CONFOCAL_01', LATER)).toBe(true);
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
    expect(await writer.writeRunKindMarkerOnce(dir, 'test', 'P', 'CONFOCAL_01', LATER)).toBe(true);
    expect(runKindMarkerPath(dir, 'test')).toBe(join(dir, 'TestRuns', '.exlab-wizard', 'test_runs.json'));
    expect(await readJson(runKindMarkerPath(dir, 'test'))).toMatchObject({ run_kind: 'test', schema_version: '1.0' });
  });

  it('returns false on later runs and leaves the marker byte-identical', async () => {
    await writer.writeRunKindMarkerOnce(dir, 'experimental', 'P', 'CONFOCAL_01', FIRST);
    const before = await readFile(runKindMarkerPath(dir, 'experimental'));
    expect(await writer.writeRunKindMarkerOnce(dir, 'experimental', 'Other', 'FLOW_01', LATER)).toBe(false);
    expect((await readFile(runKindMarkerPath(dir, 'experimental'))).equals(before)).toBe(true);
    expect(await readdir(join(dir, 'Runs', '.exlab-wizard'))).toEqual(['runs.json']);
  });

  it('reads the marker back, and refuses another major version', async () => {
    await writer.writeRunKindMarkerOnce(dir, 'test', 'P', 'CONFOCAL_01', LATER);
    expect(await readRunKindMarker(dir, 'test')).toMatchObject({ run_kind: 'test', project: 'P' });
    await writeFile(runKindMarkerPath(dir, 'test'), JSON.stringify({ schema_version: '2.0', run_kind: 'test' }));
    await expect(readRunKindMarker(dir, 'test')).rejects.toMatchObject({ code: 'schema_major_mismatch' });
  });

  it('keeps the two kinds independent', async () => {
    expect(await writer.writeRunKindMarkerOnce(dir, 'experimental', 'P', 'E', FIRST)).toBe(true);
    expect(await writer.writeRunKindMarkerOnce(dir, 'test', 'P', 'E', FIRST)).toBe(true);
    expect(await writer.writeRunKindMarkerOnce(dir, 'test', 'P', 'E', LATER)).toBe(false);
  });

  it('lets exactly one of several concurrent first runs write the marker', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => writer.writeRunKindMarkerOnce(dir, 'test', `P${i}`, 'E', LATER)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readJson(runKindMarkerPath(dir, 'test'))).toMatchObject({ project: `P${results.indexOf(true)}` });
  });

  it('passes on errors other than an existing marker', async () => {
    await writeFile(join(dir, 'Runs'), 'a file where the Runs folder should be');
    await expect(writer.writeRunKindMarkerOnce(dir, 'experimental', 'P', 'E', LATER)).rejects.toMatchObject({
      code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/),
    });
  });
});
