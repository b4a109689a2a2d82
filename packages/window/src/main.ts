#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { PRODUCT_VERSION } from '@exlab/core/constants';
import { runWindow, WINDOW_EXIT } from './process/window-process.js';

// The process edge of `exlab-window` (§15.3.2): parse, run, exit with the window's code.
const USAGE =
  'Usage: exlab-window [--version]\n  Opens the ExLab-Wizard UI of the running tray (EXLAB_STATE_DIR, EXLAB_BROWSER, EXLAB_HEADLESS, EXLAB_DEBUG).';
let code: number;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: { version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.version) {
    process.stdout.write(`${PRODUCT_VERSION}\n`);
    code = 0;
  } else if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    code = 0;
  } else {
    code = await runWindow();
  }
} catch (error) {
  process.stderr.write(`exlab-window: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  code = WINDOW_EXIT.usage;
}
process.exit(code);
