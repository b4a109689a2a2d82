#!/usr/bin/env node
import { enableModuleCompileCache } from '@exlab/core/paths';

// Node's compile cache under the product's cache dir: later runs skip parsing and compiling the
// modules they load. Enabled before the program is imported, so it covers all of it.
enableModuleCompileCache();

// `exlab problems | head` closes the pipe early; that ends the output, it is not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

// The process edge: parse, run, exit with the command's code.
const { runCli } = await import('./program.js');
const code = await runCli(process.argv.slice(2));
process.exit(code);
