import { chmod, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FindingSchema, type Config, type Finding } from '../../src/schemas/index.js';
import { audit, queryProblems, validateCreation, type AuditReport, type AuditScope } from '../../src/validator/index.js';
import { creationBody, creationBody10, LabTree, readmeFieldsBody, readmeText } from './lab-tree.js';

const NOW = new Date('2026-05-01T12:00:00Z');
const isRoot = process.getuid?.() === 0;

let lab: LabTree;

beforeEach(async () => {
  lab = await LabTree.create();
});

afterEach(async () => {
  await lab.cleanup();
});

async function run(scope: AuditScope = { kind: 'all' }, config: Config = lab.config()): Promise<AuditReport> {
  const report = await audit(scope, { config, now: NOW });
  for (const finding of report.findings) FindingSchema.parse(finding);
  return report;
}

/** The identifying fields of each finding: rule, run_path, offending_path, kind, token. */
function keys(findings: readonly Finding[]): [string, string, string, string, string | null][] {
  return findings.map((f) => [f.rule, f.run_path, f.offending_path, f.offending_kind, f.matched_token]);
}

/** A project with one clean experimental run holding a README and a notes file. */
async function cleanRun(equipment = 'CONFOCAL_01', project = 'Cortex', leaf = 'Run_2026-04-17T14-32'): Promise<string> {
  const projectDir = await lab.project(equipment, project);
  const runDir = await lab.run(projectDir, 'Runs', leaf);
  await lab.file(join(runDir, 'README.md'), readmeText());
  await lab.file(join(runDir, 'notes.txt'), 'Sample S-007\nCalcium <2 mM>; <foo bar>; <123>; \\\\smb\\share\\raw\n');
  return runDir;
}

describe('audit: a clean lab', () => {
  it('reports nothing and counts what it walked', async () => {
    await cleanRun();
    const report = await run();
    expect(report.findings).toEqual([]);
    expect(report.stats).toEqual({
      directories: 4,
      files: 2,
      runs: 1,
      projects: 1,
      content_scanned: 2,
      skipped_symlinks: 0,
      unreadable: 0,
    });
  });

  it('gives byte-identical JSON for two audits of the same tree', async () => {
    for (const leaf of ['Run_2026-04-17T14-32', 'Run_<run_date>', 'Run_2026-04-18T09-00']) {
      const runDir = await cleanRun('CONFOCAL_01', 'Cortex', leaf);
      await lab.file(join(runDir, 'a?b.txt'), '{{ x }} <y>\n');
    }
    await lab.project('FLOW_01', 'Orphan project', { orphan: true });
    const first = JSON.stringify(await run());
    const second = JSON.stringify(await run());
    expect(second).toBe(first);
    expect(first.length).toBeGreaterThan(1000);
  });
});

