/** The `exlab` command as a library: run it with arguments and an injectable output. */
export { runCli, type CliEnvironment } from './program.js';
export { processOutput, type Output } from './output.js';
export { probeTray, fetchHealth, type TrayProbe } from './tray-probe.js';
