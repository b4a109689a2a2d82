import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, findEquipment, loadConfig, parseConfigText } from '../../src/config/index.js';
import { ConfigError, type ConfigIssue } from '../../src/errors/index.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);

/** 1-based line of the first line of `text` containing `marker`. */
function lineOf(text: string, marker: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(marker));
  if (index < 0) throw new Error(`marker ${marker} not in text`);
  return index + 1;
}

function rejection(text: string): ConfigError {
  try {
    parseConfigText(text, 'config.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

/** Asserts that `text` is rejected with an issue at `path` on the line holding `marker` (or on that line number); returns that issue. */
function expectIssue(text: string, path: string, marker: string | number): ConfigIssue {
  const error = rejection(text);
  expect(error.code).toBe('config_invalid');
  const issue = error.issues.find((i) => i.path === path);
  expect(issue, `issues: ${JSON.stringify(error.issues)}`).toBeDefined();
  expect(issue?.line).toBe(typeof marker === 'number' ? marker : lineOf(text, marker));
  expect(issue?.file).toBe('config.yaml');
  return issue as ConfigIssue;
}

const ORCHESTRATOR = `orchestrator:
  label: Station
  staging_root: /srv/staging
`;

/** A config with one `nas` equipment entry whose lines are given after `id`. */
function withEquipment(entryLines: string): string {
  return `equipment:
  - id: SPIM_01
${entryLines}
${ORCHESTRATOR}`;
}

const RCLONE_ENTRY = `    label: Light-sheet
    nas_root: //nas/imaging
    completeness_signal: sentinel_file
    sentinel_filename: DONE.flag
    transport:
      type: rclone
      rclone_remote: imaging-nas
      rclone_remote_path: imaging/SPIM_01`;

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exlab-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the complete fixture with every block', async () => {
    const { config, text, digest } = await loadConfig(fixture('complete.yaml'));
    expect(text).toBe(await readFile(fixture('complete.yaml'), 'utf8'));
    expect(digest).toBe(createHash('sha256').update(text).digest('hex'));
    expect(config.paths.local_root).toBe('/data/acquisition');
    expect(config.lims.cache_ttl_hours).toBe(12);
    expect(config.readme.defaults.map((f) => f.id)).toEqual(['ethics_approval', 'specimen']);
    expect(config.equipment.map((e) => e.id)).toEqual(['SPIM_01', 'SORTER_2', 'PLATE_READER', 'EPHYS_RIG']);
    expect(config.logging.level).toBe('DEBUG');
    expect(config.validator.content_scan_extensions).toEqual(['.txt', '.md', '.json', '.yaml', '.csv']);
    expect(config.orchestrator.staging_cleanup).toEqual({ mode: 'scheduled', retain_hours: 72 });
  });

  it('applies equipment defaults: sync_mode nas, the ed25519 key, and no local_root when it is left out', async () => {
    const { config } = await loadConfig(fixture('complete.yaml'));
    const sorter = findEquipment(config, 'SORTER_2');
    expect(sorter?.sync_mode).toBe('nas');
    expect(sorter?.local_root).toBeUndefined();
    expect(sorter?.transport).toEqual({
      type: 'rsync_ssh',
      ssh_target: 'sync@nas02.example.org',
      ssh_key_path: '~/.ssh/id_ed25519',
      remote_path: '/volume1/sorting/SORTER_2',
    });
    expect(findEquipment(config, 'PLATE_READER')?.transport).toEqual({
      type: 'local',
      path: '/mnt/nas/plates',
      bandwidth: { upload_mbps: null, schedule: [] },
    });
    expect(findEquipment(config, 'EPHYS_RIG')?.orchestrator_staging_transport).toEqual({
      type: 'smb_mount',
      mount_point: 'Z:/',
      staging_subpath: 'EPHYS_RIG',
    });
  });

  it('finds equipment by exact id only', async () => {
    const { config } = await loadConfig(fixture('complete.yaml'));
    expect(findEquipment(config, 'SPIM_01')?.label).toBe('Light-sheet microscope');
    expect(findEquipment(config, 'spim_01')).toBeUndefined();
    expect(findEquipment(config, 'NOPE')).toBeUndefined();
  });

  it('reports a missing file as config_not_found', async () => {
    const file = join(dir, 'config.yaml');
    await expect(loadConfig(file)).rejects.toMatchObject({ name: 'ConfigError', code: 'config_not_found', status: 404 });
  });

  it('reports an unreadable path as config_invalid', async () => {
    await expect(loadConfig(dir)).rejects.toMatchObject({
      code: 'config_invalid',
      issues: [{ file: dir, path: '', message: 'cannot be read: it is a directory' }],
    });
  });

  it('gives all defaults for an empty file', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, '');
    const { config } = await loadConfig(file);
    expect(config).toEqual(defaultConfig());
  });

  it('gives all defaults for a file holding only comments', () => {
    expect(parseConfigText('# nothing configured yet\n').config).toEqual(defaultConfig());
  });

  it('reports the line and column of bad YAML', async () => {
    const file = join(dir, 'config.yaml');
    const text = 'paths:\n  templates_dir: /srv/templates\n  plugin_dir: [unclosed\nlims: {}\n';
    await writeFile(file, text);
    const error = await loadConfig(file).then(
      () => undefined,
      (e: unknown) => e as ConfigError,
    );
    expect(error?.code).toBe('config_invalid');
    expect(error?.issues[0]).toMatchObject({ file, path: '' });
    expect(error?.issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(error?.issues[0]?.message).toMatch(/^not valid YAML/);
    expect(error?.message).toContain(`${file}:${error?.issues[0]?.line}:`);
  });

  it('reports a duplicated key as bad YAML with its line', () => {
    const text = 'paths:\n  local_root: /a\n  local_root: /b\n';
    const issue = rejection(text).issues[0];
    expect(issue?.line).toBe(3);
    expect(issue?.message).toMatch(/unique/);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(rejection('- paths\n- lims\n').issues).toEqual([
      { file: 'config.yaml', line: 1, column: 1, path: '', message: expect.stringMatching(/top level must be a mapping/) },
    ]);
  });
});

