import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeOverrides, creationJsonPath, parseCreationJson, readCreationJson } from '@exlab/core/cache';
import { ExLabError, SchemaMajorMismatchError } from '@exlab/core/errors';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A creation.json fixture of this folder, parsed but not yet read as creation.json. */
function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
}

function refusal(run: () => unknown): ExLabError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ExLabError);
    return error as ExLabError;
  }
  throw new ExLabError('internal_error', 'expected the reader to refuse the file');
}

const FILE = '/lab/CONFOCAL_01/P/Runs/Run_X/.exlab-wizard/creation.json';

describe('parseCreationJson on older minor versions', () => {
  it('reads a 1.0 file as an experimental run with no overrides, no LIMS link and no orchestrator block', () => {
    const creation = parseCreationJson(fixture('creation-1.0.json'), FILE);
    expect(creation).toMatchObject({
      schema_version: '1.0',
      run_kind: 'experimental',
      validation_overrides: [],
      lims_project: null,
      orchestrator: null,
      sync_status: 'synced',
    });
    expect(creation.plugins_applied[0]).not.toHaveProperty('isolation');
  });

  it('reads a 1.4 file as 1.3: lims_status is dropped and ids are given to its overrides', () => {
    const creation = parseCreationJson(fixture('creation-1.4.json'), FILE);
    expect(creation).not.toHaveProperty('lims_status');
    expect(creation.run_kind).toBe('test');
    expect(creation.lims_project).toBeNull();
    for (const entry of creation.validation_overrides) expect(entry.id).toMatch(UUID_V4);
  });

  it('turns a pre-1.6 in-place revocation into the override plus a tombstone naming it', () => {
    const [kept, revokedOverride, tombstone] = parseCreationJson(fixture('creation-1.4.json'), FILE).validation_overrides;
    expect(kept).toMatchObject({ problem_class: 'leftover_jinja_marker', revoked: false });
    expect(revokedOverride).toMatchObject({ problem_class: 'unresolved_placeholder_token', operator: 'bjones', revoked: false });
    expect(tombstone).toMatchObject({
      revokes: revokedOverride?.id,
      operator: 'bjones',
      recorded_at: '2025-09-12T11:00:00Z',
      revoked: true,
    });
    const active = activeOverrides(
      parseCreationJson(fixture('creation-1.4.json'), FILE).validation_overrides,
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(active.map((entry) => entry.problem_class)).toEqual(['leftover_jinja_marker']);
  });

  it('reads a 1.5 lims_project without source as live with a null freshness', () => {
    expect(parseCreationJson(fixture('creation-1.5.json'), FILE).lims_project).toEqual({
      uid: '8c7e9d2f-1a4b-4e6c-9b3d-7f2a1e5d8c4b',
      short_id: 'PROJ-0042',
      name_at_creation: 'Cortex Q3 Pilot',
      source: 'live',
      cache_freshness_at_use: null,
    });
  });

  it('gives an override without an id a UUID v4, the same one on every read, and keeps ids that exist', () => {
    const first = parseCreationJson(fixture('creation-1.6.json'), FILE).validation_overrides;
    const second = parseCreationJson(fixture('creation-1.6.json'), FILE).validation_overrides;
    expect(first[0]?.id).toMatch(UUID_V4);
    expect(second[0]?.id).toBe(first[0]?.id);
    expect(first[1]?.id).toBe('f3a91e2c-5d6b-4a7e-8c9d-1e2f3a4b5c6d');
    expect(first[0]?.id).not.toBe(first[1]?.id);
  });

  it('reads a 1.7 override with its expires_at and the lims_project defaults of 1.8', () => {
    const creation = parseCreationJson(fixture('creation-1.7.json'), FILE);
    expect(creation.validation_overrides[0]).toMatchObject({ expires_at: '2026-08-03T09:14:22Z', revoked: false });
    expect(creation.lims_project).toMatchObject({ source: 'live', cache_freshness_at_use: null });
    expect(activeOverrides(creation.validation_overrides, new Date('2026-08-03T09:14:21Z'))).toHaveLength(1);
    expect(activeOverrides(creation.validation_overrides, new Date('2026-08-03T09:14:22Z'))).toHaveLength(0);
  });

  it('requires a field once its minor has it: a 1.2 file without validation_overrides is cache_file_invalid naming it', () => {
    const { validation_overrides: _omit, ...rest } = fixture('creation-1.4.json');
    const error = refusal(() => parseCreationJson({ ...rest, schema_version: '1.2' }, FILE));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe('validation_overrides');
  });

  it.each([
    ['lims_project', '1.5'],
    ['lims_project', '1.9'],
    ['orchestrator', '1.9'],
    ['created_by', '1.0'],
  ])('rejects a missing %s at %s as cache_file_invalid naming the field', (field, version) => {
    const document: Record<string, unknown> = { ...fixture('creation-1.9-extra-keys.json'), schema_version: version };
    delete document[field];
    const error = refusal(() => parseCreationJson(document, FILE));
    expect(error.code).toBe('cache_file_invalid');
    expect(error.field).toBe(field);
    expect(error.details).toMatchObject({ file: FILE });
  });
});

describe('parseCreationJson on newer versions', () => {
  it('keeps unknown top-level and nested keys of a 1.9 file', () => {
    const creation = parseCreationJson(fixture('creation-1.9-extra-keys.json'), FILE);
    expect(creation.relay_chain).toEqual([{ hop: 1, host: 'relay-1' }]);
    expect(creation.retention_policy).toBe('keep-10y');
    expect(creation.lims_project?.lims_region).toBe('eu-1');
    expect(Object.keys(creation).slice(-2)).toEqual(['relay_chain', 'retention_policy']);
  });

  it('reads a newer minor (1.12) by ignoring the fields it does not know', () => {
    const creation = parseCreationJson({ ...fixture('creation-1.9-extra-keys.json'), schema_version: '1.12', audit_chain: ['a'] }, FILE);
    expect(creation.schema_version).toBe('1.12');
    expect(creation.audit_chain).toEqual(['a']);
    expect(creation.sync_status).toBe('pending');
  });

  it.each(['2.0', '3.7'])('refuses schema_version "%s" with schema_major_mismatch naming what it found', (version) => {
    const error = refusal(() => parseCreationJson(fixture(`creation-${version}.json`), FILE));
    expect(error).toBeInstanceOf(SchemaMajorMismatchError);
    expect(error.code).toBe('schema_major_mismatch');
    expect(error.status).toBe(422);
    expect(error.field).toBe('schema_version');
    expect(error.details).toEqual({ expected_major: 1, found: version, file: FILE });
  });

  it.each([
    ['missing', undefined, null],
    ['a number', 1.9, '1.9'],
    ['a bare major', '1', '1'],
    ['a v prefix', 'v1.9', 'v1.9'],
    ['three parts', '1.9.0', '1.9.0'],
    ['empty', '', ''],
    ['major 0', '0.9', '0.9'],
  ])('refuses a schema_version that is %s with schema_major_mismatch', (_label, version, found) => {
    const document: Record<string, unknown> = { ...fixture('creation-1.9-extra-keys.json'), schema_version: version };
    if (version === undefined) delete document.schema_version;
    const error = refusal(() => parseCreationJson(document, FILE));
    expect(error.code).toBe('schema_major_mismatch');
    expect(error.details).toEqual({ expected_major: 1, found, file: FILE });
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', '1.9'],
  ])('rejects a document that is %s as cache_file_invalid', (_label, raw) => {
    expect(refusal(() => parseCreationJson(raw, FILE)).code).toBe('cache_file_invalid');
  });
});

describe('readCreationJson', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exlab-creation-read-'));
    await mkdir(join(dir, '.exlab-wizard'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and migrates the folder creation.json', async () => {
    await writeFile(creationJsonPath(dir), JSON.stringify(fixture('creation-1.0.json')));
    expect(await readCreationJson(dir)).toMatchObject({ run_kind: 'experimental', validation_overrides: [] });
  });

  it('refuses a "2.0" file with found set and the file named', async () => {
    await writeFile(creationJsonPath(dir), JSON.stringify(fixture('creation-2.0.json')));
    await expect(readCreationJson(dir)).rejects.toMatchObject({
      code: 'schema_major_mismatch',
      details: { expected_major: 1, found: '2.0', file: creationJsonPath(dir) },
    });
  });
});
