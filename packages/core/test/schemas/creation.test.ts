import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CreationJsonSchema, EquipmentJsonSchema, RunKindMarkerSchema, ValidationOverrideSchema, zodIssues } from '@exlab/core/schemas';

/** A complete creation.json at schema 1.9, as a run of CONFOCAL_01 would write it. */
function fullCreation(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'creation-1.9.json'), 'utf8')) as Record<string, unknown>;
}

/** Dotted paths of the problems zod finds in `value`. */
function problemPaths(value: unknown): string[] {
  const result = CreationJsonSchema.safeParse(value);
  expect(result.success).toBe(false);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
}

describe('CreationJsonSchema', () => {
  it('parses a complete 1.9 creation.json unchanged', () => {
    const document = fullCreation();
    expect(CreationJsonSchema.parse(document)).toEqual(document);
  });

  it('keeps unknown top-level and nested keys written by a newer minor version', () => {
    const document: Record<string, unknown> = { ...fullCreation(), relay_hint: { hop: 2 }, future_flag: true };
    (document.orchestrator as Record<string, unknown>).relay_host = 'relay-1';
    const parsed = CreationJsonSchema.parse(document);
    expect(parsed.relay_hint).toEqual({ hop: 2 });
    expect(parsed.future_flag).toBe(true);
    expect(parsed.orchestrator?.relay_host).toBe('relay-1');
  });

  it('accepts a project-level record without run scope, plugins, overrides or freshness', () => {
    const document = {
      ...fullCreation(),
      level: 'project',
      run_kind: 'experimental',
      template: { name: 'project_basic', version: '0.1.0', source_path: '/t/project_basic' },
      lims_project: { uid: 'u1', short_id: 'PROJ-1', name_at_creation: 'P', source: 'live', cache_freshness_at_use: null },
      plugins_applied: [],
      orchestrator: { enabled: false, host: '', label: '' },
      validation_overrides: [],
    };
    expect(CreationJsonSchema.safeParse(document).success).toBe(true);
  });

  it('accepts a naive created_at as UTC', () => {
    expect(CreationJsonSchema.safeParse({ ...fullCreation(), created_at: '2026-04-17T14:32:59' }).success).toBe(true);
  });

  it.each([
    ['sync_status', 'done'],
    ['level', 'equipment'],
    ['run_kind', 'Test'],
  ])('rejects %s = %j', (field, value) => {
    expect(problemPaths({ ...fullCreation(), [field]: value })).toEqual([field]);
  });

  it('rejects a LIMS source of "manual"', () => {
    const document = fullCreation();
    (document.lims_project as Record<string, unknown>).source = 'manual';
    expect(problemPaths(document)).toEqual(['lims_project.source']);
  });

  it('rejects an unknown plugin status and an unknown completeness signal at their paths', () => {
    const document = fullCreation();
    (document.plugins_applied as Record<string, unknown>[])[1]!.status = 'crashed';
    (document.orchestrator as Record<string, unknown>).completeness_signal = 'timer';
    expect(problemPaths(document).sort()).toEqual(['orchestrator.completeness_signal', 'plugins_applied[1].status']);
  });

  it('rejects a schema_version that is not major.minor', () => {
    expect(problemPaths({ ...fullCreation(), schema_version: '1' })).toEqual(['schema_version']);
    expect(problemPaths({ ...fullCreation(), schema_version: 1.9 })).toEqual(['schema_version']);
  });

  it('rejects an unparseable created_at', () => {
    expect(problemPaths({ ...fullCreation(), created_at: '17/04/2026' })).toEqual(['created_at']);
  });

  it('rejects a record missing a required block', () => {
    const { orchestrator: _omit, ...rest } = fullCreation();
    expect(problemPaths(rest)).toEqual(['orchestrator']);
  });

  it('rejects an empty local path', () => {
    expect(problemPaths({ ...fullCreation(), paths: { local: '', nas: '' } })).toEqual(['paths.local']);
  });
});

describe('ValidationOverrideSchema', () => {
  const override = {
    id: 'ov-1',
    problem_class: 'leftover_jinja_marker',
    operator: 'ada',
    recorded_at: '2026-04-17T15:00:00Z',
    reason: 'Intentional braces in the protocol text.',
    revoked: false,
  };
  const tombstone = {
    id: 'ov-2',
    revokes: 'ov-1',
    operator: 'ada',
    recorded_at: '2026-04-18T15:00:00Z',
    reason: 'No longer true.',
    revoked: true,
  };

  it('reads revoked:false as an override and revoked:true as a tombstone', () => {
    expect(ValidationOverrideSchema.parse(override)).toEqual(override);
    expect(ValidationOverrideSchema.parse(tombstone)).toEqual(tombstone);
    expect(ValidationOverrideSchema.parse({ ...override, expires_at: '2026-05-01T00:00:00Z' })).toMatchObject({
      expires_at: '2026-05-01T00:00:00Z',
    });
  });

  it('rejects a tombstone that does not name the override it revokes', () => {
    const { revokes: _omit, ...withoutTarget } = tombstone;
    const result = ValidationOverrideSchema.safeParse(withoutTarget);
    expect(result.success).toBe(false);
    expect(zodIssues(result.error!).map((i) => i.path)).toEqual(['revokes']);
  });

  it('rejects an override of a soft rule', () => {
    const result = ValidationOverrideSchema.safeParse({ ...override, problem_class: 'orphan' });
    expect(result.success).toBe(false);
    expect(zodIssues(result.error!).map((i) => i.path)).toEqual(['problem_class']);
  });

  it('rejects an entry without a revoked flag', () => {
    const { revoked: _omit, ...noFlag } = override;
    expect(ValidationOverrideSchema.safeParse(noFlag).success).toBe(false);
  });

  it('rejects an unparseable expiry', () => {
    expect(ValidationOverrideSchema.safeParse({ ...override, expires_at: 'next week' }).success).toBe(false);
  });
});

describe('marker and equipment schemas', () => {
  it('accepts a run-kind marker at any 1.x minor (§11.9.2) and refuses another major', () => {
    const marker = { schema_version: '1.0', run_kind: 'test', created_at: '2026-04-17T14:32:59Z', project: 'P', equipment: 'CONFOCAL_01' };
    expect(RunKindMarkerSchema.parse(marker)).toEqual(marker);
    expect(RunKindMarkerSchema.safeParse({ ...marker, schema_version: '1.1' }).success).toBe(true);
    expect(RunKindMarkerSchema.safeParse({ ...marker, schema_version: '2.0' }).success).toBe(false);
  });

  it('accepts equipment.json at any 1.x minor and refuses another major', () => {
    const record = {
      schema_version: '1.0',
      id: 'CONFOCAL_01',
      label: 'Confocal',
      configured_local_root: '/data/lab',
      configured_nas_root: '/nas',
      first_seen_at: '2026-01-01T00:00:00Z',
      last_modified_at: '2026-04-17T14:32:59Z',
    };
    expect(EquipmentJsonSchema.parse(record)).toEqual(record);
    expect(EquipmentJsonSchema.safeParse({ ...record, schema_version: '2.0' }).success).toBe(false);
  });
});