describe('audit: names and content (§8.1.1, §8.1.2)', () => {
  it('checks every folder and file name below the equipment folder, owned by the nearest run or project', async () => {
    const runDir = await cleanRun();
    const project = lab.path('CONFOCAL_01', 'Cortex');
    await lab.file(join(runDir, 'raw_<sample_id>', 'frame.tif'), new Uint8Array([0, 1, 2]));
    await lab.file(join(runDir, 'data', '{% if qc %}qc.txt'), 'QC passed\n');
    await lab.file(join(runDir, 'lpt9.dat'), 'device log\n');
    await lab.folder(join(runDir, 'CON'));
    await lab.file(join(project, 'notes', 'scan:01.txt'), 'x\n');
    expect(keys((await run()).findings)).toEqual([
      ['illegal_filesystem_character', project, join(project, 'notes', 'scan:01.txt'), 'file_name', ':'],
      ['illegal_filesystem_character', runDir, join(runDir, 'raw_<sample_id>'), 'directory_segment', '<'],
      ['illegal_filesystem_character', runDir, join(runDir, 'raw_<sample_id>'), 'directory_segment', '>'],
      ['leftover_jinja_marker', runDir, join(runDir, 'data', '{% if qc %}qc.txt'), 'file_name', '{% if qc %}'],
      ['reserved_filesystem_name', runDir, join(runDir, 'CON'), 'directory_segment', 'CON'],
      ['reserved_filesystem_name', runDir, join(runDir, 'lpt9.dat'), 'file_name', 'LPT9'],
      ['unresolved_placeholder_token', runDir, join(runDir, 'raw_<sample_id>'), 'directory_segment', '<sample_id>'],
    ]);
  });

  it('does not flag CONsole.txt or COM10', async () => {
    const runDir = await cleanRun();
    await lab.file(join(runDir, 'CONsole.txt'), 'ok\n');
    await lab.folder(join(runDir, 'COM10'));
    expect((await run()).findings).toEqual([]);
  });

  it('checks the equipment folder name itself but never the root above it', async () => {
    const config = lab.config({
      equipment: [
        {
          id: 'CON',
          label: 'x',
          nas_root: '/nas',
          completeness_signal: 'sentinel_file',
          sentinel_filename: 'f',
          transport: { type: 'local', path: '/nas' },
        },
      ],
    });
    await lab.folder(lab.path('CON'));
    expect(keys((await run({ kind: 'all' }, config)).findings)).toEqual([
      ['reserved_filesystem_name', lab.path('CON'), lab.path('CON'), 'directory_segment', 'CON'],
    ]);
  });

  it('scans text content, one finding per match, and names the line', async () => {
    const runDir = await cleanRun();
    await lab.file(join(runDir, 'settings', 'acquisition.yaml'), 'sample: S-1\noperator: "{{ operator }}"\n');
    await lab.file(join(runDir, 'acquisition_notes.txt'), 'Sample: <sample_id>\n{% if calibrated %}\nok\n{% endif %}\n');
    const findings = (await run()).findings;
    expect(keys(findings)).toEqual([
      ['leftover_jinja_marker', runDir, join(runDir, 'acquisition_notes.txt'), 'file_content', '{% endif %}'],
      ['leftover_jinja_marker', runDir, join(runDir, 'acquisition_notes.txt'), 'file_content', '{% if calibrated %}'],
      ['leftover_jinja_marker', runDir, join(runDir, 'settings', 'acquisition.yaml'), 'file_content', '{{ operator }}'],
      ['unresolved_placeholder_token', runDir, join(runDir, 'acquisition_notes.txt'), 'file_content', '<sample_id>'],
    ]);
    expect(findings[0]?.rule_detail).toBe('Jinja marker {% endif %} was left over at line 4; the template renderer was bypassed.');
  });

  it('skips content outside the allowlist, above the size limit, or binary, but still checks those names', async () => {
    const runDir = await cleanRun();
    await lab.file(join(runDir, 'frame.tif'), '<sample_id>');
    await lab.file(join(runDir, 'big.txt'), `${'x'.repeat(1024 * 1024)}<sample_id>`);
    const dump = new Uint8Array(64);
    dump.set(new TextEncoder().encode('{{ x }}'), 8);
    await lab.file(join(runDir, 'dump.txt'), dump);
    await lab.file(join(runDir, 'late.txt'), `${'y'.repeat(9000)}\u0000<sample_id>`);
    await lab.file(join(runDir, 'big<x>.txt'), 'x'.repeat(1024 * 1024 + 1));
    const config = lab.config({ validator: { content_scan_max_mib: 1 } });
    const report = await run({ kind: 'all' }, config);
    expect(keys(report.findings)).toEqual([
      ['illegal_filesystem_character', runDir, join(runDir, 'big<x>.txt'), 'file_name', '<'],
      ['illegal_filesystem_character', runDir, join(runDir, 'big<x>.txt'), 'file_name', '>'],
      ['unresolved_placeholder_token', runDir, join(runDir, 'big<x>.txt'), 'file_name', '<x>'],
      ['unresolved_placeholder_token', runDir, join(runDir, 'late.txt'), 'file_content', '<sample_id>'],
    ]);
    // README.md, notes.txt and late.txt were read; frame.tif, big.txt, big<x>.txt and dump.txt were not.
    expect(report.stats.content_scanned).toBe(3);
  });

  it('scans only the front matter of Markdown files and names the YAML key', async () => {
    const runDir = await cleanRun();
    await lab.file(
      join(runDir, 'README.md'),
      '---\nlabel: "x"\nobjective: "Characterize <analyte> uptake."\n---\n\nSee <your_protocol> and {{ prose }}.\n',
    );
    await lab.file(join(runDir, 'protocol.md'), '# Protocol\n\n<your_protocol> {{ x }}\n');
    const findings = (await run()).findings;
    expect(keys(findings)).toEqual([['unresolved_placeholder_token', runDir, join(runDir, 'README.md'), 'file_content', '<analyte>']]);
    expect(findings[0]?.rule_detail).toBe(
      'Angle-bracket identifier token <analyte> survived templating at line 3 in the front matter (key objective); this text was not rendered.',
    );
  });

  it('reports unterminated and unparsable front matter as soft malformed_yaml_front_matter findings', async () => {
    const runDir = await cleanRun();
    await lab.file(join(runDir, 'README.md'), '---\nlabel: "<x>"\n\n# Title\n');
    await lab.file(join(runDir, 'bad.md'), '---\nlabel: [\n---\n');
    await lab.file(join(runDir, 'late.md'), `---\n${'a: 1\n'.repeat(199)}---\n`);
    await lab.file(join(runDir, 'ok.md'), `---\n${'a: 1\n'.repeat(1)}${'b: 2\n'.repeat(0)}---\n`);
    const findings = (await run()).findings;
    expect(keys(findings)).toEqual([
      ['malformed_yaml_front_matter', runDir, join(runDir, 'README.md'), 'file_content', null],
      ['malformed_yaml_front_matter', runDir, join(runDir, 'bad.md'), 'file_content', null],
      ['malformed_yaml_front_matter', runDir, join(runDir, 'late.md'), 'file_content', null],
    ]);
    expect(findings.every((f) => f.tier === 'soft' && !f.override_active)).toBe(true);
  });

  it('never looks inside .exlab-wizard or an in-flight .exlab-creating- folder', async () => {
    const runDir = await cleanRun();
    await lab.file(join(runDir, '.exlab-wizard', 'notes<x>.txt'), '{{ x }}\n');
    await lab.file(lab.path('CONFOCAL_01', 'Cortex', 'Runs', '.exlab-creating-Run_2026-04-17T15-00-ab12', 'a<b>.txt'), '{{ x }}\n');
    expect((await run()).findings).toEqual([]);
  });
});

