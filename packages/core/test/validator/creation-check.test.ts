import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SCAN_EXTENSIONS } from '../../src/constants/index.js';
import { ExLabError } from '../../src/errors/index.js';
import { FindingSchema, type Finding } from '../../src/schemas/index.js';
import { validateCreation, type CreationCheckInput } from '../../src/validator/index.js';

const OPTIONS = { contentScanMaxMib: 5, contentScanExtensions: [...DEFAULT_CONTENT_SCAN_EXTENSIONS] };
const EQ = '/data/lab/CONFOCAL_01';
const RUN = `${EQ}/Cortex/Runs/Run_2026-04-17T14-32`;

function input(overrides: Partial<CreationCheckInput> = {}): CreationCheckInput {
  return {
    proposed_path: RUN,
    equipment_dir: EQ,
    variables: {},
    file_names: [],
    file_contents: {},
    run_kind: 'experimental',
    required_ids: [],
    readme_fields: {},
    ...overrides,
  };
}

function check(overrides: Partial<CreationCheckInput> = {}, options = OPTIONS): Finding[] {
  const findings = validateCreation(input(overrides), options);
  for (const finding of findings) FindingSchema.parse(finding);
  return findings;
}

/** The identifying fields of each finding, for compact expectations. */
function keys(findings: readonly Finding[]): [string, string, string, string | null][] {
  return findings.map((f) => [f.rule, f.offending_path, f.offending_kind, f.matched_token]);
}

describe('validateCreation: placeholders and Jinja markers (§8.1.1)', () => {
  it('passes a clean run destination with clean files', () => {
    expect(
      check({ file_names: ['run_data.txt', 'settings/acquisition.yaml'], file_contents: { 'run_data.txt': 'sample S-007\n' } }),
    ).toEqual([]);
  });

  it('reports Run_<run_date> in the destination with the §11.8 rule_detail', () => {
    const path = `${EQ}/Cortex/Runs/Run_<run_date>`;
    const findings = check({ proposed_path: path });
    expect(findings.find((f) => f.rule === 'unresolved_placeholder_token')).toEqual({
      rule: 'unresolved_placeholder_token',
      tier: 'hard',
      run_path: path,
      offending_path: path,
      offending_kind: 'directory_segment',
      matched_token: '<run_date>',
      rule_detail: 'Angle-bracket identifier token <run_date> survived templating; this segment was not rendered.',
      synced_under_prior_policy: false,
      override_active: false,
    });
  });

  it('reports {{ a }} and {% if %} in file names and content, one finding per match', () => {
    const findings = check({
      file_names: ['{{ a }}.txt', '{% if %}/notes.txt'],
      file_contents: { 'notes.txt': 'x {{ a }} y {{ a }}\n{% if %}\n' },
    });
    expect(keys(findings.filter((f) => f.rule === 'leftover_jinja_marker'))).toEqual([
      ['leftover_jinja_marker', `${RUN}/notes.txt`, 'file_content', '{% if %}'],
      ['leftover_jinja_marker', `${RUN}/notes.txt`, 'file_content', '{{ a }}'],
      ['leftover_jinja_marker', `${RUN}/notes.txt`, 'file_content', '{{ a }}'],
      ['leftover_jinja_marker', `${RUN}/{% if %}`, 'directory_segment', '{% if %}'],
      ['leftover_jinja_marker', `${RUN}/{{ a }}.txt`, 'file_name', '{{ a }}'],
    ]);
  });

  it('does not take <2 mM>, <foo bar>, <123> or \\\\smb\\share for placeholders', () => {
    const text = 'Calcium <2 mM>; <foo bar>; <123>; path \\\\smb\\share\\raw\n';
    expect(check({ file_contents: { 'notes.txt': text, 'data.csv': text } })).toEqual([]);
  });

  it('names the line of a content token', () => {
    const [finding] = check({ file_contents: { 'notes.txt': 'one\ntwo <sample_id>\n' } });
    expect(finding?.rule_detail).toBe(
      'Angle-bracket identifier token <sample_id> survived templating at line 2; this text was not rendered.',
    );
  });

  it('scans only the front matter of a Markdown file and names the YAML key', () => {
    const readme = '---\nlabel: "x"\ntemplate_fields:\n  sample: "<sample_id>"\n---\n\nProse with <your_protocol>.\n';
    const findings = check({ file_contents: { 'README.md': readme } });
    expect(keys(findings)).toEqual([['unresolved_placeholder_token', `${RUN}/README.md`, 'file_content', '<sample_id>']]);
    expect(findings[0]?.rule_detail).toContain('at line 4 in the front matter (key template_fields.sample)');
  });

  it('exempts a Markdown file without front matter', () => {
    expect(check({ file_contents: { 'notes.md': '# Notes\n\n<your_protocol> and {{ x }}\n' } })).toEqual([]);
  });

  it('skips text outside the extension allowlist, above the size limit, or with a NUL in its first 8 KiB', () => {
    const large = `${'x'.repeat(1024 * 1024)}<token>`;
    const findings = check(
      {
        file_contents: {
          'image.tif': '<token>',
          'big.txt': large,
          'binary.txt': `\u0000<token>`,
          'late-nul.txt': `${'y'.repeat(9000)}\u0000<token>`,
        },
      },
      { contentScanMaxMib: 1, contentScanExtensions: ['.txt'] },
    );
    expect(keys(findings)).toEqual([['unresolved_placeholder_token', `${RUN}/late-nul.txt`, 'file_content', '<token>']]);
  });
});

