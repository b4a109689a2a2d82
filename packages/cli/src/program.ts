import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_CODES, LOG_LEVELS, PRODUCT_VERSION, type LogLevel } from '@exlab/core/constants';
import { configCheckCommand } from './commands/config-check.js';
import { startCommand, type StartFlags } from './commands/start.js';
import { statusCommand, type StatusFlags } from './commands/status.js';
import { stopCommand, type StopFlags } from './commands/stop.js';
import { processOutput, type Output } from './output.js';

/** What a CLI run may be given instead of the real process. */
export interface CliEnvironment {
  /** Where output goes. */
  output?: Output;
  /** Environment variables. */
  env?: Readonly<Record<string, string | undefined>>;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new InvalidArgumentError(`"${value}" is not a port number (0-65535).`);
  return port;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number of seconds.`);
  return n;
}

function parseLogLevel(value: string): LogLevel {
  const upper = value.toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(upper))
    throw new InvalidArgumentError(`"${value}" is not a log level; allowed: ${LOG_LEVELS.join(', ')}.`);
  return upper as LogLevel;
}

/** Runs the `exlab` command with `argv` (without node and the script) and returns the exit code (usage errors are 64). */
export async function runCli(argv: readonly string[], environment: CliEnvironment = {}): Promise<number> {
  const output = environment.output ?? processOutput;
  const env = environment.env ?? process.env;
  let exitCode: number = EXIT_CODES.ok;
  const program = new Command('exlab')
    .description('ExLab-Wizard: standardized experiment folders for your lab.')
    .version(PRODUCT_VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.out(text.trimEnd()), writeErr: (text) => output.err(text.trimEnd()) })
    .showHelpAfterError('(run "exlab --help" for usage)');

  const stateDirOption = (): Option => new Option('--state-dir <dir>', 'state directory (default: the OS state dir, or EXLAB_STATE_DIR)');

  program
    .command('start')
    .description('start ExLab-Wizard (a detached tray unless --foreground)')
    .option('--foreground', 'run in this terminal until Ctrl-C or SIGTERM')
    .option('--headless', 'no tray icon and no window; serve the API only')
    .option('--config <file>', 'config.yaml to use (default: the OS config path, else the embedded demo lab)')
    .addOption(stateDirOption())
    .option('--port <n>', 'fixed port; fails with exit 4 when taken (default: any free port)', parsePort)
    .option('--no-demo', 'do not create or use the embedded demo lab when no config exists')
    .option('--log-level <level>', `log threshold (${LOG_LEVELS.join(', ')})`, parseLogLevel)
    .option('--wait <seconds>', 'how long to wait for a detached start to become healthy', parsePositive)
    .action(async (flags: StartFlags) => {
      exitCode = await startCommand(flags, output, env);
    });

  program
    .command('status')
    .description('show whether ExLab-Wizard is running (exit 0 healthy, 1 stale, 3 not running, 4 unhealthy)')
    .option('--json', 'print a JSON report')
    .addOption(stateDirOption())
    .action(async (flags: StatusFlags) => {
      exitCode = await statusCommand(flags, output, env);
    });

  program
    .command('stop')
    .description('stop ExLab-Wizard: SIGTERM, then SIGKILL after the timeout')
    .addOption(stateDirOption())
    .option('--timeout <seconds>', 'seconds to wait before SIGKILL (default 10)', parsePositive)
    .action(async (flags: StopFlags) => {
      exitCode = await stopCommand(flags, output, env);
    });

  const config = program.command('config').description('work with config.yaml');
  config
    .command('check [file]')
    .description('validate a config file and list every problem with its line and field')
    .action(async (file: string | undefined) => {
      exitCode = await configCheckCommand(file, output, env);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
        return EXIT_CODES.ok;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT_CODES.failure;
      return EXIT_CODES.usage;
    }
    throw error;
  }
  return exitCode;
}