describe('audit: mode prefix (§8.1.3)', () => {
  it('reports a test run under Runs/Run_ as a wrong leaf and a wrong parent', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const runDir = await lab.run(project, 'Runs', 'Run_2026-04-17T14-32', { runKind: 'test' });
    expect(keys((await run()).findings)).toEqual([
      ['mode_prefix_mismatch', runDir, runDir, 'directory_segment', 'Run_'],
      ['mode_prefix_mismatch', runDir, runDir, 'directory_segment', 'Runs'],
    ]);
  });

  it('reports only the leaf when the parent agrees, and only the parent for a stray run under the project', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const wrongLeaf = await lab.run(project, 'Runs', 'TestRun_2026-04-17T14-32', { runKind: 'experimental' });
    const wrongLeafTest = await lab.run(project, 'TestRuns', 'Run_2026-04-17T14-33', { runKind: 'test' });
    const stray = await lab.run(project, '', 'Run_2026-04-17T14-34', { runKind: 'experimental' });
    await lab.run(project, 'TestRuns', 'TestRun_2026-04-17T14-35', { runKind: 'test' });
    expect(keys((await run()).findings)).toEqual([
      ['mode_prefix_mismatch', stray, stray, 'directory_segment', 'Cortex'],
      ['mode_prefix_mismatch', wrongLeaf, wrongLeaf, 'directory_segment', 'TestRun_'],
      ['mode_prefix_mismatch', wrongLeafTest, wrongLeafTest, 'directory_segment', 'Run_'],
    ]);
  });

  it('reads a 1.0 creation.json as experimental, not as an orphan', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const ok = await lab.run(project, 'Runs', 'Run_2024-01-09T10-00', { creation: null });
    await lab.creation(ok, creationBody10(ok));
    const misfiled = await lab.run(project, 'TestRuns', 'TestRun_2024-01-09T11-00', { creation: null });
    await lab.creation(misfiled, creationBody10(misfiled));
    const findings = (await run()).findings;
    expect(keys(findings)).toEqual([
      ['mode_prefix_mismatch', misfiled, misfiled, 'directory_segment', 'TestRun_'],
      ['mode_prefix_mismatch', misfiled, misfiled, 'directory_segment', 'TestRuns'],
    ]);
    // The 1.0 file says synced: a hard finding on it was synced under the earlier policy.
    expect(findings.every((f) => f.synced_under_prior_policy)).toBe(true);
  });
});

