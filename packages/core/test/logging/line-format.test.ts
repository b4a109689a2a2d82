import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/index.js';
import { formatLogLine, normalizeLogLevel } from '../../src/logging/index.js';

const time = new Date('2026-04-17T14:32:00.789Z');

describe('formatLogLine', () => {
  it('renders the L1 example exactly', () => {
    expect(formatLogLine({ time, level: 'INFO', tags: { host: 'labpc-04', equip: 'CONFOCAL_01' }, msg: 'probe ok' })).toBe(
      '2026-04-17T14:32:00Z [INFO ] [host:labpc-04] [equip:CONFOCAL_01] probe ok',
    );
  });

  it('pads every level to five characters inside the brackets', () => {
    const levels = (['DEBUG', 'INFO', 'WARN', 'ERROR'] as const).map((level) => formatLogLine({ time, level, msg: 'x' }).slice(21, 28));
    expect(levels).toEqual(['[DEBUG]', '[INFO ]', '[WARN ]', '[ERROR]']);
  });

  it('writes WARNING as WARN and CRITICAL as ERROR', () => {
    expect(formatLogLine({ time, level: 'WARNING', msg: 'x' })).toBe('2026-04-17T14:32:00Z [WARN ] x');
    expect(formatLogLine({ time, level: 'CRITICAL', msg: 'x' })).toBe('2026-04-17T14:32:00Z [ERROR] x');
  });

  it('writes every tag in the fixed order with plugin and worker joined', () => {
    const line = formatLogLine({
      time,
      level: 'INFO',
      // Given in reverse order on purpose.
      tags: {
        trace: 't-1',
        worker: 4242,
        plugin: 'xlsx',
        component: 'plugin_host',
        run: 'Run_2026-04-17T14-32',
        kind: 'experimental',
        proj: 'PROJ-0042',
        equip: 'CONFOCAL_01',
        host: 'labpc-04',
      },
      msg: 'applied',
    });
    expect(line).toBe(
      '2026-04-17T14:32:00Z [INFO ] [host:labpc-04] [equip:CONFOCAL_01] [proj:PROJ-0042] [kind:experimental] [run:Run_2026-04-17T14-32] [component:plugin_host] [plugin:xlsx][worker:4242] [trace:t-1] applied',
    );
  });

  it('omits unset and empty tags', () => {
    expect(formatLogLine({ time, level: 'WARN', tags: { host: 'h', equip: '', proj: undefined, kind: 'test' }, msg: 'm' })).toBe(
      '2026-04-17T14:32:00Z [WARN ] [host:h] [kind:test] m',
    );
    expect(formatLogLine({ time, level: 'INFO', tags: { worker: 7 }, msg: 'm' })).toBe('2026-04-17T14:32:00Z [INFO ] [worker:7] m');
  });

  it('escapes line breaks so one event stays one line', () => {
    const line = formatLogLine({ time, level: 'ERROR', tags: { run: 'a\nb' }, msg: 'first\nsecond\r\nthird' });
    expect(line).toBe('2026-04-17T14:32:00Z [ERROR] [run:a\\nb] first\\nsecond\\r\\nthird');
    expect(line).not.toMatch(/[\r\n]/);
  });
});

describe('normalizeLogLevel', () => {
  it('accepts the four levels and the Python aliases in any case', () => {
    expect(['debug', 'Info', 'WARN', 'error', 'warning', 'Critical', ' INFO '].map(normalizeLogLevel)).toEqual([
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
      'WARN',
      'ERROR',
      'INFO',
    ]);
  });

  it('rejects an unknown level naming the allowed values', () => {
    expect(() => normalizeLogLevel('verbose')).toThrow(ValidationError);
    expect(() => normalizeLogLevel('verbose')).toThrow(/DEBUG, INFO, WARN, ERROR/);
  });
});