describe('parseConfigText normalisation', () => {
  it('trims strings', () => {
    const { config } = parseConfigText('paths:\n  local_root: "  /data/acquisition  "\norchestrator:\n  label: " Station "\n');
    expect(config.paths.local_root).toBe('/data/acquisition');
    expect(config.orchestrator.label).toBe('Station');
  });

  it.each([
    ['debug', 'DEBUG'],
    ['Info', 'INFO'],
    ['warning', 'WARN'],
    [' error ', 'ERROR'],
  ])('accepts log level %j as %s', (given, stored) => {
    expect(parseConfigText(`logging:\n  level: "${given}"\n`).config.logging.level).toBe(stored);
  });

  it('keeps the digest of the exact text', () => {
    const text = 'sync:\n  retry_attempts: 0\n';
    expect(parseConfigText(text).digest).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('reads times like 08:00 as text (YAML 1.2), not as sexagesimal numbers', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        schedule:
          - { days: [mon], from: 08:00, to: 17:45 }`);
    expect(findEquipment(parseConfigText(text).config, 'SPIM_01')?.transport?.bandwidth?.schedule).toEqual([
      { days: ['mon'], from: '08:00', to: '17:45' },
    ]);
  });
});

describe('parseConfigText rejections', () => {
  it('rejects an unknown top-level key with its line number', () => {
    const text = `paths:\n  local_root: /data\ncolour: blue\n`;
    expect(expectIssue(text, 'colour', 'colour:').message).toBe(
      'unknown field "colour"; allowed fields: paths, lims, readme, equipment, nas_cleanup, logging, operators, validator, plugins, sync, orchestrator',
    );
  });

  it('rejects an unknown key inside paths and names the allowed ones', () => {
    const text = `paths:\n  template_dir: /srv/templates\n`;
    const issue = expectIssue(text, 'paths.template_dir', 'template_dir:');
    expect(issue.column).toBe(3);
    expect(issue.message).toContain('templates_dir, plugin_dir, local_root');
  });

  it('rejects an unknown key inside equipment with its line number', () => {
    expectIssue(withEquipment(`${RCLONE_ENTRY}\n    colour: red`), 'equipment[0].colour', 'colour: red');
  });

  it('rejects an unknown key inside a bandwidth schedule window', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        schedule:
          - days: [mon]
            from: "08:00"
            to: "18:00"
            until: "19:00"`);
    expectIssue(text, 'equipment[0].transport.bandwidth.schedule[0].until', 'until:');
  });

  it('rejects orchestrator.enabled, which the redesign removed', () => {
    const text = `orchestrator:\n  enabled: false\n  label: Station\n  staging_root: /srv/staging\n`;
    expect(expectIssue(text, 'orchestrator.enabled', 'enabled: false').message).toMatch(/removed by the 2026-05 redesign/);
  });

  it('rejects a LIMS password and says passwords live in the OS keyring', () => {
    const text = `lims:\n  endpoint: https://lims.example.org\n  password: hunter2\n`;
    const issue = expectIssue(text, 'lims.password', 'password:');
    expect(issue.message).toMatch(/OS keyring/);
    expect(rejection(text).message).not.toContain('hunter2');
  });

  it('rejects a password key in a transport', () => {
    const text = withEquipment(`${RCLONE_ENTRY}\n      password: hunter2`);
    expect(expectIssue(text, 'equipment[0].transport.password', 'password:').message).toMatch(/passwords are never stored/);
  });

  it('rejects a password key in an rsync_ssh transport', () => {
    const text = withEquipment(`    label: Sorter
    nas_root: /mnt/nas
    completeness_signal: manifest
    manifest_filename: manifest.json
    transport:
      type: rsync_ssh
      ssh_target: sync@nas
      remote_path: /volume1
      password: hunter2`);
    expectIssue(text, 'equipment[0].transport.password', 'password:');
  });

  it.each([
    ['confocal_01', /upper-case letter/],
    ['Confocal-01', /upper-case letter/],
    ['A'.repeat(33), /33 characters; at most 32/],
    ['1CONFOCAL', /upper-case letter/],
  ])('rejects the equipment id %s', (id, message) => {
    const text = withEquipment(RCLONE_ENTRY).replace('id: SPIM_01', `id: ${id}`);
    expect(expectIssue(text, 'equipment[0].id', `id: ${id}`).message).toMatch(message);
  });

  it('accepts a 32-character equipment id', () => {
    const id = `A${'B'.repeat(31)}`;
    expect(parseConfigText(withEquipment(RCLONE_ENTRY).replace('id: SPIM_01', `id: ${id}`)).config.equipment[0]?.id).toBe(id);
  });

  it('rejects duplicate equipment ids at the second entry', () => {
    const text = `equipment:
  - id: SPIM_01
${RCLONE_ENTRY}
  - id: SPIM_01 # again
${RCLONE_ENTRY}
`;
    expect(expectIssue(text, 'equipment[1].id', 'id: SPIM_01 # again').message).toMatch(
      /duplicate equipment id "SPIM_01"; equipment\[0\] already uses it/,
    );
  });

  it('rejects nas equipment without a transport, pointing at the entry', () => {
    const text = withEquipment(`    label: Light-sheet
    nas_root: //nas/imaging
    completeness_signal: sentinel_file
    sentinel_filename: DONE.flag
    sync_mode: nas`);
    expect(expectIssue(text, 'equipment[0].transport', 'id: SPIM_01').message).toMatch(/required when sync_mode is nas/);
  });

  it('rejects stage equipment without a staging transport', () => {
    const text = withEquipment(`    label: Rig
    nas_root: //nas/ephys
    completeness_signal: manifest
    manifest_filename: session.json
    sync_mode: stage`);
    expect(expectIssue(text, 'equipment[0].orchestrator_staging_transport', 'id: SPIM_01').message).toMatch(
      /required when sync_mode is stage/,
    );
  });

  it('rejects stage equipment that also has a NAS transport', () => {
    const text = withEquipment(`    label: Rig
    nas_root: //nas/ephys
    completeness_signal: manifest
    manifest_filename: session.json
    sync_mode: stage
    orchestrator_staging_transport:
      type: file_transfer
    transport:
      type: local
      path: /mnt/nas`);
    expect(expectIssue(text, 'equipment[0].transport', lineOf(text, 'type: local') - 1).message).toMatch(
      /not allowed when sync_mode is stage/,
    );
  });

  it('rejects nas equipment that has both transports, at the staging transport key', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
    orchestrator_staging_transport:
      type: smb_mount`);
    const error = rejection(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      path: 'equipment[0].orchestrator_staging_transport',
      line: lineOf(text, 'orchestrator_staging_transport:'),
      column: 5,
    });
  });

  it('rejects an unknown transport type and names the allowed ones', () => {
    const text = withEquipment(RCLONE_ENTRY).replace('type: rclone', 'type: ftp');
    const issue = expectIssue(text, 'equipment[0].transport.type', 'type: ftp');
    expect(issue.message).toBe('expected one of rclone, rsync_ssh, local');
    expect(rejection(text).message).toContain(
      `config.yaml:${lineOf(text, 'type: ftp')}:13 equipment[0].transport.type: expected one of rclone, rsync_ssh, local`,
    );
  });

  it('rejects an unknown staging transport type', () => {
    const text = withEquipment(`    label: Rig
    nas_root: //nas/ephys
    completeness_signal: manifest
    manifest_filename: session.json
    sync_mode: stage
    orchestrator_staging_transport:
      type: ftp`);
    expect(expectIssue(text, 'equipment[0].orchestrator_staging_transport.type', 'type: ftp').message).toBe(
      'expected one of smb_mount, file_transfer',
    );
  });

  it('rejects a completeness signal without its file name', () => {
    const text = withEquipment(RCLONE_ENTRY.replace('sentinel_file\n    sentinel_filename: DONE.flag', 'manifest'));
    expect(expectIssue(text, 'equipment[0].manifest_filename', 'id: SPIM_01').message).toBe(
      'required when completeness_signal is manifest',
    );
  });

  it('rejects an empty label, nas_root and an explicitly empty local_root', () => {
    const text = withEquipment(
      RCLONE_ENTRY.replace('label: Light-sheet', 'label: ""\n    local_root: "  "').replace('nas_root: //nas/imaging', 'nas_root: ""'),
    );
    expect(expectIssue(text, 'equipment[0].label', 'label: ""').message).toBe('must not be empty');
    expect(expectIssue(text, 'equipment[0].local_root', 'local_root:').message).toMatch(/leave the key out to use paths.local_root/);
    expectIssue(text, 'equipment[0].nas_root', 'nas_root:');
  });

  it('rejects a schedule window whose from is not before to', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        schedule:
          - { days: [mon], from: "18:00", to: "08:00" }`);
    expect(expectIssue(text, 'equipment[0].transport.bandwidth.schedule[0].to', 'from: "18:00"').message).toMatch(
      /must be later than from \(18:00\)/,
    );
  });

  it('rejects a schedule window whose from equals to', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        schedule:
          - { days: [mon], from: "09:00", to: "09:00" }`);
    expectIssue(text, 'equipment[0].transport.bandwidth.schedule[0].to', 'to: "09:00"');
  });

  it('rejects a time without a leading zero such as 8:00', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        schedule:
          - days: [mon]
            from: "8:00"
            to: "18:00"`);
    expect(expectIssue(text, 'equipment[0].transport.bandwidth.schedule[0].from', 'from: "8:00"').message).toMatch(/HH:MM/);
  });

  it('rejects empty, repeated and unknown schedule days', () => {
    const empty = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        schedule:
          - days: []
            from: "08:00"
            to: "18:00"`);
    expect(expectIssue(empty, 'equipment[0].transport.bandwidth.schedule[0].days', 'days: []').message).toMatch(/at least one day/);
    const repeated = empty.replace('days: []', 'days: [mon, tue, mon]');
    expect(expectIssue(repeated, 'equipment[0].transport.bandwidth.schedule[0].days[2]', 'days:').message).toBe('"mon" is listed twice');
    const unknown = empty.replace('days: []', 'days: [monday]');
    expect(expectIssue(unknown, 'equipment[0].transport.bandwidth.schedule[0].days[0]', 'days:').message).toBe(
      'expected one of mon, tue, wed, thu, fri, sat, sun',
    );
  });

  it('rejects an upload limit of 0 and accepts null as unlimited', () => {
    const text = withEquipment(`${RCLONE_ENTRY}
      bandwidth:
        upload_mbps: 0`);
    expect(expectIssue(text, 'equipment[0].transport.bandwidth.upload_mbps', 'upload_mbps: 0').message).toMatch(/greater than 0/);
    const unlimited = parseConfigText(text.replace('upload_mbps: 0', 'upload_mbps: null')).config;
    expect(findEquipment(unlimited, 'SPIM_01')?.transport?.bandwidth).toEqual({ upload_mbps: null, schedule: [] });
  });

  it('rejects an unknown log level and names the allowed ones', () => {
    const text = `logging:\n  level: verbose\n`;
    expect(expectIssue(text, 'logging.level', 'level: verbose').message).toBe('expected one of DEBUG, INFO, WARN, ERROR (any case)');
  });

  it('rejects a content-scan extension without a leading dot', () => {
    const text = `validator:\n  content_scan_extensions:\n    - .txt\n    - md\n`;
    expect(expectIssue(text, 'validator.content_scan_extensions[1]', '- md').message).toMatch(/must start with "\."/);
  });

  it('rejects numbers below their minimums', () => {
    const text = `lims:\n  cache_ttl_hours: -1\nvalidator:\n  content_scan_max_mib: 0\nsync:\n  retry_attempts: 1.5\nnas_cleanup:\n  min_verify_passes: 0\norchestrator:\n  staging_cleanup:\n    retain_hours: 0\n`;
    expect(expectIssue(text, 'lims.cache_ttl_hours', 'cache_ttl_hours').message).toBe('must be at least 0');
    expectIssue(text, 'validator.content_scan_max_mib', 'content_scan_max_mib');
    expect(expectIssue(text, 'sync.retry_attempts', 'retry_attempts').message).toBe('expected a whole number, got number 1.5');
    expectIssue(text, 'nas_cleanup.min_verify_passes', 'min_verify_passes');
    expectIssue(text, 'orchestrator.staging_cleanup.retain_hours', 'retain_hours');
    expect(rejection(text).issues).toHaveLength(5);
  });

  it('rejects a choice field without options', () => {
    const text = `readme:\n  defaults:\n    - id: specimen\n      label: Specimen\n      type: choice\n`;
    expect(expectIssue(text, 'readme.defaults[0].options', 'id: specimen').message).toBe('a choice field needs a non-empty options list');
    const empty = `${text}      options: []\n`;
    expectIssue(empty, 'readme.defaults[0].options', 'options: []');
  });

  it('rejects a core field id in readme.defaults', () => {
    const text = `readme:\n  defaults:\n    - id: operator\n      label: Operator\n`;
    expect(expectIssue(text, 'readme.defaults[0].id', 'id: operator').message).toMatch(/core fields/);
  });

  it('rejects a README field id that breaks the pattern, an unknown type and a repeated id', () => {
    const text = `readme:
  defaults:
    - id: Sample-Type
      label: Sample
    - id: notes
      label: Notes
      type: paragraph
    - id: notes
      label: More notes
`;
    expect(expectIssue(text, 'readme.defaults[0].id', 'id: Sample-Type').message).toMatch(/lower-case letter/);
    expect(expectIssue(text, 'readme.defaults[1].type', 'type: paragraph').message).toBe(
      'expected one of string, text, choice, date, boolean',
    );
    expect(expectIssue(text, 'readme.defaults[2].id', text.split('\n').lastIndexOf('    - id: notes') + 1).message).toMatch(
      /duplicate README field id/,
    );
  });

  it('rejects a default that does not fit the README field type', () => {
    const text = `readme:
  defaults:
    - id: consent
      label: Consent
      type: boolean
      default: "yes"
    - id: specimen
      label: Specimen
      type: choice
      options: [Mouse, Rat]
      default: Dog
`;
    expectIssue(text, 'readme.defaults[0].default', 'default: "yes"');
    expect(expectIssue(text, 'readme.defaults[1].default', 'default: Dog').message).toBe('must be one of the options: Mouse, Rat');
  });

  it('rejects a LIMS endpoint that is not a URL', () => {
    expectIssue(`lims:\n  endpoint: lims.example.org\n`, 'lims.endpoint', 'endpoint:');
  });

  it('rejects a block of the wrong shape', () => {
    expect(expectIssue(`equipment:\n  id: SPIM_01\n`, 'equipment', 'equipment:').message).toBe('expected a list, got a mapping');
  });

  it('lists every problem at once in a readable multi-line message', () => {
    const text = `paths:
  local_rot: /data
equipment:
  - id: bad id
    label: X
    nas_root: /n
    completeness_signal: manifest
    manifest_filename: m.json
    transport:
      type: rclone
      rclone_remote: r
      rclone_remote_path: p
logging:
  level: loud
`;
    const error = rejection(text);
    expect(error.issues.map((i) => i.path)).toEqual(['paths.local_rot', 'equipment[0].id', 'logging.level']);
    expect(error.message.split('\n')).toEqual([
      'config.yaml is not a valid configuration (3 problems):',
      '  config.yaml:2:3 paths.local_rot: unknown field "local_rot"; allowed fields: templates_dir, plugin_dir, local_root',
      '  config.yaml:4:9 equipment[0].id: equipment id must start with an upper-case letter A-Z and contain only A-Z, 0-9 and _ (e.g. CONFOCAL_01)',
      '  config.yaml:14:10 logging.level: expected one of DEBUG, INFO, WARN, ERROR (any case)',
    ]);
    expect(error.field).toBe('paths.local_rot');
    expect(error.details?.issues).toHaveLength(3);
  });
});