describe('audit: orphans (§8.1.4)', () => {
  it('reports project and run folders whose creation.json is missing, not JSON or off-schema', async () => {
    const orphanProject = await lab.project('CONFOCAL_01', 'Loose folder', { orphan: true });
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const missing = await lab.run(project, 'Runs', 'Run_2026-04-17T14-32', { creation: null });
    const notJson = await lab.run(project, 'Runs', 'Run_2026-04-17T14-33', { creation: '{"schema_version": "1.9", ' });
    const offSchema = await lab.run(project, 'Runs', 'Run_2026-04-17T14-34', {
      creation: { ...creationBody({ level: 'run', path: 'x' }), sync_status: 'lost' },
    });
    const report = await run();
    expect(keys(report.findings)).toEqual([
      ['orphan', missing, missing, 'directory_segment', null],
      ['orphan', notJson, notJson, 'directory_segment', null],
      ['orphan', offSchema, offSchema, 'directory_segment', null],
      ['orphan', orphanProject, orphanProject, 'directory_segment', null],
    ]);
    expect(report.findings.map((f) => f.rule_detail)).toEqual([
      'Run folder has no .exlab-wizard/creation.json; it was not created by ExLab-Wizard, or its cache write failed.',
      "Run folder's .exlab-wizard/creation.json is not valid JSON.",
      expect.stringMatching(/^Run folder's \.exlab-wizard\/creation\.json does not match the creation\.json schema \(sync_status: .+\)\.$/),
      'Project folder has no .exlab-wizard/creation.json; it was not created by ExLab-Wizard, or its cache write failed.',
    ]);
    expect(report.stats).toMatchObject({ runs: 3, projects: 2 });
  });

  it('treats a creation.json of a newer major as an orphan naming schema_major_mismatch', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const runDir = await lab.run(project, 'Runs', 'Run_2026-04-17T14-32', {
      creation: { ...creationBody({ level: 'run', path: 'x' }), schema_version: '2.0' },
    });
    const [finding] = (await run()).findings;
    expect(finding).toMatchObject({ rule: 'orphan', tier: 'soft', run_path: runDir, offending_path: runDir, matched_token: null });
    expect(finding?.rule_detail).toBe(
      `schema_major_mismatch: Run folder's .exlab-wizard/creation.json has schema_version "2.0"; this version of ExLab-Wizard reads major version 1 only, so the folder's provenance cannot be read.`,
    );
  });

  it('treats a creation.json that is not an object, or has no schema_version, as an orphan', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const list = await lab.run(project, 'Runs', 'Run_2026-04-17T14-32', { creation: '[]' });
    const { schema_version: _dropped, ...unversioned } = creationBody({ level: 'run', path: 'x' });
    const noVersion = await lab.run(project, 'Runs', 'Run_2026-04-17T14-33', { creation: unversioned });
    const findings = (await run()).findings;
    expect(findings.map((f) => [f.rule, f.run_path, f.rule_detail])).toEqual([
      ['orphan', list, "Run folder's .exlab-wizard/creation.json does not match the creation.json schema (expected a JSON object)."],
      [
        'orphan',
        noVersion,
        "schema_major_mismatch: Run folder's .exlab-wizard/creation.json has schema_version (missing); this version of ExLab-Wizard reads major version 1 only, so the folder's provenance cannot be read.",
      ],
    ]);
  });

  it('never calls equipment, Runs or TestRuns folders orphans', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    await lab.folder(join(project, 'Runs'));
    await lab.folder(join(project, 'TestRuns'));
    await lab.folder(lab.path('FLOW_01'));
    expect((await run()).findings).toEqual([]);
  });
});

