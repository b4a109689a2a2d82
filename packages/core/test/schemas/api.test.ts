import { describe, expect, it } from 'vitest';
import { CreateSessionRequestSchema, RunCreateRequestSchema, zodIssues, type RunCreateRequestInput } from '@exlab/core/schemas';

const minimal: RunCreateRequestInput = {
  kind: 'run',
  equipment_id: 'CONFOCAL_01',
  project_name: 'Cortex Q3 Pilot',
  template_path: 'imaging_run',
  label: 'Pilot scan',
  operator: 'ada',
  objective: 'Check the staining.',
};

function problemPaths(body: unknown): string[] {
  const result = RunCreateRequestSchema.safeParse(body);
  expect(result.success).toBe(false);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
}

describe('RunCreateRequestSchema', () => {
  it('applies run_kind experimental and empty variables, readme_extra and readme_custom_fields by default', () => {
    expect(RunCreateRequestSchema.parse(minimal)).toEqual({
      ...minimal,
      run_kind: 'experimental',
      variables: {},
      readme_extra: {},
      readme_custom_fields: [],
    });
  });

  it('keeps every field a full request gives', () => {
    const full = {
      ...minimal,
      run_kind: 'test',
      run_date: '2026-04-17T14:32:59+02:00',
      lims_project: { uid: 'u-1', short_id: 'PROJ-0042', name: 'Cortex Q3 Pilot' },
      variables: { sample_id: 'S-1', laser_power_pct: 5.5, z_stack: true, tags: ['a'], extra: { k: 1 }, note: null },
      readme_extra: { buffer: 'PBS' },
      readme_custom_fields: [{ label: 'Collaborator', value: 'Dr. J. Lee' }],
    };
    expect(RunCreateRequestSchema.parse(full)).toEqual(full);
  });

  it('accepts test as a run kind and rejects anything else', () => {
    expect(RunCreateRequestSchema.parse({ ...minimal, run_kind: 'test' }).run_kind).toBe('test');
    expect(problemPaths({ ...minimal, run_kind: 'pilot' })).toEqual(['run_kind']);
  });

  it('rejects an unknown field at its own path', () => {
    const result = RunCreateRequestSchema.safeParse({ ...minimal, project_short_id: 'PROJ-1' });
    expect(result.success).toBe(false);
    expect(zodIssues(result.error!)).toEqual([expect.objectContaining({ path: 'project_short_id', code: 'unrecognized_keys' })]);
  });

  it('rejects an unknown field inside lims_project', () => {
    expect(problemPaths({ ...minimal, lims_project: { uid: 'u', short_id: 'PROJ-1', name: 'P', owner: 'x' } })).toEqual([
      'lims_project.owner',
    ]);
  });

  it('rejects a blank LIMS uid after trimming', () => {
    expect(problemPaths({ ...minimal, lims_project: { uid: '   ', short_id: 'PROJ-1', name: 'P' } })).toEqual(['lims_project.uid']);
  });

  it('rejects a missing required field and an empty template path', () => {
    const { operator: _omit, ...noOperator } = minimal;
    expect(problemPaths(noOperator)).toEqual(['operator']);
    expect(problemPaths({ ...minimal, template_path: '' })).toEqual(['template_path']);
  });

  it('rejects a run date without a time or with a bad form', () => {
    expect(problemPaths({ ...minimal, run_date: '2026-04-17' })).toEqual(['run_date']);
    expect(problemPaths({ ...minimal, run_date: 'now' })).toEqual(['run_date']);
  });

  it('rejects a variable whose value is undefined', () => {
    expect(problemPaths({ ...minimal, variables: { x: undefined } })).toEqual(['variables.x']);
  });

  it('rejects a body whose kind is not run', () => {
    expect(problemPaths({ ...minimal, kind: 'project' })).toEqual(['kind']);
  });
});

describe('CreateSessionRequestSchema', () => {
  it('dispatches a run body to the run schema', () => {
    expect(CreateSessionRequestSchema.parse(minimal)).toMatchObject({ kind: 'run', run_kind: 'experimental' });
  });

  it('rejects an unknown kind', () => {
    expect(CreateSessionRequestSchema.safeParse({ ...minimal, kind: 'equipment' }).success).toBe(false);
  });
});
