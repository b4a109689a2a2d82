import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter, parseReadmeFieldsJson, readmeFieldsPath, readReadmeFieldsJson, type ReadmeFieldsBody } from '@exlab/core/cache';
import { ReadmeFieldsJsonSchema } from '@exlab/core/schemas';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-readme-fields-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
}

/** The §11.4 example without its version. */
function body(): ReadmeFieldsBody {
  const { schema_version: _version, ...rest } = fixture('readme-fields-1.1.json');
  return rest as ReadmeFieldsBody;
}

describe('readme_fields.json', () => {
  it('round-trips the §11.4 example through writeReadmeFields and readReadmeFieldsJson', async () => {
    const written = await new CacheWriter().writeReadmeFields(dir, body());
    expect(written).toEqual(fixture('readme-fields-1.1.json'));
    expect(await readReadmeFieldsJson(dir)).toEqual(written);
    expect(ReadmeFieldsJsonSchema.parse(fixture('readme-fields-1.1.json'))).toEqual(fixture('readme-fields-1.1.json'));
  });

  it('writes schema_version 1.1 first, the layers in §11.4 order, and custom fields in the operator order', async () => {
    await new CacheWriter().writeReadmeFields(dir, { ...body(), schema_version: '1.0' } as ReadmeFieldsBody);
    const text = await readFile(readmeFieldsPath(dir), 'utf8');
    expect(text.startsWith('{\n  "schema_version": "1.1",\n')).toBe(true);
    const file = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(file)).toEqual([
      'schema_version',
      'generated_at',
      'core_fields',
      'template_fields',
      'config_fields',
      'custom_fields',
      'system_fields',
    ]);
    expect((file.custom_fields as { label: string }[]).map((field) => field.label)).toEqual(['Collaborator', 'Expected duration (hr)']);
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['readme_fields.json']);
  });

  it('writes a project-level file without run and run_kind, and replaces an earlier file', async () => {
    const writer = new CacheWriter();
    await writer.writeReadmeFields(dir, body());
    const { run: _run, run_kind: _kind, ...projectSystem } = body().system_fields;
    await writer.writeReadmeFields(dir, { ...body(), system_fields: projectSystem });
    const read = await readReadmeFieldsJson(dir);
    expect(read.system_fields).not.toHaveProperty('run');
    expect(read.system_fields).not.toHaveProperty('run_kind');
  });

  it('reads a 1.0 file with empty config and custom layers', () => {
    const read = parseReadmeFieldsJson(fixture('readme-fields-1.0.json'), 'readme_fields.json');
    expect(read).toMatchObject({
      schema_version: '1.0',
      config_fields: {},
      custom_fields: [],
      template_fields: { sample_type: 'Fixed tissue' },
    });
  });

  it('reads a newer minor and refuses another major', async () => {
    expect(parseReadmeFieldsJson({ ...fixture('readme-fields-1.1.json'), schema_version: '1.4', layout: 'wide' }, 'f').layout).toBe('wide');
    await mkdir(join(dir, '.exlab-wizard'));
    await writeFile(readmeFieldsPath(dir), JSON.stringify({ ...fixture('readme-fields-1.1.json'), schema_version: '2.0' }));
    await expect(readReadmeFieldsJson(dir)).rejects.toMatchObject({ code: 'schema_major_mismatch', details: { found: '2.0' } });
  });

  it.each([
    ['a label over 100 characters', { label: 'L'.repeat(101) }, 'field_too_long', 'core_fields.label'],
    ['an objective over 2000 characters', { objective: 'o'.repeat(2001) }, 'field_too_long', 'core_fields.objective'],
    ['a blank operator', { operator: '   ' }, 'validation_failed', 'core_fields.operator'],
  ])('refuses %s and writes nothing', async (_label, change, code, field) => {
    const request = { ...body(), core_fields: { ...body().core_fields, ...change } };
    await expect(new CacheWriter().writeReadmeFields(dir, request)).rejects.toMatchObject({ code, field });
    expect(await readdir(dir)).toEqual([]);
  });

  it('measures the label limit after trimming', async () => {
    const request = { ...body(), core_fields: { ...body().core_fields, label: ` ${'L'.repeat(100)} ` } };
    await expect(new CacheWriter().writeReadmeFields(dir, request)).resolves.toMatchObject({ schema_version: '1.1' });
  });

  it('refuses a field id that breaks the id pattern as cache_file_invalid naming it', async () => {
    const request = { ...body(), template_fields: { 'Sample Type': 'x' } };
    await expect(new CacheWriter().writeReadmeFields(dir, request)).rejects.toMatchObject({
      code: 'cache_file_invalid',
      field: expect.stringContaining('template_fields'),
    });
  });
});