describe('audit: required README fields (§8.1.5)', () => {
  const irb = {
    readme: {
      defaults: [
        { id: 'irb_protocol', label: 'IRB protocol', required: true },
        { id: 'funding', label: 'Funding' },
      ],
    },
  };

  it('reports a config-required field that is absent, null or empty in readme_fields.json', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    await lab.readmeFields(project, readmeFieldsBody({ irb_protocol: 'IRB-1' }));
    const absent = await lab.run(project, 'Runs', 'Run_2026-04-17T14-32');
    await lab.readmeFields(absent, readmeFieldsBody({}));
    const nulled = await lab.run(project, 'Runs', 'Run_2026-04-17T14-33');
    await lab.readmeFields(nulled, readmeFieldsBody({ irb_protocol: null }));
    const empty = await lab.run(project, 'Runs', 'Run_2026-04-17T14-34');
    await lab.readmeFields(empty, readmeFieldsBody({ irb_protocol: '' }));
    const fine = await lab.run(project, 'Runs', 'Run_2026-04-17T14-35');
    await lab.readmeFields(fine, readmeFieldsBody({ irb_protocol: 'IRB-2' }));
    const findings = (await run({ kind: 'all' }, lab.config(irb))).findings;
    const file = (dir: string) => join(dir, '.exlab-wizard', 'readme_fields.json');
    expect(keys(findings)).toEqual([
      ['missing_required_field', absent, file(absent), 'file_content', 'irb_protocol'],
      ['missing_required_field', nulled, file(nulled), 'file_content', 'irb_protocol'],
      ['missing_required_field', empty, file(empty), 'file_content', 'irb_protocol'],
    ]);
    expect(findings[0]?.rule_detail).toBe(
      'Required README field "irb_protocol" (required by config.yaml readme.defaults) has no value in readme_fields.json.',
    );
  });

  it('reports nothing for a folder without readme_fields.json', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    await lab.run(project, 'Runs', 'Run_2026-04-17T14-32');
    expect((await run({ kind: 'all' }, lab.config(irb))).findings).toEqual([]);
  });

  it("adds the required fields of the run's recorded template when that version can be loaded", async () => {
    const manifest = (version: string) =>
      `_exlab_type: run\n_exlab_version: "${version}"\n_exlab_run_scope: both\n_exlab_readme:\n  fields:\n    - id: protocol_reference\n      required: true\n    - id: sample_type\n      required: false\n`;
    await lab.file(join(lab.templates, 'imaging_run', 'copier.yml'), manifest('2.1'));
    await lab.file(join(lab.templates, 'old_run', 'copier.yml'), manifest('3.0'));
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const recorded = await lab.run(project, 'Runs', 'Run_2026-04-17T14-32', {
      creation: creationBody({
        level: 'run',
        path: 'x',
        template: { name: 'imaging_run', version: '2.1', source_path: join(lab.templates, 'imaging_run') },
      }),
    });
    await lab.readmeFields(recorded, readmeFieldsBody({}, { sample_type: null }));
    // Found by name in the templates folder, but the version on disk is not the one recorded.
    const otherVersion = await lab.run(project, 'Runs', 'Run_2026-04-17T14-33', {
      creation: creationBody({ level: 'run', path: 'x', template: { name: 'old_run', version: '1.0', source_path: 'old_run' } }),
    });
    await lab.readmeFields(otherVersion, readmeFieldsBody({}));
    const findings = (await run()).findings;
    expect(keys(findings)).toEqual([
      ['missing_required_field', recorded, join(recorded, '.exlab-wizard', 'readme_fields.json'), 'file_content', 'protocol_reference'],
    ]);
    expect(findings[0]?.rule_detail).toContain('(required by template imaging_run 2.1)');
  });
});

describe('audit: unsafe project names', () => {
  it('reports a project name that fails the project-name check as soft, next to the hard name findings', async () => {
    const cafe = await lab.project('CONFOCAL_01', 'Café Study');
    const spaced = await lab.project('CONFOCAL_01', 'Trailing ');
    expect(keys((await run()).findings)).toEqual([
      ['illegal_filesystem_character', spaced, spaced, 'directory_segment', ' '],
      ['unsafe_project_name', cafe, cafe, 'directory_segment', 'é'],
      ['unsafe_project_name', spaced, spaced, 'directory_segment', ' '],
    ]);
  });
});

