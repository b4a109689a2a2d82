#!/usr/bin/env node
import { runCli } from './program.js';

// `exlab problems | head` closes the pipe early; that ends the output, it is not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

// The process edge: parse, run, exit with the command's code.
const code = await runCli(process.argv.slice(2));
process.exit(code);
