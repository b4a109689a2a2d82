#!/usr/bin/env node
import { EXIT_CODES, PRODUCT_VERSION } from '@exlab/core/constants';
import { enableModuleCompileCache } from '@exlab/core/paths';
import { nodeRuntimeFlags } from '@exlab/core/process';
import { parseTrayArgs, TRAY_USAGE } from './tray-args.js';

// Node's compile cache under the product's cache dir: a tray's later starts skip compiling the
// server and controller modules, which are imported below, after it is on.
enableModuleCompileCache();

// The process edge of `exlab-wizard-tray` (§15.3.1): parse, run, exit with the tray's code. The
// tray itself (server, controller) is loaded only when it is going to run.
const parsed = parseTrayArgs(process.argv.slice(2));
let code: number;
if (parsed.kind === 'version') {
  process.stdout.write(`${PRODUCT_VERSION}\n`);
  code = EXIT_CODES.ok;
} else if (parsed.kind === 'help') {
  process.stdout.write(`${TRAY_USAGE}\n`);
  code = EXIT_CODES.ok;
} else if (parsed.kind === 'usage_error') {
  process.stderr.write(`exlab-wizard-tray: ${parsed.message}\n${TRAY_USAGE}\n`);
  code = EXIT_CODES.usage;
} else {
  const { runTrayForeground } = await import('./tray.js');
  const entry = process.argv[1];
  code = await runTrayForeground({
    ...parsed.options,
    selfCommand: entry === undefined ? undefined : [process.execPath, ...nodeRuntimeFlags(), entry],
  });
}
process.exit(code);