describe('audit: overrides and sync status (§7.3)', () => {
  const override = (id: string, expiresAt: string | null = null) => ({
    id,
    problem_class: 'unresolved_placeholder_token' as const,
    operator: 'ada',
    recorded_at: '2026-04-18T09:14:22Z',
    reason: 'Vendor token kept on purpose.',
    revoked: false as const,
    expires_at: expiresAt,
  });

  async function runWithToken(leaf: string, options: Parameters<LabTree['run']>[3]): Promise<string> {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const runDir = await lab.run(project, 'Runs', leaf, options);
    await lab.file(join(runDir, 'notes.txt'), '<sample_id>\n');
    return runDir;
  }

  function tokenFinding(report: AuditReport, runDir: string): Finding | undefined {
    return report.findings.find((f) => f.run_path === runDir && f.rule === 'unresolved_placeholder_token');
  }

  it('marks a finding overridden by an active override of its rule, and only that rule', async () => {
    const runDir = await runWithToken('Run_2026-04-17T14-32', { overrides: [override('ov-1')] });
    await lab.file(join(runDir, 'a?.txt'), 'x\n');
    const report = await run();
    expect(tokenFinding(report, runDir)?.override_active).toBe(true);
    expect(report.findings.find((f) => f.rule === 'illegal_filesystem_character')?.override_active).toBe(false);
  });

  it('does not apply an override that expired a second ago', async () => {
    const runDir = await runWithToken('Run_2026-04-17T14-32', { overrides: [override('ov-1', '2026-05-01T11:59:59Z')] });
    expect(tokenFinding(await run(), runDir)?.override_active).toBe(false);
  });

  it('does not apply a tombstoned override', async () => {
    const tombstone = {
      id: 'ov-2',
      revokes: 'ov-1',
      operator: 'grace',
      recorded_at: '2026-04-19T09:00:00Z',
      reason: 'Template fixed.',
      revoked: true as const,
    };
    const runDir = await runWithToken('Run_2026-04-17T14-32', { overrides: [override('ov-1'), tombstone] });
    expect(tokenFinding(await run(), runDir)?.override_active).toBe(false);
  });

  it('marks hard findings on a synced or cleaned run as synced under the prior policy, never soft ones', async () => {
    const synced = await runWithToken('Run_2026-04-17T14-32', { syncStatus: 'synced' });
    const project = lab.path('CONFOCAL_01', 'Cortex');
    const cleaned = await lab.run(project, 'Runs', 'Run_2026-04-17T14-33', { syncStatus: 'cleaned' });
    await lab.file(join(cleaned, 'notes.txt'), '{{ x }}\n');
    const pending = await lab.run(project, 'Runs', 'Run_2026-04-17T14-34', { syncStatus: 'pending' });
    await lab.file(join(pending, 'notes.txt'), '{{ x }}\n');
    await lab.file(join(synced, 'README.md'), '---\nlabel: x\n');
    const report = await run();
    const flags = report.findings.map((f) => [f.run_path, f.rule, f.synced_under_prior_policy]);
    expect(flags).toEqual([
      [synced, 'unresolved_placeholder_token', true],
      [cleaned, 'leftover_jinja_marker', true],
      [pending, 'leftover_jinja_marker', false],
      [synced, 'malformed_yaml_front_matter', false],
    ]);
  });
});

describe('audit: what the walk skips', () => {
  it('skips and counts symlinks without following them', async () => {
    const runDir = await cleanRun();
    const outside = await lab.folder(join(lab.root, 'outside'));
    await lab.file(join(outside, 'x<y>.txt'), '{{ x }}\n');
    await symlink(outside, join(runDir, 'linked'), 'dir');
    await symlink(join(outside, 'x<y>.txt'), join(runDir, 'linked.txt'));
    const report = await run();
    expect(report.findings).toEqual([]);
    expect(report.stats.skipped_symlinks).toBe(2);
  });

  it.skipIf(isRoot)('skips and counts an unreadable folder, still checking its name', async () => {
    const runDir = await cleanRun();
    const locked = await lab.folder(join(runDir, 'locked<x>'));
    await lab.file(join(locked, 'inner<y>.txt'), 'x\n');
    await chmod(locked, 0o000);
    try {
      const report = await run();
      expect(report.stats.unreadable).toBe(1);
      expect(report.findings.map((f) => f.offending_path)).not.toContain(join(locked, 'inner<y>.txt'));
      expect(report.findings.map((f) => f.matched_token)).toContain('<x>');
    } finally {
      await chmod(locked, 0o700);
    }
  });
});

