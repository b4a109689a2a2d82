import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_STAMP_PATTERN } from '@exlab/core/constants';
import {
  checkEquipmentId,
  checkProjectName,
  equipmentDir,
  projectDir,
  runDir,
  runFolderName,
  runStamp,
  type EquipmentLocationConfig,
} from '@exlab/core/paths';

const config: EquipmentLocationConfig = {
  paths: { local_root: '/data/lab' },
  equipment: [
    { id: 'CONFOCAL_01' },
    { id: 'FLOW_01', local_root: '/mnt/flow' },
    { id: 'SPIM_01', local_root: null },
    { id: 'EMPTY_01', local_root: '' },
  ],
};

describe('runStamp and runFolderName', () => {
  it('stamps a run with the UTC minute as YYYY-MM-DDTHH-MM', () => {
    const stamp = runStamp(new Date('2026-04-17T14:32:59Z'));
    expect(stamp).toBe('2026-04-17T14-32');
    expect(RUN_STAMP_PATTERN.test(stamp)).toBe(true);
  });

  it('converts a time given with an offset to UTC, crossing midnight', () => {
    expect(runStamp(new Date('2026-04-17T23:59:00-05:00'))).toBe('2026-04-18T04-59');
  });

  it('truncates seconds and milliseconds instead of rounding', () => {
    expect(runStamp(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31T23-59');
  });

  it('names experimental runs Run_<stamp> and test runs TestRun_<stamp>', () => {
    const date = new Date('2026-04-17T14:32:59Z');
    expect(runFolderName('experimental', date)).toBe('Run_2026-04-17T14-32');
    expect(runFolderName('test', date)).toBe('TestRun_2026-04-17T14-32');
  });
});

describe('run paths (core.md B1)', () => {
  it('puts a test run of "Cortex Q3 Pilot" on CONFOCAL_01 at TestRuns/TestRun_2026-04-17T14-32', () => {
    const equipment = equipmentDir(config, 'CONFOCAL_01');
    expect(equipment).toBe(join('/data/lab', 'CONFOCAL_01'));
    const project = projectDir(equipment as string, 'Cortex Q3 Pilot');
    const run = runDir(project, 'test', new Date('2026-04-17T14:32:59Z'));
    expect(run).toBe(join('/data/lab', 'CONFOCAL_01', 'Cortex Q3 Pilot', 'TestRuns', 'TestRun_2026-04-17T14-32'));
  });

  it('puts an experimental run under Runs/Run_<stamp>', () => {
    expect(runDir('/p', 'experimental', new Date('2026-01-02T03:04:05Z'))).toBe(join('/p', 'Runs', 'Run_2026-01-02T03-04'));
  });

  it('gives two runs in the same minute the same path and runs a minute apart different ones', () => {
    const first = runDir('/p', 'experimental', new Date('2026-04-17T14:32:00Z'));
    const second = runDir('/p', 'experimental', new Date('2026-04-17T14:32:59.999Z'));
    const next = runDir('/p', 'experimental', new Date('2026-04-17T14:33:00Z'));
    expect(second).toBe(first);
    expect(next).not.toBe(first);
  });

  it('uses the project name verbatim as the folder name', () => {
    expect(projectDir('/data/lab/CONFOCAL_01', 'Cortex Q3 Pilot (v2)')).toBe(join('/data/lab/CONFOCAL_01', 'Cortex Q3 Pilot (v2)'));
  });
});

describe('equipmentDir', () => {
  it('uses the equipment own local_root when set', () => {
    expect(equipmentDir(config, 'FLOW_01')).toBe(join('/mnt/flow', 'FLOW_01'));
  });

  it('falls back to paths.local_root when local_root is absent, null or empty', () => {
    expect(equipmentDir(config, 'CONFOCAL_01')).toBe(join('/data/lab', 'CONFOCAL_01'));
    expect(equipmentDir(config, 'SPIM_01')).toBe(join('/data/lab', 'SPIM_01'));
    expect(equipmentDir(config, 'EMPTY_01')).toBe(join('/data/lab', 'EMPTY_01'));
  });

  it('returns undefined for an id that is not configured, without case-folding', () => {
    expect(equipmentDir(config, 'UNKNOWN_01')).toBeUndefined();
    expect(equipmentDir(config, 'confocal_01')).toBeUndefined();
  });
});

describe('checkEquipmentId (core.md B2)', () => {
  it.each(['CONFOCAL_01', 'A', 'A'.repeat(32), 'FLOW_CYTO_2', 'X_'])('accepts %s', (id) => {
    expect(checkEquipmentId(id)).toEqual([]);
  });

  it.each(['confocal_01', 'Confocal-01', '01_CONFOCAL', 'CONFOCAL 01', '仪器_01', '_CONFOCAL', 'CONFOCAL.01'])(
    'rejects %s with the pattern rule',
    (id) => {
      expect(checkEquipmentId(id)).toEqual([
        'equipment id must start with an upper-case letter A-Z and contain only A-Z, 0-9 and _ (e.g. CONFOCAL_01)',
      ]);
    },
  );

  it('rejects a 33-character id with the length rule only', () => {
    expect(checkEquipmentId('A'.repeat(33))).toEqual(['equipment id is 33 characters; at most 32 are allowed']);
  });

  it('reports both rules for an id that is too long and badly formed', () => {
    expect(checkEquipmentId('a'.repeat(40))).toHaveLength(2);
  });

  it('rejects an empty id', () => {
    expect(checkEquipmentId('')).toEqual(['equipment id is empty']);
  });
});

describe('checkProjectName (core.md B3)', () => {
  it.each(['Cortex Q3 Pilot', 'a.b.c', 'x', 'x'.repeat(255), 'COM10', 'CONSOLE', 'Pilot (2026) #3 & more'])('accepts %j', (name) => {
    expect(checkProjectName(name)).toEqual([]);
  });

  it('rejects an empty name', () => {
    expect(checkProjectName('')).toEqual([{ token: '', message: 'project name is empty' }]);
  });

  it('rejects a name with a slash, naming the character', () => {
    const problems = checkProjectName('bad/name');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.token).toBe('/');
    expect(problems[0]?.message).toContain('"/"');
  });

  it('rejects leading whitespace', () => {
    expect(checkProjectName(' x')).toEqual([{ token: ' ', message: 'project name starts with whitespace' }]);
  });

  it('rejects trailing whitespace', () => {
    expect(checkProjectName('x ')).toEqual([{ token: ' ', message: 'project name ends with whitespace' }]);
  });

  it('rejects a trailing dot', () => {
    expect(checkProjectName('x.')).toEqual([{ token: '.', message: 'project name ends with "."' }]);
  });

  it('rejects a character outside printable ASCII, naming its code point', () => {
    expect(checkProjectName('café')).toEqual([{ token: 'é', message: 'project name contains U+00E9; only printable ASCII is allowed' }]);
  });

  it('rejects control characters such as a tab', () => {
    const problems = checkProjectName('a\tb');
    expect(problems.map((p) => p.token)).toEqual(['\t']);
    expect(problems[0]?.message).toContain('U+0009');
  });

  it('rejects a reserved device stem, whatever the case and extension', () => {
    expect(checkProjectName('nul.txt')).toEqual([{ token: 'NUL', message: '"NUL" is a reserved device name on Windows' }]);
    expect(checkProjectName('Lpt9.data.csv').map((p) => p.token)).toEqual(['LPT9']);
    expect(checkProjectName('con').map((p) => p.token)).toEqual(['CON']);
  });

  it('rejects a 256-character name with one length problem', () => {
    const problems = checkProjectName('x'.repeat(256));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toBe('project name is 256 characters; at most 255 are allowed');
  });

  it('reports a repeated illegal character once', () => {
    expect(checkProjectName('a/b/c/d').map((p) => p.token)).toEqual(['/']);
    expect(checkProjectName('café é').map((p) => p.token)).toEqual(['é']);
  });

  it('reports every distinct problem once each', () => {
    const problems = checkProjectName(' aux.<b>:c?.');
    expect(problems.map((p) => p.token)).toEqual([' ', '.', '<', '>', ':', '?', 'AUX']);
  });

  it('flags each of the nine illegal characters', () => {
    for (const ch of ['<', '>', ':', '"', '/', '\\', '|', '?', '*']) {
      expect(
        checkProjectName(`a${ch}b`).map((p) => p.token),
        ch,
      ).toEqual([ch]);
    }
  });
});
