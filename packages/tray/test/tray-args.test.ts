import { describe, expect, it } from 'vitest';
import { parseTrayArgs } from '../src/tray-args.js';

describe('exlab-wizard-tray flags (T5)', () => {
  it('parses every flag', () => {
    expect(
      parseTrayArgs([
        '--config',
        '/c.yaml',
        '--log-level',
        'debug',
        '--port',
        '8080',
        '--open-window',
        '--no-autostart-prompt',
        '--smoke',
        '--state-dir',
        '/s',
        '--testing',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        configPath: '/c.yaml',
        logLevel: 'DEBUG',
        port: 8080,
        stateDir: '/s',
        openWindow: true,
        smoke: true,
        headless: false,
        noDemo: false,
        testing: true,
      },
    });
  });

  it('answers --version, and calls an unknown flag or a bad value a usage error', () => {
    expect(parseTrayArgs(['--version'])).toEqual({ kind: 'version' });
    expect(parseTrayArgs(['--bogus']).kind).toBe('usage_error');
    expect(parseTrayArgs(['--port', 'eighty'])).toEqual({ kind: 'usage_error', message: '"eighty" is not a port number (0-65535).' });
    expect(parseTrayArgs(['--log-level', 'LOUD']).kind).toBe('usage_error');
  });
});
