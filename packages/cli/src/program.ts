import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_CODES, LOG_LEVELS, PRODUCT_VERSION, type LogLevel } from '@exlab/core/constants';
import type { CreateProjectFlags, CreateRunFlags } from './commands/create.js';
import type { DoctorFlags } from './commands/doctor.js';
import type { LogsFlags } from './commands/logs.js';
import type { OpenFlags } from './commands/open.js';
import type { PluginsExecFlags, PluginsLintFlags, PluginsListFlags, PluginsNewFlags } from './commands/plugins.js';
import type { OverrideFlags, ProblemsFlags, RevokeFlags } from './commands/problems.js';
import type { StartFlags } from './commands/start.js';
import type { StatusFlags } from './commands/status.js';
import type { StopFlags } from './commands/stop.js';
import type { TemplatesLintFlags, TemplatesListFlags, TemplatesNewFlags } from './commands/templates.js';
import { collectKeyValue, COMMAND_USAGE_EXIT } from './exit-codes.js';
import { processOutput, type Output } from './output.js';

// Every command's module is imported inside its action, so `exlab start` loads the start command
// and what it needs, not the plugin host, the controller and the template engine as well.

/** What a CLI run may be given instead of the real process. */
export interface CliEnvironment {
  /** Where output goes. */
  output?: Output;
  /** Environment variables. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A parse error of a command whose usage errors exit with their own code (`problems`: 2). */
class CommandUsageError extends CommanderError {}

const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/** exitOverride callback giving a command's parse errors `code` instead of the global 64. */
function usageExit(code: number): (error: CommanderError) => never {
  return (error) => {
    if (HELP_CODES.has(error.code)) throw error;
    throw new CommandUsageError(code, error.code, error.message);
  };
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
    .option('--wait <seconds>', 'how long to wait for a detached start to become healthy (default 15)', parsePositive)
    .option('--open-window', 'open the window now, not only on the first launch')
    .option('--smoke', 'server only, no icon or window; prints "exlab-wizard-tray smoke: server on port N"')
    .option('--no-autostart-prompt', 'accepted for compatibility; does nothing')
    .addOption(new Option('--testing', 'development builds: enable the EXLAB_TEST_* hooks').hideHelp())
    .action(async (flags: StartFlags) => {
      const { startCommand } = await import('./commands/start.js');
      exitCode = await startCommand(flags, output, env);
    });

  program
    .command('status')
    .description('show whether ExLab-Wizard is running (exit 0 healthy, 1 stale, 3 not running, 4 unhealthy)')
    .option('--json', 'print a JSON report')
    .addOption(stateDirOption())
    .action(async (flags: StatusFlags) => {
      const { statusCommand } = await import('./commands/status.js');
      exitCode = await statusCommand(flags, output, env);
    });

  program
    .command('stop')
    .description('stop ExLab-Wizard: graceful quit, then SIGTERM to its process group, SIGKILL 10 s later (exit 0 stopped, 1 still alive)')
    .addOption(stateDirOption())
    .option('--timeout <seconds>', 'seconds running work may take to finish before the quit is forced (default 30)', parsePositive)
    .option('--force', 'do not wait for running work')
    .action(async (flags: StopFlags) => {
      const { stopCommand } = await import('./commands/stop.js');
      exitCode = await stopCommand(flags, output, env);
    });

  program
    .command('open')
    .description('open the window: asks the running tray (a window already open is focused), or starts one (exit 0 opened, 1 failed)')
    .addOption(stateDirOption())
    .option('--config <file>', 'config.yaml for a tray this starts')
    .option('--wait <seconds>', 'how long to wait for a tray this starts to become healthy', parsePositive)
    .action(async (flags: OpenFlags) => {
      const { openCommand } = await import('./commands/open.js');
      exitCode = await openCommand(flags, output, env);
    });

  program
    .command('logs')
    .description("print the end of app.log, or with --daemon the detached tray's stdout/stderr (exit 1 when there is no log)")
    .addOption(stateDirOption())
    .option('-n, --lines <count>', 'lines to print (default 50)', (value: string) => Math.floor(parsePositive(value)))
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--daemon', "the newest detached tray run's stdout.log and stderr.log")
    .option('--path', 'print the log file path(s) only')
    .action(async (flags: LogsFlags) => {
      const { logsCommand } = await import('./commands/logs.js');
      exitCode = await logsCommand(flags, output, env);
    });

  program
    .command('doctor')
    .description(
      'check this machine: Node, folders, config, setup, rsync/rclone/ssh, browser, keyring, tray (exit 0 fine, 1 a check failed)',
    )
    .addOption(stateDirOption())
    .option('--config <file>', 'config.yaml to check (default: the OS config path)')
    .option('--json', 'print {ok, checks: [{name, status, detail, hint}]}')
    .action(async (flags: DoctorFlags) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      exitCode = await doctorCommand(flags, output, env);
    });

