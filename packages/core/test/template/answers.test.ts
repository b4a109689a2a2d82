import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TemplateLoadError, ValidationError } from '@exlab/core/errors';
import { loadTemplateManifest, resolveAnswers, type TemplateManifest } from '@exlab/core/template';
import { FIXTURE_TEMPLATES, makeTempDir, writeTemplate } from './template-fixtures.js';

const BASE_CONTEXT = {
  label: 'Pilot',
  operator: 'ada',
  objective: 'Check',
  project_name: 'Cortex Q3 Pilot',
  project_short_id: 'PROJ-0042',
  run_kind: 'test',
};

let base: string;
let runBoth: TemplateManifest;

beforeEach(async () => {
  base = await makeTempDir('answers');
  runBoth = await loadTemplateManifest(join(FIXTURE_TEMPLATES, 'run_both'));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function manifestOf(body: string): Promise<TemplateManifest> {
  return loadTemplateManifest(await writeTemplate(base, 'tpl', `_exlab_type: project\n_exlab_version: '1.0'\n${body}`));
}

function failure(manifest: TemplateManifest, provided: Record<string, unknown>): ValidationError {
  try {
    resolveAnswers(manifest, provided, BASE_CONTEXT);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected resolveAnswers to fail');
}

describe('resolveAnswers', () => {
  it('uses every default, rendering templated ones, in question order', () => {
    const answers = resolveAnswers(runBoth, {}, BASE_CONTEXT);
    expect(answers).toEqual({
      sample_id: 'S-001',
      run_id: 'run_001',
      cycles: 3,
      laser_power_pct: 5,
      z_stack: true,
      objective_lens: '40x oil',
      slug: 'S-001-run_001',
      markup: 'plain',
      optional_dir: '',
      lims_token: 'not-a-real-token',
    });
    expect(Object.keys(answers)).toEqual(runBoth.questions.map((q) => q.name));
  });

  it('lets a provided answer win over the default', () => {
    expect(resolveAnswers(runBoth, { run_id: 'r7', objective_lens: '10x air' }, BASE_CONTEXT)).toMatchObject({
      run_id: 'r7',
      objective_lens: '10x air',
    });
  });

  it('renders a templated default with earlier provided answers', () => {
    expect(resolveAnswers(runBoth, { sample_id: 'S-9', run_id: 'r2' }, BASE_CONTEXT).slug).toBe('S-9-r2');
  });

  it('does not render a provided answer that looks like a template', () => {
    expect(resolveAnswers(runBoth, { slug: '{{ sample_id }}' }, BASE_CONTEXT).slug).toBe('{{ sample_id }}');
  });

  it('renders a templated default with the base context', async () => {
    const manifest = await manifestOf("folder:\n  default: '{{ project_short_id }}_{{ operator }}'\n");
    expect(resolveAnswers(manifest, {}, BASE_CONTEXT)).toEqual({ folder: 'PROJ-0042_ada' });
  });

  it('treats an undefined answer as not given', () => {
    expect(resolveAnswers(runBoth, { run_id: undefined }, BASE_CONTEXT).run_id).toBe('run_001');
  });

  it('ignores answers to questions the template does not ask', () => {
    expect(resolveAnswers(runBoth, { unknown: 1 }, BASE_CONTEXT)).not.toHaveProperty('unknown');
  });

  it('fails with validation_failed on variables.<name> when an answer is missing and there is no default', async () => {
    const manifest = await manifestOf('x:\n  type: str\n  help: needed\n');
    const error = failure(manifest, {});
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('variables.x');
    expect(error.details).toEqual({ template: 'tpl' });
    expect(error.message).toContain('"x"');
  });

  it('counts a null default as no default', async () => {
    expect(failure(await manifestOf('x: null\n'), {}).field).toBe('variables.x');
  });

  it('refuses a value outside the choices, listing the allowed ones', () => {
    const error = failure(runBoth, { objective_lens: '63x oil' });
    expect(error.field).toBe('variables.objective_lens');
    expect(error.details).toEqual({ template: 'run_both', allowed: ['10x air', '40x oil'] });
    expect(error.message).toContain('allowed: 10x air, 40x oil');
  });

  it('checks a default against the choices too', async () => {
    const manifest = await manifestOf('lens:\n  default: 100x\n  choices: [10x, 40x]\n');
    expect(failure(manifest, {}).field).toBe('variables.lens');
  });

  it('coerces int answers from strings and refuses fractions and words', () => {
    expect(resolveAnswers(runBoth, { cycles: '7' }, BASE_CONTEXT).cycles).toBe(7);
    expect(resolveAnswers(runBoth, { cycles: 8 }, BASE_CONTEXT).cycles).toBe(8);
    for (const bad of ['7.5', 'seven', '', 7.5, true]) {
      const error = failure(runBoth, { cycles: bad });
      expect(error.field, String(bad)).toBe('variables.cycles');
      expect(error.details).toEqual({ template: 'run_both', expected_type: 'int' });
    }
  });

  it('coerces float answers from strings, accepting a whole number', () => {
    expect(resolveAnswers(runBoth, { laser_power_pct: '7.5' }, BASE_CONTEXT).laser_power_pct).toBe(7.5);
    expect(resolveAnswers(runBoth, { laser_power_pct: '6' }, BASE_CONTEXT).laser_power_pct).toBe(6);
    for (const bad of ['bright', '', 'Infinity', Number.NaN])
      expect(failure(runBoth, { laser_power_pct: bad }).field).toBe('variables.laser_power_pct');
  });

  it('accepts a fractional answer to a short-form question whose default is written 5.0', () => {
    expect(resolveAnswers(runBoth, { laser_power_pct: 12.25 }, BASE_CONTEXT).laser_power_pct).toBe(12.25);
  });

  it('coerces bool answers from yes/no words and refuses anything else', () => {
    for (const yes of [true, 'true', 'Yes', 'on', '1'])
      expect(resolveAnswers(runBoth, { z_stack: yes }, BASE_CONTEXT).z_stack, String(yes)).toBe(true);
    for (const no of [false, 'false', 'NO', 'off', '0'])
      expect(resolveAnswers(runBoth, { z_stack: no }, BASE_CONTEXT).z_stack, String(no)).toBe(false);
    for (const bad of ['maybe', 1, null]) expect(failure(runBoth, { z_stack: bad }).field).toBe('variables.z_stack');
  });

  it('turns numbers and booleans given for str questions into text, and refuses objects', () => {
    expect(resolveAnswers(runBoth, { sample_id: 42 }, BASE_CONTEXT).sample_id).toBe('42');
    expect(resolveAnswers(runBoth, { sample_id: false }, BASE_CONTEXT).sample_id).toBe('false');
    expect(failure(runBoth, { sample_id: { id: 1 } }).field).toBe('variables.sample_id');
  });

  it('passes yaml and json answers through unchanged', async () => {
    const manifest = await manifestOf('grid:\n  type: yaml\n  default: [1, 2]\nmeta:\n  type: json\n');
    expect(resolveAnswers(manifest, { meta: { a: [1] } }, BASE_CONTEXT)).toEqual({ grid: [1, 2], meta: { a: [1] } });
  });

  it('coerces a templated default to the question type', async () => {
    const manifest = await manifestOf("count:\n  type: int\n  default: '{{ 2 * 3 }}'\n");
    expect(resolveAnswers(manifest, {}, BASE_CONTEXT)).toEqual({ count: 6 });
  });

  it('reports a default with broken Jinja as a template load error naming the question', async () => {
    const manifest = await manifestOf("x:\n  default: '{{ unclosed'\n");
    let caught: unknown;
    try {
      resolveAnswers(manifest, {}, BASE_CONTEXT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateLoadError);
    expect(caught).toMatchObject({ code: 'template_load_error', field: 'x.default', details: { template: 'tpl' } });
  });
});