describe('validateCreation: front matter (core.md H9)', () => {
  it('reports an unterminated README.md front matter as a soft finding and does not scan it', () => {
    const findings = check({ file_contents: { 'README.md': '---\nlabel: "<x>"\n\n# Title\n' } });
    expect(findings).toEqual([
      {
        rule: 'malformed_yaml_front_matter',
        tier: 'soft',
        run_path: RUN,
        offending_path: `${RUN}/README.md`,
        offending_kind: 'file_content',
        matched_token: null,
        rule_detail: 'Front matter opens with --- on line 1 but has no closing --- within 200 lines; it was not scanned.',
        synced_under_prior_policy: false,
        override_active: false,
      },
    ]);
  });

  it('reports README.md front matter that is not valid YAML', () => {
    const findings = check({ file_contents: { 'README.md': '---\nlabel: "x"\n  bad: [\n---\n' } });
    expect(keys(findings)).toEqual([['malformed_yaml_front_matter', `${RUN}/README.md`, 'file_content', null]]);
    expect(findings[0]?.rule_detail).toMatch(/^Front matter is not valid YAML \([A-Z_]+ at line \d+\)\.$/);
  });

  it('checks only README.md for malformed front matter', () => {
    expect(check({ file_contents: { 'notes.md': '---\nlabel: "x"\n' } })).toEqual([]);
  });
});

