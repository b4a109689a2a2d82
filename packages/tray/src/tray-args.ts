import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '@exlab/core/constants';
import type { TrayOptions } from './tray.js';

/** Usage of `exlab-wizard-tray` (lifecycle.md T5). */
export const TRAY_USAGE = `Usage: exlab-wizard-tray [options]
  --config FILE            config.yaml to use
  --log-level LEVEL        ${LOG_LEVELS.join(', ')}
  --port N                 fixed port; exit 4 when taken (default: any free port)
  --state-dir DIR          state directory (default: EXLAB_STATE_DIR or the OS state dir)
  --open-window            open the window now
  --no-autostart-prompt    accepted for compatibility; does nothing
  --smoke                  server only, no icon; SIGTERM exits 0
  --headless               no icon, no window
  --no-demo                do not create or use the demo lab
  --testing                development builds: enable the EXLAB_TEST_* hooks
  --version                print the version`;

/** What the command line asks for: run the tray, print something, or a usage error (exit 64). */
export type ParsedTrayArgs =
  { kind: 'run'; options: TrayOptions } | { kind: 'version' } | { kind: 'help' } | { kind: 'usage_error'; message: string };

/** Parses the tray's flags (T5); an unknown flag or a bad value is a usage error. */
export function parseTrayArgs(argv: readonly string[]): ParsedTrayArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        'log-level': { type: 'string' },
        port: { type: 'string' },
        'state-dir': { type: 'string' },
        'open-window': { type: 'boolean' },
        'no-autostart-prompt': { type: 'boolean' },
        smoke: { type: 'boolean' },
        headless: { type: 'boolean' },
        'no-demo': { type: 'boolean' },
        testing: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { kind: 'usage_error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.version) return { kind: 'version' };
  if (values.help) return { kind: 'help' };
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      return { kind: 'usage_error', message: `"${values.port}" is not a port number (0-65535).` };
  }
  let logLevel: LogLevel | undefined;
  if (values['log-level'] !== undefined) {
    const upper = values['log-level'].toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(upper))
      return { kind: 'usage_error', message: `"${values['log-level']}" is not a log level; allowed: ${LOG_LEVELS.join(', ')}.` };
    logLevel = upper as LogLevel;
  }
  return {
    kind: 'run',
    options: {
      configPath: values.config,
      logLevel,
      port,
      stateDir: values['state-dir'],
      openWindow: values['open-window'] === true,
      smoke: values.smoke === true,
      headless: values.headless === true,
      noDemo: values['no-demo'] === true,
      testing: values.testing === true,
    },
  };
}
