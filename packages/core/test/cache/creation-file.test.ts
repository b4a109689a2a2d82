import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter, creationJsonPath, readCreationJson, type CreationJsonBody } from '@exlab/core/cache';
import { ExLabError } from '@exlab/core/errors';

/** The body of a full 1.9 creation.json (the schemas fixture without its version). */
function body(): CreationJsonBody {
  const { schema_version: _version, ...rest } = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'schemas', 'fixtures', 'creation-1.9.json'), 'utf8'),
  ) as Record<string, unknown>;
  return rest as CreationJsonBody;
}

let dir: string;
const writer = new CacheWriter();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-creation-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<ExLabError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('creationJsonPath', () => {
  it('is .exlab-wizard/creation.json inside the folder', () => {
    expect(creationJsonPath('/data/lab/CONFOCAL_01/P')).toBe(join('/data/lab/CONFOCAL_01/P', '.exlab-wizard', 'creation.json'));
  });
});

describe('CacheWriter.createCreation', () => {
  it('writes schema_version 1.9 as the first key, then every field in schema order', async () => {
    const written = await writer.createCreation(dir, body());
    const text = await readFile(creationJsonPath(dir), 'utf8');
    expect(text.startsWith('{\n  "schema_version": "1.9",\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    const onDisk = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(onDisk)).toEqual([
      'schema_version',
      'created_at',
      'created_by',
      'level',
      'run_kind',
      'lims_project',
      'template',
      'variables',
      'paths',
      'plugins_applied',
      'orchestrator',
      'sync_status',
      'validation_overrides',
    ]);
    expect(onDisk).toEqual({ schema_version: '1.9', ...body() });
    expect(written).toEqual(onDisk);
  });

  it('stamps the current version even when the body carries another one', async () => {
    await writer.createCreation(dir, { ...body(), schema_version: '1.0' } as CreationJsonBody);
    expect((JSON.parse(await readFile(creationJsonPath(dir), 'utf8')) as { schema_version: string }).schema_version).toBe('1.9');
  });

  it('keeps unknown top-level keys after the known ones', async () => {
    await writer.createCreation(dir, { ...body(), relay_hint: 'r1' } as CreationJsonBody);
    const onDisk = JSON.parse(await readFile(creationJsonPath(dir), 'utf8')) as Record<string, unknown>;
    expect(onDisk.relay_hint).toBe('r1');
    expect(Object.keys(onDisk).at(-1)).toBe('relay_hint');
  });

  it('creates the .exlab-wizard folder', async () => {
    await writer.createCreation(join(dir, 'run'), body());
    expect(await readdir(join(dir, 'run', '.exlab-wizard'))).toEqual(['creation.json']);
  });

  it('validates before writing: a bad body is cache_file_invalid naming the field, and nothing is written', async () => {
    const error = await caught(writer.createCreation(dir, { ...body(), sync_status: 'done' } as unknown as CreationJsonBody));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe('sync_status');
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a second write with cache_file_exists and leaves the first file byte-identical', async () => {
    await writer.createCreation(dir, body());
    const first = await readFile(creationJsonPath(dir));
    const error = await caught(writer.createCreation(dir, { ...body(), created_by: 'mallory' }));
    expect(error.code).toBe('cache_file_exists');
    expect(error.status).toBe(409);
    expect(error.details).toEqual({ path: creationJsonPath(dir) });
    expect((await readFile(creationJsonPath(dir))).equals(first)).toBe(true);
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['creation.json']);
  });

  it('refuses to replace a creation.json written by someone else', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(creationJsonPath(dir), 'not even json');
    expect((await caught(writer.createCreation(dir, body()))).code).toBe('cache_file_exists');
    expect(await readFile(creationJsonPath(dir), 'utf8')).toBe('not even json');
  });

  it('lets exactly one of several concurrent creators win', async () => {
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((who) => writer.createCreation(dir, { ...body(), created_by: who })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'cache_file_exists' });
  });
});

describe('readCreationJson', () => {
  it('reads back what writeNewCreationJson wrote', async () => {
    const written = await writer.createCreation(dir, { ...body(), future_key: [1, 2] } as CreationJsonBody);
    expect(await readCreationJson(dir)).toEqual(written);
  });

  it('rejects a file that is not JSON with cache_file_invalid naming the file', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(creationJsonPath(dir), '{"schema_version": "1.9"');
    const error = await caught(readCreationJson(dir));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.details).toEqual({ file: creationJsonPath(dir) });
  });

  it('rejects a file missing a required field, naming it', async () => {
    const { lims_project: _omit, ...rest } = body();
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(creationJsonPath(dir), JSON.stringify({ schema_version: '1.9', ...rest }));
    const error = await caught(readCreationJson(dir));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe('lims_project');
  });

  it('fails with ENOENT when the folder has no creation.json', async () => {
    await expect(readCreationJson(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