  const config = program.command('config').description('work with config.yaml');
  config
    .command('check [file]')
    .description('validate a config file and list every problem with its line and field')
    .action(async (file: string | undefined) => {
      const { configCheckCommand } = await import('./commands/config-check.js');
      exitCode = await configCheckCommand(file, output, env);
    });

  const problems = program
    .command('problems')
    .description('list naming problems in the lab (§8.1): exit 0 when nothing blocks sync, 1 when a hard finding does, 2 on usage errors')
    .option('--config <file>', 'config.yaml to use (default: the OS config path, else the demo lab config)')
    .option('--scope <scope>', 'all, an equipment id, or a project folder path', 'all')
    .option('--json', 'print the problems report as JSON ({findings, audit_at})')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT))
    .action(async (flags: ProblemsFlags) => {
      const { problemsCommand } = await import('./commands/problems.js');
      exitCode = await problemsCommand(flags, output, env);
    });
  problems
    .command('override <run_path>')
    .description('record an override of a hard finding on a run (prints the new entry id)')
    .requiredOption('--class <class>', 'the hard rule to override, e.g. leftover_jinja_marker')
    .requiredOption('--reason <text>', 'why (10 to 500 characters)')
    .option('--expires <date>', 'UTC time (2026-12-31T18:00:00Z) or date (end of that day, UTC) when the override lapses')
    .option('--operator <name>', 'who records it (default: the OS user)')
    .action(async (runPath: string, flags: OverrideFlags) => {
      const { problemsOverrideCommand } = await import('./commands/problems.js');
      exitCode = await problemsOverrideCommand(runPath, flags, output, env);
    });
  problems
    .command('revoke <run_path>')
    .description('revoke an override by id (appends a tombstone; prints its id)')
    .requiredOption('--id <id>', 'id of the override to revoke')
    .requiredOption('--reason <text>', 'why (10 to 500 characters)')
    .option('--operator <name>', 'who revokes it (default: the OS user)')
    .action(async (runPath: string, flags: RevokeFlags) => {
      const { problemsRevokeCommand } = await import('./commands/problems.js');
      exitCode = await problemsRevokeCommand(runPath, flags, output, env);
    });

  const create = program
    .command('create')
    .description('create a project or run folder (in the running ExLab-Wizard, else in this process)')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT));
  const withCreationOptions = (command: Command): Command =>
    command
      .requiredOption('--equipment <id>', 'equipment id, e.g. CONFOCAL_01')
      .requiredOption('--project <name>', 'project folder name (the LIMS project name)')
      .requiredOption('--template <name>', 'template name or path')
      .requiredOption('--label <text>', 'label (at most 100 characters)')
      .requiredOption('--operator <name>', 'operator')
      .requiredOption('--objective <text>', 'objective (at most 2000 characters)')
      .option('--var <name=value>', 'template answer; repeatable', collectKeyValue)
      .option('--readme <id=value>', 'README field value; repeatable', collectKeyValue)
      .option('--json', 'print the final session snapshot as JSON')
      .option('--config <file>', 'config.yaml when no ExLab-Wizard runs (default: the OS config, else the demo lab)')
      .addOption(stateDirOption())
      .exitOverride(usageExit(COMMAND_USAGE_EXIT));
  withCreationOptions(create.command('run').description('create a run: <EQ>/<project>/Runs/Run_<date> (or TestRuns/TestRun_<date>)'))
    .option('--test', 'a test run (TestRuns/TestRun_<date>)')
    .option('--run-date <iso>', 'run date and time, e.g. 2026-03-02T09:15:00Z (default: now)')
    .action(async (flags: CreateRunFlags) => {
      const { createRunCommand } = await import('./commands/create.js');
      exitCode = await createRunCommand(flags, output, env);
    });
  withCreationOptions(create.command('project').description('create a project folder <EQ>/<project> from a project template'))
    .option('--lims-uid <uid>', 'LIMS uid of the project (default: looked up in the offline catalogue by name)')
    .option('--short-id <id>', 'LIMS short id, e.g. PROJ-0042 (with --lims-uid)')
    .action(async (flags: CreateProjectFlags) => {
      const { createProjectCommand } = await import('./commands/create.js');
      exitCode = await createProjectCommand(flags, output, env);
    });

  const templates = program
    .command('templates')
    .description('list, lint and scaffold Copier-style templates (§5)')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT));
  templates
    .command('list')
    .description('list the templates a lab (and an equipment) can use')
    .option('--config <file>', 'config.yaml to use (default: the OS config path, else the demo lab)')
    .option('--equipment <id>', "include this equipment's own templates")
    .option('--json', 'print JSON')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT))
    .action(async (flags: TemplatesListFlags) => {
      const { templatesListCommand } = await import('./commands/templates.js');
      exitCode = await templatesListCommand(flags, output, env);
    });
  templates
    .command('lint <paths...>')
    .description('check templates and list every problem with file and key (exit 0 clean, 1 problems, 2 usage)')
    .option('--json', 'print {templates: [{path, name, findings}]}')
    .option('--strict', 'warnings fail the lint too')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT))
    .action(async (paths: string[], flags: TemplatesLintFlags) => {
      const { templatesLintCommand } = await import('./commands/templates.js');
      exitCode = await templatesLintCommand(paths, flags, output);
    });
  templates
    .command('new <name>')
    .description('scaffold a template that lints clean')
    .requiredOption('--type <type>', 'run or project')
    .option('--scope <scope>', 'run scope: experimental, test or both (default both)')
    .option('--dir <dir>', 'folder to create it in (default: paths.templates_dir)')
    .option('--equipment <id>', "create it in this equipment's own templates folder")
    .option('--config <file>', 'config.yaml to use when --dir is not given')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT))
    .action(async (name: string, flags: TemplatesNewFlags) => {
      const { templatesNewCommand } = await import('./commands/templates.js');
      exitCode = await templatesNewCommand(name, flags, output, env);
    });

  const plugins = program.command('plugins').description('list, lint, run and scaffold plugins (§6)');
  plugins
    .command('list')
    .description('list the plugins the app loads, bundled and from paths.plugin_dir')
    .option('--config <file>', 'config.yaml to use (default: the OS config path, else the demo lab)')
    .option('--json', 'print JSON')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT))
    .action(async (flags: PluginsListFlags) => {
      const { pluginsListCommand } = await import('./commands/plugins.js');
      exitCode = await pluginsListCommand(flags, output, env);
    });
  plugins
    .command('lint <path>')
    .description('check a plugin folder, or every plugin in a folder (exit 0 clean, 1 warnings, 2 errors, 3 bad path)')
    .option('--json', 'print {plugins: [{path, name, findings}]}')
    .option('--strict', 'warnings fail the lint too')
    .action(async (path: string, flags: PluginsLintFlags) => {
      const { pluginsLintCommand } = await import('./commands/plugins.js');
      exitCode = await pluginsLintCommand(path, flags, output);
    });
  plugins
    .command('exec <dir> <files...>')
    .description('run a plugin over files through the plugin host (exit 0 ok, 1 failed, 2 not loadable, 3 bad files, 4 input missing)')
    .option('--var <key=value>', 'a creation variable (repeatable)', collectKeyValue)
    .option('--input <key=value>', "an answer to the plugin's prompt (repeatable)", collectKeyValue)
    .option('--dry-run', 'describe the changes instead of making them')
    .option('--no-isolation', 'no OS limits (prlimit, network namespace); for debugging')
    .action(async (dir: string, files: string[], flags: PluginsExecFlags) => {
      const { pluginsExecCommand } = await import('./commands/plugins.js');
      exitCode = await pluginsExecCommand(dir, files, flags, output);
    });
  plugins
    .command('new <name>')
    .description('scaffold a plugin package that passes its own test')
    .option('--dir <dir>', 'parent folder (default: the current folder)')
    .exitOverride(usageExit(COMMAND_USAGE_EXIT))
    .action(async (name: string, flags: PluginsNewFlags) => {
      const { pluginsNewCommand } = await import('./commands/plugins.js');
      exitCode = await pluginsNewCommand(name, flags, output);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (HELP_CODES.has(error.code)) return EXIT_CODES.ok;
      if (error instanceof CommandUsageError) return error.exitCode;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT_CODES.failure;
      return EXIT_CODES.usage;
    }
    throw error;
  }
  return exitCode;
}
