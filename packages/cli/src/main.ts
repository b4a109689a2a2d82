#!/usr/bin/env node
import { runCli } from './program.js';

// The process edge: parse, run, exit with the command's code.
const code = await runCli(process.argv.slice(2));
process.exit(code);
