import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExLabError } from '@exlab/core/errors';
import { parseWithSchema, readJsonFile, readYamlFile } from '@exlab/core/io';

const CatalogueSchema = z.strictObject({
  name: z.string(),
  count: z.number().int().default(0),
  items: z.array(z.strictObject({ id: z.string(), size: z.number() })),
});

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-read-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ExLabError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('readJsonFile', () => {
  it('returns the parsed and validated value with schema defaults applied', async () => {
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ name: 'lab', items: [{ id: 'a', size: 1 }] }));
    expect(await readJsonFile(file, CatalogueSchema)).toEqual({ name: 'lab', count: 0, items: [{ id: 'a', size: 1 }] });
  });

  it('rejects text that is not JSON with cache_file_invalid naming the file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"name": "lab",');
    const error = await rejection(readJsonFile(file, CatalogueSchema));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');
    expect(error.details).toEqual({ file });
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects a schema mismatch naming the file and the dotted field', async () => {
    const file = join(dir, 'c.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'lab',
        items: [
          { id: 'a', size: 1 },
          { id: 'b', size: 'big' },
        ],
      }),
    );
    const error = await rejection(readJsonFile(file, CatalogueSchema));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe('items[1].size');
    expect(error.message).toContain(file);
    expect(error.message).toContain('items[1].size');
    expect(error.details?.file).toBe(file);
    expect(error.details?.issues).toEqual([
      expect.objectContaining({ path: 'items[1].size', code: 'invalid_type', loc: ['items', 1, 'size'] }),
    ]);
  });

  it('reports an unknown key at its own path', async () => {
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ name: 'lab', items: [{ id: 'a', size: 1, colour: 'red' }] }));
    const error = await rejection(readJsonFile(file, CatalogueSchema));
    expect(error.field).toBe('items[0].colour');
    expect(error.message).toContain('unknown field "colour"');
  });

  it('reports a missing required field by name', async () => {
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ items: [] }));
    expect((await rejection(readJsonFile(file, CatalogueSchema))).field).toBe('name');
  });

  it('passes a missing file through as ENOENT', async () => {
    await expect(readJsonFile(join(dir, 'none.json'), CatalogueSchema)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readYamlFile', () => {
  it('returns the parsed and validated YAML', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'name: lab\ncount: 2\nitems:\n  - id: a\n    size: 1.5\n');
    expect(await readYamlFile(file, CatalogueSchema)).toEqual({ name: 'lab', count: 2, items: [{ id: 'a', size: 1.5 }] });
  });

  it('reads YAML 1.2, so yes stays a string', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'name: yes\nitems: []\n');
    expect((await readYamlFile(file, CatalogueSchema)).name).toBe('yes');
  });

  it('rejects text that is not YAML with cache_file_invalid naming the file', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'name: [unclosed\n');
    const error = await rejection(readYamlFile(file, CatalogueSchema));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid YAML');
    expect(error.details).toEqual({ file });
  });

  it('rejects a schema mismatch naming the dotted field', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'name: lab\nitems:\n  - id: 7\n    size: 1\n');
    const error = await rejection(readYamlFile(file, CatalogueSchema));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe('items[0].id');
  });
});

describe('parseWithSchema', () => {
  it('returns the parsed value when it matches', () => {
    expect(parseWithSchema('mem.json', { name: 'x', items: [] }, CatalogueSchema)).toEqual({ name: 'x', count: 0, items: [] });
  });

  it('names the document root in the message and sets no field when the whole document is wrong', () => {
    let caught: unknown;
    try {
      parseWithSchema('mem.json', ['not', 'an', 'object'], CatalogueSchema);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExLabError);
    const error = caught as ExLabError;
    expect(error.code).toBe('cache_file_invalid');
    expect(error.message).toMatch(/^mem\.json: \(root\): /);
    expect(error.field).toBeUndefined();
  });

  it('lists every issue in details and names the first as the field', () => {
    let caught: ExLabError | undefined;
    try {
      parseWithSchema('mem.json', { name: 1, items: 'none' }, CatalogueSchema);
    } catch (error) {
      caught = error as ExLabError;
    }
    expect(caught?.field).toBe('name');
    expect((caught?.details?.issues as { path: string }[]).map((i) => i.path)).toEqual(['name', 'items']);
  });
});
