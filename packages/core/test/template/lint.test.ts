import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  analyzeJinja,
  findTemplateDirs,
  lintTemplate,
  lintTemplatesAt,
  TEMPLATE_LINT_CHECKS,
  TemplateLintFindingSchema,
  type TemplateLintFinding,
} from '@exlab/core/template';
import { makeTempDir, writeTemplate } from './template-fixtures.js';

let base: string;

beforeEach(async () => {
  base = await makeTempDir('lint');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A run manifest that lints clean, to which a test adds what it checks. */
const CLEAN_RUN = `_min_copier_version: "9.0"
_answers_file: ".exlab-answers.yml"
_exlab_type: run
_exlab_version: "1.0"
_exlab_run_scope: both
`;

const codes = (findings: readonly TemplateLintFinding[]): string[] => findings.map((f) => f.code);

async function lint(manifest: string, files: Record<string, string | Uint8Array> = {}): Promise<TemplateLintFinding[]> {
  const findings = await lintTemplate(await writeTemplate(base, 'tpl', manifest, files));
  for (const finding of findings) expect(TemplateLintFindingSchema.parse(finding)).toEqual(finding);
  return findings;
}

describe('lintTemplate: a clean template', () => {
  it('reports nothing for a template that uses only its questions, the built-in context and Jinja-local names', async () => {
    const findings = await lint(
      `${CLEAN_RUN}sample_id: S-1\nchannels:\n  type: yaml\n  default: [a, b]\nslug:\n  default: "{{ sample_id | lower }}"\n`,
      {
        'notes.md.jinja': [
          '# {{ label }} {{ operator }} {{ objective }} {{ project_name }} {{ project_short_id }} {{ run_kind }}',
          '{% set total = channels | length %}{{ total }}',
          '{% for name in channels %}{{ loop.index }} {{ name | upper }}{% set inner = 1 %}{{ inner }}{% endfor %}',
          '{% for key, value in {"a": 1} | dictsort %}{{ key }}={{ value }}{% endfor %}',
          '{% macro row(cell, width=3) %}{{ cell }}{{ width }}{{ caller() }}{% endmacro %}{% call row(slug) %}x{% endcall %}',
          '{% if optional is defined %}{{ optional }}{% endif %}{{ other | default("none") }}{{ range(3) | join(",") }}',
          '{{ True }} {{ None }} {{ "%Y" | strftime }} {{ channels | to_nice_yaml }}{{ sample_id | regex_replace("\\\\d+", "#") }}',
          '{% raw %}{{ not_a_variable }} "\\d"{% endraw %}{# {{ commented_out }} #}',
        ].join('\n'),
        '{{ sample_id }}/raw/README.txt': 'copied as is: {{ anything }}',
        'assets/logo.bin': new Uint8Array([0xff, 0xfe, 0x7b, 0x7b]),
      },
    );
    expect(findings).toEqual([]);
  });
});

describe('lintTemplate: manifest problems', () => {
  it('collects every manifest problem at once instead of stopping at the first', async () => {
    const findings = await lint(`_exlab_type: run
_exlab_version: 1.0
_exlab_run_scope: sometimes
_min_copier_version: "8.1"
_answers_file: answers.yml
_tasks:
  - echo hi
_exlab_runscope: both
_subdirectory: src
_exclude: drafts
_exlab_readme:
  fields:
    - id: label
      label: Label again
    - id: Bad-Id
      label: ""
      type: colour
    - id: stain
      label: Stain
    - id: stain
      label: Stain twice
SampleID: x
count:
  type: integer
  default: 1
lens:
  type: str
  default: 99x
  choices: [10x, 40x]
cycles:
  type: int
  default: many
levels:
  type: int
  choices: ["1", "2"]
empty_choice:
  type: str
  choices: []
`);
    expect(findings.map((f) => [f.severity, f.code, f.key])).toEqual([
      ['error', 'version_missing', '_exlab_version'],
      ['error', 'run_scope_invalid', '_exlab_run_scope'],
      ['warning', 'min_copier_version', '_min_copier_version'],
      ['warning', 'answers_file', '_answers_file'],
      ['warning', 'tasks_ignored', '_tasks'],
      ['warning', 'exlab_key_unknown', '_exlab_runscope'],
      ['warning', 'setting_unsupported', '_subdirectory'],
      ['warning', 'setting_invalid', '_exclude'],
      ['error', 'core_field_redeclared', '_exlab_readme.fields[0].id'],
      ['error', 'readme_field_invalid', '_exlab_readme.fields[1].id'],
      ['error', 'readme_field_invalid', '_exlab_readme.fields[1].label'],
      ['error', 'readme_field_invalid', '_exlab_readme.fields[1].type'],
      ['error', 'readme_field_invalid', '_exlab_readme.fields[3].id'],
      ['warning', 'question_name_convention', 'SampleID'],
      ['error', 'question_type_invalid', 'count.type'],
      ['error', 'question_default_invalid', 'lens.default'],
      ['error', 'question_default_invalid', 'cycles.default'],
      ['error', 'question_choices_invalid', 'levels.choices'],
      ['error', 'question_choices_invalid', 'levels.choices'],
      ['error', 'question_choices_invalid', 'empty_choice.choices'],
    ]);
    const version = findings[0] as TemplateLintFinding;
    expect(version.message).toContain('Quote it: _exlab_version: "1"');
    expect(version).toMatchObject({ file: 'copier.yml', line: 2 });
    expect(findings.find((f) => f.key === '_exlab_readme.fields[3].id')?.message).toContain('first at _exlab_readme.fields[2]');
    expect(findings.find((f) => f.key === 'lens.default')?.message).toContain('"99x" is not a choice of "lens"');
  });

  it('names every allowed value in its messages', async () => {
    const findings = await lint('_exlab_type: workflow\n');
    expect(findings.find((f) => f.code === 'type_invalid')?.message).toBe('_exlab_type is "workflow"; allowed: project, equipment, run.');
  });

  it('warns about a run scope on a template that is not a run template', async () => {
    const findings = await lint(CLEAN_RUN.replace('_exlab_type: run', '_exlab_type: project'));
    expect(codes(findings)).toEqual(['run_scope_ignored']);
  });

  it('reports invalid YAML with its line and still checks the files for Jinja syntax', async () => {
    const findings = await lint('_exlab_type: run\n_exlab_type: project\n', { 'a.txt.jinja': '{{ unknown_is_not_reported }}\n{% if %}' });
    expect(findings.map((f) => [f.code, f.file, f.line])).toEqual([
      ['manifest_invalid_yaml', 'copier.yml', 2],
      ['jinja_syntax_error', 'a.txt.jinja', 2],
    ]);
  });

  it('reports a manifest that is not a mapping', async () => {
    expect(codes(await lint('- just\n- a list\n'))).toContain('manifest_not_mapping');
  });

  it('reports a folder without copier.yml as manifest_missing', async () => {
    const dir = join(base, 'empty');
    await mkdir(dir);
    expect(await lintTemplate(dir)).toEqual([
      { severity: 'error', code: 'manifest_missing', message: `No copier.yml in ${dir}: a template folder needs one.`, file: 'copier.yml' },
    ]);
  });

  it('checks templated defaults: syntax, unknown filters, and variables not asked before', async () => {
    const findings = await lint(
      `${CLEAN_RUN}a:\n  default: "{{ b }}-{{ run_kind }}"\nb: x\nc:\n  default: "{{ b | shout }}"\nd:\n  default: "{{ b "\ne:\n  default: "{{ b | regex_replace('\\\\d', '') }}"\n`,
    );
    expect(findings.map((f) => [f.code, f.key])).toEqual([
      ['variable_unknown', 'a.default'],
      ['filter_unknown', 'c.default'],
      ['jinja_syntax_error', 'd.default'],
      ['string_escape', 'e.default'],
    ]);
    expect(findings[0]?.message).toContain('"b"');
  });

  it('lists run_kind as built in for run templates only', async () => {
    const projectManifest = CLEAN_RUN.replace('_exlab_type: run', '_exlab_type: project').replace('_exlab_run_scope: both\n', '');
    const findings = await lint(projectManifest, { 'a.md.jinja': '{{ run_kind }} {{ project_name }}' });
    expect(findings.map((f) => [f.code, f.file])).toEqual([['variable_unknown', 'a.md.jinja']]);
  });

  it('accepts extra variables the caller promises to provide', async () => {
    const dir = await writeTemplate(base, 'tpl', CLEAN_RUN, { 'a.md.jinja': '{{ instrument_serial }}' });
    expect(codes(await lintTemplate(dir))).toEqual(['variable_unknown']);
    expect(await lintTemplate(dir, { extraVariables: ['instrument_serial'] })).toEqual([]);
  });
});

describe('lintTemplate: file and path problems', () => {
  it('collects every file problem with its file, line and column', async () => {
    const dir = await writeTemplate(base, 'tpl', `${CLEAN_RUN}sample_id: S-1\n`, {
      'README.md.jinja': '# {{ label }}\n',
      'broken.txt.jinja': 'line one\n{{ sample_id }}\n{% for x in %}\n',
      'unknown.md.jinja': 'ok {{ sample_id }}\n  {{ sampel_id }}\n{{ sample_id | shout }} {% if sample_id is palindrome %}{% endif %}\n',
      'loader.md.jinja': '{% include "header.md" %}\n',
      'escape.md.jinja': "{{ sample_id | regex_replace('\\d+', '') }}\n",
      'latin1.txt.jinja': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      'scripts/run.py': 'copier.run_copy(src, dst, unsafe=True)\n',
      '{{ sampel_id }}/data.txt': 'x',
      '{{ broken/x.txt': 'x',
      'twice.txt': 'a',
      'twice.txt.jinja': 'b',
      'answers/{{ _copier_conf.answers_file }}.jinja': '{{ _copier_answers | to_nice_yaml }}',
    });
    await symlink(join(dir, 'twice.txt'), join(dir, 'link.txt'));
    const findings = await lintTemplate(dir);
    expect(findings.map((f) => [f.severity, f.code, f.file, f.line ?? null, f.column ?? null])).toEqual([
      ['warning', 'readme_generated', 'README.md.jinja', null, null],
      ['warning', 'answers_template_ignored', 'answers/{{ _copier_conf.answers_file }}.jinja', null, null],
      ['error', 'jinja_syntax_error', 'broken.txt.jinja', 3, 13],
      ['warning', 'string_escape', 'escape.md.jinja', 1, 31],
      ['error', 'jinja_not_utf8', 'latin1.txt.jinja', null, null],
      ['warning', 'symlink_ignored', 'link.txt', null, null],
      ['error', 'loader_tag_unsupported', 'loader.md.jinja', 1, 4],
      ['warning', 'unsafe_reference', 'scripts/run.py', null, null],
      ['error', 'path_clash', 'twice.txt.jinja', null, null],
      ['warning', 'variable_unknown', 'unknown.md.jinja', 2, 6],
      ['error', 'filter_unknown', 'unknown.md.jinja', 3, 16],
      ['error', 'test_unknown', 'unknown.md.jinja', 3, 44],
      ['error', 'jinja_syntax_error', '{{ broken', null, null],
      ['warning', 'variable_unknown', '{{ sampel_id }}', null, null],
    ]);
    expect(findings.find((f) => f.code === 'variable_unknown')?.message).toContain('"sampel_id"');
  });

  it('reports a file that renders to a name another entry needs as a folder', async () => {
    const findings = await lint(CLEAN_RUN, { 'data.jinja': 'x', 'data/inner.txt': 'y' });
    expect(findings.map((f) => [f.code, f.file])).toEqual([['path_clash', 'data.jinja']]);
  });

  it('skips what rendering skips: _exclude entries, copier.yml and Copier default excludes', async () => {
    const findings = await lint(`${CLEAN_RUN}_exclude:\n  - drafts\n`, {
      'drafts/broken.txt.jinja': '{% if %}',
      '__pycache__/x.jinja': '{{ nope }}',
      '~backup.jinja': '{{ nope }}',
    });
    expect(findings).toEqual([]);
  });

  it('does not warn about README.md below the template root', async () => {
    expect(await lint(CLEAN_RUN, { 'raw/README.md': 'x' })).toEqual([]);
  });
});

describe('analyzeJinja', () => {
  it('locates an unclosed tag, an unclosed block and an unclosed comment', () => {
    expect(analyzeJinja('a\nb {{ x\n').syntaxError).toMatchObject({ line: 2, column: 3 });
    expect(analyzeJinja('a\n  {% if x %}\n{% for i in y %}{% endfor %}\n').syntaxError).toMatchObject({ line: 2, column: 3 });
    expect(analyzeJinja('a\n {# note').syntaxError).toMatchObject({ line: 2, column: 2 });
  });

  it('sees a variable used before its set as a free variable, and set inside if as visible after it', () => {
    expect(analyzeJinja('{{ x }}{% set x = 1 %}').variables.map((v) => v.name)).toEqual(['x']);
    expect(analyzeJinja('{% if c %}{% set y = 1 %}{% endif %}{{ y }}').variables.map((v) => v.name)).toEqual(['c']);
    expect(analyzeJinja('{% for i in l %}{% set z = 1 %}{% endfor %}{{ z }}').variables.map((v) => v.name)).toEqual(['l', 'z']);
  });

  it('does not count keyword-argument names and dict keys as variables', () => {
    expect(analyzeJinja('{{ d | to_json(indent=2) }}{{ {key: 1} }}').variables.map((v) => v.name)).toEqual(['d']);
  });
});

describe('findTemplateDirs and lintTemplatesAt', () => {
  it('lints one template, or every template folder inside a parent folder, sorted by name', async () => {
    await writeTemplate(base, 'b_run', CLEAN_RUN);
    await writeTemplate(base, 'a_run', CLEAN_RUN.replace('"1.0"', '""'));
    await mkdir(join(base, 'not_a_template'));
    expect(await findTemplateDirs(join(base, 'b_run'))).toEqual([join(base, 'b_run')]);
    const results = await lintTemplatesAt(base);
    expect(results.map((r) => [r.name, codes(r.findings)])).toEqual([
      ['a_run', ['version_missing']],
      ['b_run', []],
    ]);
  });

  it('lints a folder with no templates as a template without copier.yml', async () => {
    const dir = join(base, 'nothing');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'x');
    expect(codes((await lintTemplatesAt(dir))[0]?.findings ?? [])).toEqual(['manifest_missing']);
  });

  it('refuses a path that is not a folder', async () => {
    await expect(findTemplateDirs(join(base, 'missing'))).rejects.toMatchObject({ code: 'folder_not_found' });
  });
});

describe('TEMPLATE_LINT_CHECKS', () => {
  it('gives each §5.8 check its severity', () => {
    expect(TEMPLATE_LINT_CHECKS).toMatchObject({
      manifest_missing: 'error',
      manifest_invalid_yaml: 'error',
      type_invalid: 'error',
      version_missing: 'error',
      run_scope_invalid: 'error',
      min_copier_version: 'warning',
      answers_file: 'warning',
      tasks_ignored: 'warning',
      unsafe_reference: 'warning',
      question_type_invalid: 'error',
      question_name_convention: 'warning',
      core_field_redeclared: 'error',
      jinja_syntax_error: 'error',
      variable_unknown: 'warning',
    });
  });
});