describe('audit: scopes (§11.8)', () => {
  async function twoEquipment(): Promise<{ confocal: string; flow: string; staged: string }> {
    const confocal = await cleanRun('CONFOCAL_01', 'Cortex', 'Run_<a>');
    const flow = await cleanRun('FLOW_01', 'Yeast', 'Run_<b>');
    const stagedProject = await lab.folder(join(lab.staging, 'CONFOCAL_01', 'Cortex'));
    await lab.creation(stagedProject, creationBody({ level: 'project', path: stagedProject }));
    const staged = await lab.run(stagedProject, 'Runs', 'Run_<c>');
    return { confocal, flow, staged };
  }

  const runPaths = (report: AuditReport) => [...new Set(report.findings.map((f) => f.run_path))];

  it('audits every configured equipment folder and the staging root for scope all', async () => {
    const { confocal, flow, staged } = await twoEquipment();
    expect(runPaths(await run({ kind: 'all' }))).toEqual([confocal, flow, staged]);
    const withoutStaging = await audit({ kind: 'all' }, { config: lab.config(), now: NOW, staging: false });
    expect(runPaths(withoutStaging)).toEqual([confocal, flow]);
  });

  it('audits one equipment folder for scope equipment_id, and nothing for an unknown id', async () => {
    const { flow } = await twoEquipment();
    expect(runPaths(await run({ kind: 'equipment_id', value: 'FLOW_01' }))).toEqual([flow]);
    expect(await run({ kind: 'equipment_id', value: 'NOPE_01' })).toEqual({
      findings: [],
      stats: { directories: 0, files: 0, runs: 0, projects: 0, content_scanned: 0, skipped_symlinks: 0, unreadable: 0 },
    });
  });

  it('audits one project folder for scope project_path', async () => {
    const { confocal } = await twoEquipment();
    await lab.project('CONFOCAL_01', 'Other', { orphan: true });
    const report = await run({ kind: 'project_path', value: lab.path('CONFOCAL_01', 'Cortex') });
    expect(runPaths(report)).toEqual([confocal]);
    expect(report.stats.projects).toBe(1);
  });

  it('gives an empty report for equipment folders and a staging root that do not exist yet', async () => {
    expect((await run()).findings).toEqual([]);
    expect((await run()).stats.unreadable).toBe(0);
  });

  it('queryProblems returns the sorted findings and when the audit ran', async () => {
    await twoEquipment();
    const report = await queryProblems({ kind: 'all' }, { config: lab.config(), now: NOW });
    expect(report.audit_at).toBe('2026-05-01T12:00:00Z');
    expect(report.findings).toEqual((await run()).findings);
  });
});

describe('one engine, two modes (§11.8)', () => {
  it('reports the same names and content in creation mode as the audit of the written tree', async () => {
    const project = await lab.project('CONFOCAL_01', 'Cortex');
    const runDir = join(project, 'Runs', 'Run_2026-04-17T14-32');
    const files: Record<string, string> = {
      'README.md': '---\nlabel: "<label>"\n---\n',
      'settings/acq:1.yaml': 'operator: "{{ operator }}"\n',
      'notes.txt': 'Sample <sample_id>\n',
    };
    await lab.run(project, 'Runs', 'Run_2026-04-17T14-32', { runKind: 'test' });
    for (const [name, text] of Object.entries(files)) await lab.file(join(runDir, ...name.split('/')), text);
    const created = validateCreation(
      {
        proposed_path: runDir,
        equipment_dir: lab.path('CONFOCAL_01'),
        variables: {},
        file_names: Object.keys(files),
        file_contents: files,
        run_kind: 'test',
        required_ids: [],
        readme_fields: {},
      },
      { contentScanMaxMib: 5, contentScanExtensions: ['.md', '.yaml', '.txt'] },
    );
    const audited = (await run()).findings;
    expect(created).toEqual(audited);
    expect(created.length).toBe(6);
  });
});
