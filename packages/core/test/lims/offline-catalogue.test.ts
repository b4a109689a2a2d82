import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExLabError } from '@exlab/core/errors';
import { readOfflineCatalogue } from '@exlab/core/lims';

const CATALOGUE = {
  schema_version: '1.0',
  produced_by: 'lims-export 2.3',
  produced_at: '2026-04-17T06:00:00Z',
  lims_endpoint: 'https://lims.example.org/api',
  projects: [
    {
      uid: '0f8fad5b-d9cb-469f-a165-70867728950e',
      short_id: 'PROJ-0042',
      name: 'Cortex Q3 Pilot',
      status: 'active',
      owner: 'ada',
      contact: null,
      members: ['ada', 'grace'],
    },
    { uid: 'u-2', short_id: 'PROJ-0043', name: 'Retina Atlas' },
  ],
};

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-catalogue-'));
  file = join(dir, 'catalogue.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(content: unknown): Promise<ExLabError> {
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  const error: unknown = await readOfflineCatalogue(file).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('readOfflineCatalogue', () => {
  it('reads a valid catalogue with full and minimal projects', async () => {
    await writeFile(file, JSON.stringify(CATALOGUE));
    expect(await readOfflineCatalogue(file)).toEqual(CATALOGUE);
  });

  it('keeps unknown keys of the catalogue and its projects', async () => {
    const extended = { ...CATALOGUE, region: 'eu', projects: [{ ...CATALOGUE.projects[1], budget_code: 'B7' }] };
    await writeFile(file, JSON.stringify(extended));
    expect(await readOfflineCatalogue(file)).toEqual(extended);
  });

  it('accepts an empty project list', async () => {
    await writeFile(file, JSON.stringify({ ...CATALOGUE, projects: [] }));
    expect((await readOfflineCatalogue(file)).projects).toEqual([]);
  });

  it('rejects a catalogue without projects, naming the field and the file', async () => {
    const { projects: _omit, ...rest } = CATALOGUE;
    const error = await rejection(rest);
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe('projects');
    expect(error.message).toContain(file);
    expect(error.details?.file).toBe(file);
  });

  it('rejects a project without a short id, naming its index', async () => {
    const error = await rejection({ ...CATALOGUE, projects: [CATALOGUE.projects[0], { uid: 'u-3', name: 'No id' }] });
    expect(error.field).toBe('projects[1].short_id');
  });

  it('rejects a project with an empty name', async () => {
    expect((await rejection({ ...CATALOGUE, projects: [{ uid: 'u', short_id: 'PROJ-1', name: '' }] })).field).toBe('projects[0].name');
  });

  it('rejects an unparseable produced_at', async () => {
    expect((await rejection({ ...CATALOGUE, produced_at: 'this morning' })).field).toBe('produced_at');
  });

  it('rejects members that are not a list of names', async () => {
    expect((await rejection({ ...CATALOGUE, projects: [{ uid: 'u', short_id: 'PROJ-1', name: 'N', members: 'ada' }] })).field).toBe(
      'projects[0].members',
    );
  });

  it('rejects a file that is not JSON', async () => {
    const error = await rejection('projects: []');
    expect(error.code).toBe('cache_file_invalid');
    expect(error.message).toContain('not valid JSON');
  });

  it('fails with ENOENT when the catalogue file is missing', async () => {
    await expect(readOfflineCatalogue(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