describe('validateCreation: names (§8.1.2)', () => {
  it('flags CON and lpt9.dat as reserved names, not CONsole.txt or COM10', () => {
    const findings = check({ file_names: ['CON/a.txt', 'lpt9.dat', 'CONsole.txt', 'COM10'] });
    expect(keys(findings)).toEqual([
      ['reserved_filesystem_name', `${RUN}/CON`, 'directory_segment', 'CON'],
      ['reserved_filesystem_name', `${RUN}/lpt9.dat`, 'file_name', 'LPT9'],
    ]);
  });

  it('reports each distinct illegal character once, control characters and a trailing dot or space too', () => {
    const findings = check({ file_names: ['a:b:c?.txt', 'tab\there.txt', 'notes.', 'draft '] });
    expect(keys(findings)).toEqual([
      ['illegal_filesystem_character', `${RUN}/a:b:c?.txt`, 'file_name', ':'],
      ['illegal_filesystem_character', `${RUN}/a:b:c?.txt`, 'file_name', '?'],
      ['illegal_filesystem_character', `${RUN}/draft `, 'file_name', ' '],
      ['illegal_filesystem_character', `${RUN}/notes.`, 'file_name', '.'],
      ['illegal_filesystem_character', `${RUN}/tab\there.txt`, 'file_name', '\t'],
    ]);
    expect(findings.find((f) => f.matched_token === '\t')?.rule_detail).toBe(
      'Control character U+0009 is not allowed in file and folder names; rename this file.',
    );
  });

  it('flags < and > as illegal characters besides the placeholder they spell', () => {
    const findings = check({ file_names: ['plate_<plate_id>.csv'] });
    expect(keys(findings)).toEqual([
      ['illegal_filesystem_character', `${RUN}/plate_<plate_id>.csv`, 'file_name', '<'],
      ['illegal_filesystem_character', `${RUN}/plate_<plate_id>.csv`, 'file_name', '>'],
      ['unresolved_placeholder_token', `${RUN}/plate_<plate_id>.csv`, 'file_name', '<plate_id>'],
    ]);
  });

  it('never checks the root above the equipment folder (C:\\data, /data/lab)', () => {
    expect(check({ proposed_path: 'C:\\data\\CONFOCAL_01\\Cortex', equipment_dir: 'C:\\data\\CONFOCAL_01', run_kind: null })).toEqual([]);
    expect(check({ proposed_path: 'C:\\CONFOCAL_01\\Cortex', equipment_dir: 'C:\\CONFOCAL_01', run_kind: null })).toEqual([]);
    expect(check({ proposed_path: `${EQ}/Cortex`, run_kind: null })).toEqual([]);
  });

  it('takes a bare drive as the root, never as a folder name', () => {
    expect(check({ proposed_path: 'C:\\CONFOCAL_01\\Cortex', equipment_dir: 'C:\\', run_kind: null })).toEqual([]);
    expect(keys(check({ proposed_path: 'D:\\CON\\Cortex', equipment_dir: 'D:\\', run_kind: null }))).toEqual([
      ['reserved_filesystem_name', 'D:\\CON', 'directory_segment', 'CON'],
    ]);
  });

  it('checks the equipment folder and every segment below it, spelled as the caller spelled them', () => {
    const findings = check({
      proposed_path: 'C:\\data\\CON\\Cortex\\Runs\\Run_2026-04-17T14-32',
      equipment_dir: 'C:\\data\\CON',
      file_names: ['raw\\a|b.txt'],
    });
    expect(keys(findings)).toEqual([
      ['reserved_filesystem_name', 'C:\\data\\CON', 'directory_segment', 'CON'],
      ['illegal_filesystem_character', 'C:\\data\\CON\\Cortex\\Runs\\Run_2026-04-17T14-32\\raw\\a|b.txt', 'file_name', '|'],
    ]);
    expect(findings[0]?.run_path).toBe('C:\\data\\CON');
  });

  it('refuses a destination outside the equipment folder', () => {
    expect(() => validateCreation(input({ proposed_path: '/elsewhere/Cortex' }), OPTIONS)).toThrow(ExLabError);
    try {
      validateCreation(input({ proposed_path: '/elsewhere/Cortex' }), OPTIONS);
    } catch (error) {
      expect(error).toMatchObject({ code: 'validation_failed', field: 'proposed_path' });
    }
  });
});

describe('validateCreation: mode prefix and required fields', () => {
  it('reports a test run under Runs/Run_ as a wrong leaf and a wrong parent', () => {
    const findings = check({ run_kind: 'test' });
    expect(keys(findings)).toEqual([
      ['mode_prefix_mismatch', RUN, 'directory_segment', 'Run_'],
      ['mode_prefix_mismatch', RUN, 'directory_segment', 'Runs'],
    ]);
    expect(findings.map((f) => f.rule_detail)).toEqual([
      'Run folder "Run_2026-04-17T14-32" starts with Run_, but its creation.json records run_kind "test", which needs the prefix TestRun_.',
      'Run folder "Run_2026-04-17T14-32" sits in "Runs", but its creation.json records run_kind "test", which needs the parent folder TestRuns.',
    ]);
  });

  it('accepts a test run under TestRuns/TestRun_', () => {
    expect(check({ proposed_path: `${EQ}/Cortex/TestRuns/TestRun_2026-04-17T14-32`, run_kind: 'test' })).toEqual([]);
  });

  it('reports a required field that is absent, null or empty, naming the field', () => {
    const findings = check({
      required_ids: ['irb_protocol', 'buffer', 'site', 'lens'],
      readme_fields: { buffer: null, site: '', lens: '40x' },
    });
    expect(keys(findings)).toEqual([
      ['missing_required_field', `${RUN}/.exlab-wizard/readme_fields.json`, 'file_content', 'buffer'],
      ['missing_required_field', `${RUN}/.exlab-wizard/readme_fields.json`, 'file_content', 'irb_protocol'],
      ['missing_required_field', `${RUN}/.exlab-wizard/readme_fields.json`, 'file_content', 'site'],
    ]);
    expect(findings.every((f) => f.tier === 'soft')).toBe(true);
  });

  it('lists hard findings before soft ones', () => {
    const findings = check({ required_ids: ['irb_protocol'], file_names: ['a?.txt'] });
    expect(findings.map((f) => f.tier)).toEqual(['hard', 'soft']);
  });
});
