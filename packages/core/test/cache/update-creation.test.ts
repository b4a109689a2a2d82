import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheWriter, creationJsonPath, readCreationJson, type CreationJsonBody } from '@exlab/core/cache';
import { ExLabError } from '@exlab/core/errors';
import { withFileLock } from '@exlab/core/io';
import type { CreationJson } from '@exlab/core/schemas';
import { recordingLogger } from './recording-logger.js';

/** Every top-level key of a 1.9 creation.json, in the order the writer puts them. */
const KEY_ORDER = [
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
];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exlab-update-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fixtureText(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}

/** Puts a fixture in place as the folder's creation.json and returns its bytes. */
async function install(name: string): Promise<Buffer> {
  await mkdir(join(dir, '.exlab-wizard'), { recursive: true });
  await writeFile(creationJsonPath(dir), fixtureText(name));
  return readFile(creationJsonPath(dir));
}

async function onDisk(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(creationJsonPath(dir), 'utf8')) as Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<ExLabError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExLabError);
  return error as ExLabError;
}

describe('CacheWriter.updateCreation', () => {
  it('rewrites a 1.0 file at 1.9 with every field written out, schema_version first, then schema order', async () => {
    await install('creation-1.0.json');
    const written = await new CacheWriter().setSyncStatus(dir, 'cleaned');
    const file = await onDisk();
    expect(Object.keys(file)).toEqual(KEY_ORDER);
    expect(file).toMatchObject({
      schema_version: '1.9',
      run_kind: 'experimental',
      lims_project: null,
      orchestrator: null,
      sync_status: 'cleaned',
      validation_overrides: [],
    });
    expect(written).toEqual(file);
    expect((await readFile(creationJsonPath(dir), 'utf8')).startsWith('{\n  "schema_version": "1.9",\n')).toBe(true);
  });

  it('writes a default value such as sync_status pending explicitly (no omitted defaults)', async () => {
    await install('creation-1.5.json');
    await new CacheWriter().setSyncStatus(dir, 'pending');
    const file = await onDisk();
    expect(file.sync_status).toBe('pending');
    expect(file.lims_project).toEqual({
      uid: '8c7e9d2f-1a4b-4e6c-9b3d-7f2a1e5d8c4b',
      short_id: 'PROJ-0042',
      name_at_creation: 'Cortex Q3 Pilot',
      source: 'live',
      cache_freshness_at_use: null,
    });
  });

  it('keeps the unknown keys of a 1.9 file, top-level ones after the known keys', async () => {
    await install('creation-1.9-extra-keys.json');
    await new CacheWriter().setSyncStatus(dir, 'synced');
    const file = await onDisk();
    expect(Object.keys(file)).toEqual([...KEY_ORDER, 'relay_chain', 'retention_policy']);
    expect(file.relay_chain).toEqual([{ hop: 1, host: 'relay-1' }]);
    expect(file.retention_policy).toBe('keep-10y');
    expect((file.lims_project as Record<string, unknown>).lims_region).toBe('eu-1');
    expect(file.sync_status).toBe('synced');
  });

  it('drops the retracted 1.4 lims_status and keeps the migrated override ids on disk', async () => {
    await install('creation-1.4.json');
    const ids = (await readCreationJson(dir)).validation_overrides.map((entry) => entry.id);
    await new CacheWriter().setSyncStatus(dir, 'pending');
    const file = await onDisk();
    expect(file).not.toHaveProperty('lims_status');
    expect(file.schema_version).toBe('1.9');
    expect((file.validation_overrides as { id: string }[]).map((entry) => entry.id)).toEqual(ids);
  });

  it('keeps the version and unknown fields of a newer minor rather than stamping an older number on them', async () => {
    await mkdir(join(dir, '.exlab-wizard'));
    const newer = { ...(JSON.parse(fixtureText('creation-1.9-extra-keys.json')) as object), schema_version: '1.12', audit_chain: ['a'] };
    await writeFile(creationJsonPath(dir), JSON.stringify(newer));
    await new CacheWriter().setSyncStatus(dir, 'synced');
    expect(await onDisk()).toMatchObject({ schema_version: '1.12', audit_chain: ['a'], sync_status: 'synced' });
  });

  it('accepts a mutation that returns a replacement document', async () => {
    await install('creation-1.9-extra-keys.json');
    const written = await new CacheWriter().updateCreation(dir, (draft) => ({ ...draft, sync_status: 'failed' }));
    expect(written.sync_status).toBe('failed');
    expect((await onDisk()).sync_status).toBe('failed');
  });

  const forbidden: [string, string, (draft: CreationJson) => void][] = [
    ['created_by', 'created_by', (d) => void (d.created_by = 'mallory')],
    ['a nested path', 'paths', (d) => void (d.paths.local = '/elsewhere')],
    ['run_kind', 'run_kind', (d) => void (d.run_kind = 'test')],
    ['an unknown key', 'relay_chain', (d) => void (d.relay_chain = [])],
    ['a new key', 'note', (d) => void (d.note = 'hello')],
    ['schema_version', 'schema_version', (d) => void (d.schema_version = '1.8')],
    ['a removed field', 'variables', (d) => void delete (d as Partial<CreationJson>).variables],
  ];
  it.each(forbidden)('refuses a mutation of %s with validation_failed naming %s, and writes nothing', async (_label, field, mutate) => {
    const before = await install('creation-1.9-extra-keys.json');
    const error = await rejection(new CacheWriter().updateCreation(dir, mutate));
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe(field);
    expect(error.message).toContain('only sync_status and validation_overrides may');
    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
  });

  it('refuses to edit or remove an existing override entry (append-only), naming the entry', async () => {
    const before = await install('creation-1.7.json');
    const writer = new CacheWriter();
    const edit = await rejection(
      writer.updateCreation(dir, (d) => {
        d.validation_overrides[0]!.reason = 'rewritten history';
      }),
    );
    expect(edit).toMatchObject({ code: 'validation_failed', field: 'validation_overrides[0]' });
    const removal = await rejection(
      writer.updateCreation(dir, (d) => {
        d.validation_overrides.pop();
      }),
    );
    expect(removal).toMatchObject({ code: 'validation_failed', field: 'validation_overrides[0]' });
    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
  });

  it('refuses a value the schema does not allow as cache_file_invalid naming the field, and writes nothing', async () => {
    const before = await install('creation-1.9-extra-keys.json');
    const error = await rejection(new CacheWriter().updateCreation(dir, (d) => void Object.assign(d, { sync_status: 'done' })));
    expect(error).toMatchObject({ code: 'cache_file_invalid', field: 'sync_status' });
    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
  });

  it('leaves the file untouched when the mutation throws', async () => {
    const before = await install('creation-1.9-extra-keys.json');
    const boom = new ExLabError('internal_error', 'mutation failed');
    await expect(
      new CacheWriter().updateCreation(dir, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
    expect(await readdir(join(dir, '.exlab-wizard'))).toEqual(['creation.json']);
  });

  it('refuses a "3.7" file with schema_major_mismatch and leaves it unchanged', async () => {
    const before = await install('creation-3.7.json');
    const error = await rejection(new CacheWriter().setSyncStatus(dir, 'synced'));
    expect(error).toMatchObject({ code: 'schema_major_mismatch', details: { found: '3.7', expected_major: 1 } });
    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
  });

  it('fails with ENOENT for a folder that has no creation.json', async () => {
    await expect(new CacheWriter().setSyncStatus(dir, 'synced')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with lock_timeout while another holder keeps the lock, writing nothing', async () => {
    const before = await install('creation-1.9-extra-keys.json');
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding!: () => void;
    const isHeld = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const holder = withFileLock(creationJsonPath(dir), async () => {
      holding();
      await held;
    });
    await isHeld;
    const error = await rejection(new CacheWriter({ lockTimeoutMs: 100 }).setSyncStatus(dir, 'synced'));
    expect(error).toMatchObject({ code: 'lock_timeout', details: { path: creationJsonPath(dir), timeout_ms: 100 } });
    expect((await readFile(creationJsonPath(dir))).equals(before)).toBe(true);
    release();
    await holder;
  });

  it('logs a lock compromised mid-cycle as a WARN and still finishes the write', async () => {
    await install('creation-1.9-extra-keys.json');
    const logger = recordingLogger();
    const writer = new CacheWriter({ logger, staleMs: 2_000 });
    const written = await writer.updateCreation(dir, async (draft) => {
      // Someone removes our lock; the lock's next refresh notices and reports it.
      const warned = logger.nextWarning();
      await rm(`${creationJsonPath(dir)}.lock`, { recursive: true });
      await warned;
      draft.sync_status = 'synced';
    });
    expect(written.sync_status).toBe('synced');
    expect((await onDisk()).sync_status).toBe('synced');
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.msg).toMatch(/lock on .*creation\.json was compromised/);
  });

  it('serialises concurrent updates in one process so every appended entry survives', async () => {
    await install('creation-1.9-extra-keys.json');
    const writer = new CacheWriter();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        writer.appendOverride(dir, { problem_class: 'leftover_jinja_marker', operator: 'ada', reason: `concurrent reason number ${i}` }),
      ),
    );
    const reasons = (await readCreationJson(dir)).validation_overrides.map((entry) => entry.reason).sort();
    expect(reasons).toEqual(Array.from({ length: 10 }, (_, i) => `concurrent reason number ${i}`).sort());
  });
});

describe('CacheWriter.createCreation', () => {
  it('returns the document it wrote, which reads back unchanged', async () => {
    const body = JSON.parse(fixtureText('creation-1.9-extra-keys.json')) as CreationJsonBody;
    const written = await new CacheWriter().createCreation(dir, body);
    expect(await readCreationJson(dir)).toEqual(written);
    expect(Object.keys(await onDisk())).toEqual([...KEY_ORDER, 'relay_chain', 'retention_policy']);
  });

  it('requires the LIMS project and the orchestrator block of a new creation', async () => {
    const body = JSON.parse(fixtureText('creation-1.9-extra-keys.json')) as Record<string, unknown>;
    const writer = new CacheWriter();
    for (const field of ['lims_project', 'orchestrator']) {
      const error = await rejection(writer.createCreation(dir, { ...body, [field]: null } as unknown as CreationJsonBody));
      expect(error).toMatchObject({ code: 'cache_file_invalid', field });
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
