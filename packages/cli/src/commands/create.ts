import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { coreNasSync, createDefaultController, type CreationController } from '@exlab/controller';
import { NasSync } from '@exlab/core/sync';
import { EXIT_CODES, FILE_NAMES, PHASES, type Phase } from '@exlab/core/constants';
import { describeError, ExLabError } from '@exlab/core/errors';
import { readOfflineCatalogue } from '@exlab/core/lims';
import { createNullLogger } from '@exlab/core/logging';
import { resolveAppDirs } from '@exlab/core/paths';
import type { ServerInfo } from '@exlab/core/process';
import type { PendingInput, ProjectCreateRequestInput, RunCreateRequestInput, SessionEvent, SessionHandle } from '@exlab/core/schemas';
import { ApiClient, ApiError } from '@exlab/server/client';
import { LabConfigUnavailable, resolveLabConfig, type LabConfig } from '../lab-config.js';
import { COMMAND_USAGE_EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { probeTray } from '../tray-probe.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Flags both `exlab create` commands take. */
interface CommonCreateFlags {
  equipment: string;
  project: string;
  template: string;
  label: string;
  operator: string;
  objective: string;
  /** `--var k=v`, repeatable: template answers. */
  var?: string[];
  /** `--readme k=v`, repeatable: README field values. */
  readme?: string[];
  json?: boolean;
  /** config.yaml for an in-process creation (default: the OS config, else the demo lab). */
  config?: string;
  stateDir?: string;
}

/** Flags of `exlab create run`. */
export interface CreateRunFlags extends CommonCreateFlags {
  /** A test run (`TestRuns/TestRun_*`). */
  test?: boolean;
  /** ISO run date (default now). */
  runDate?: string;
}

/** Flags of `exlab create project`. */
export interface CreateProjectFlags extends CommonCreateFlags {
  /** LIMS uid; with --short-id, skips the catalogue look-up. */
  limsUid?: string;
  shortId?: string;
}

/** Where plugin questions are asked; null when stdin is not a terminal. */
export interface PromptTerminal {
  /** Asks one question and resolves with the answer line. */
  ask(question: string): Promise<string>;
  /** Releases the terminal. */
  close(): void;
}

/** Options of the create commands that tests replace. */
export interface CreateCommandOptions {
  /** The terminal for plugin prompts; default: stdin/stderr when stdin is a TTY, else none. */
  terminal?: PromptTerminal | null;
}

/** A usage problem: printed and answered with {@link COMMAND_USAGE_EXIT}. */
class CreateUsage {
  constructor(readonly message: string) {}
}

const PHASE_LABELS: Readonly<Record<Phase, string>> = {
  validating_inputs: 'Validating inputs',
  rendering_template: 'Rendering template',
  running_plugins: 'Running plugins',
  writing_cache: 'Writing metadata',
  validating_post_creation: 'Validating the new folder',
  queueing_nas_sync: 'Queueing NAS sync',
  done: 'Done',
};
const STEPS = PHASES.length - 1;

/** `k=v` pairs into an object; a pair without `=` is a usage error naming the flag. */
function pairs(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new CreateUsage(`${flag} ${JSON.stringify(value)}: write it as name=value.`);
    result[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return result;
}

/** The process's terminal, when stdin is one. */
function processTerminal(): PromptTerminal | null {
  if (!process.stdin.isTTY) return null;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return { ask: (question) => rl.question(question), close: () => rl.close() };
}

/** Prints the phases and the plugin progress of one creation, on stderr (stdout carries the result). */
class CreationReporter {
  #phase: Phase | null = null;

  constructor(private readonly output: Output) {}

  phase(phase: Phase | null): void {
    if (phase === null || phase === 'done' || phase === this.#phase) return;
    this.#phase = phase;
    this.output.err(`[${PHASES.indexOf(phase) + 1}/${STEPS}] ${PHASE_LABELS[phase]}`);
  }

  progress(current: number, total: number, plugin: string | undefined): void {
    const width = 20;
    const filled = total === 0 ? width : Math.round((current / total) * width);
    this.output.err(`      [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${current}/${total}${plugin ? ` ${plugin}` : ''}`);
  }

  warning(message: string): void {
    this.output.err(`warning: ${message}`);
  }
}

/** Asks every field of a plugin prompt on the terminal; required fields are asked again until answered. */
async function answerPrompt(terminal: PromptTerminal, prompt: PendingInput, output: Output): Promise<Record<string, unknown>> {
  output.err(`Plugin ${prompt.plugin} needs input: ${prompt.reason}`);
  const answers: Record<string, unknown> = {};
  for (const field of prompt.fields) {
    const options =
      field.options && field.options.length > 0 ? ` (${field.options.join(' / ')})` : field.type === 'boolean' ? ' (y/n)' : '';
    const fallback = field.default !== undefined && field.default !== null ? ` [${String(field.default)}]` : '';
    for (;;) {
      const raw = (await terminal.ask(`  ${field.label}${options}${fallback}: `)).trim();
      const text = raw === '' && field.default !== undefined && field.default !== null ? String(field.default) : raw;
      if (text === '') {
        if (!field.required) break;
        output.err('  an answer is required');
        continue;
      }
      if (field.type === 'boolean') {
        if (/^(y|yes|true|1)$/i.test(text)) answers[field.id] = true;
        else if (/^(n|no|false|0)$/i.test(text)) answers[field.id] = false;
        else {
          output.err('  answer y or n');
          continue;
        }
        break;
      }
      if (field.options && field.options.length > 0 && !field.options.includes(text)) {
        output.err(`  choose one of: ${field.options.join(', ')}`);
        continue;
      }
      answers[field.id] = text;
      break;
    }
  }
  return answers;
}

function promptRefusal(prompt: PendingInput): string {
  const fields = prompt.fields.map((f) => f.label).join(', ');
  return `Plugin ${prompt.plugin} needs input (${prompt.reason}: ${fields}) and stdin is not a terminal. Run the command in a terminal, or create this in the ExLab-Wizard window.`;
}

/** Prints the outcome and returns the exit code: 0 done (blocked runs too, with their findings), 1 otherwise. */
function report(handle: SessionHandle, output: Output, json: boolean): number {
  if (json) output.out(JSON.stringify(handle, null, 2));
  if (handle.state === 'done' && handle.result !== null) {
    if (!json) {
      output.out(`Created ${handle.result.path}`);
      if (handle.result.blocked) {
        output.out('Not queued for NAS sync (blocked_by_validation); fix these or record an override with "exlab problems override":');
        for (const finding of handle.result.findings.filter((f) => f.tier === 'hard')) {
          output.out(
            `  ${String(finding.rule)}: ${String(finding.offending_path)}${finding.matched_token ? ` (${String(finding.matched_token)})` : ''}`,
          );
        }
      } else output.out(`NAS sync: ${handle.result.sync_status}`);
    }
    return EXIT_CODES.ok;
  }
  if (!json) {
    const error = handle.error;
    const why = error ? `${error.code}: ${error.message}` : handle.state;
    output.err(handle.state === 'aborted' ? `Creation aborted: ${why}` : `Creation failed: ${why}`);
  }
  return EXIT_CODES.failure;
}

async function labConfigOrUsage(explicit: string | undefined, env: Env): Promise<LabConfig> {
  try {
    return await resolveLabConfig(explicit, env);
  } catch (error) {
    if (error instanceof LabConfigUnavailable) throw new CreateUsage(error.message);
    throw error;
  }
}

/** The LIMS project of a new project folder: the flags, else the offline catalogue entry of that name. */
async function limsProjectFor(flags: CreateProjectFlags, env: Env): Promise<{ uid: string; short_id: string; name: string }> {
  if (flags.limsUid !== undefined && flags.shortId !== undefined)
    return { uid: flags.limsUid, short_id: flags.shortId, name: flags.project };
  if (flags.limsUid !== undefined || flags.shortId !== undefined)
    throw new CreateUsage('Give --lims-uid and --short-id together, or neither.');
  const { config, path } = await labConfigOrUsage(flags.config, env);
  const cataloguePath = config.lims.offline_catalogue_path;
  if (cataloguePath === '') {
    throw new CreateUsage(`${path} has no LIMS offline catalogue to look "${flags.project}" up in; pass --lims-uid and --short-id.`);
  }
  const catalogue = await readOfflineCatalogue(cataloguePath);
  const match = catalogue.projects.find((p) => p.name === flags.project);
  if (!match) {
    const known = catalogue.projects.map((p) => p.name).join(', ') || '(none)';
    throw new CreateUsage(
      `--project ${JSON.stringify(flags.project)} is not in the LIMS catalogue ${cataloguePath}; known projects: ${known}.`,
    );
  }
  return { uid: match.uid, short_id: match.short_id, name: match.name };
}

/** One creation as the command follows it, wherever it runs: its frames, what it may send, its end. */
interface FollowedSession {
  /** Every frame of the session from the first, until it ends. */
  frames: AsyncIterable<SessionEvent>;
  /** Hands the operator's answers to the plugin that asked. */
  resume(answers: Record<string, unknown>): Promise<void>;
  /** Cancels the session and removes its files (a prompt nobody can answer). */
  cancel(): Promise<void>;
  /** The final snapshot, once the frames ended. */
  final(): Promise<SessionHandle>;
}

/** Prints the session's phases, progress and warnings, answers or refuses plugin prompts, and reports the end. */
async function follow(session: FollowedSession, output: Output, json: boolean, terminal: PromptTerminal | null): Promise<number> {
  const reporter = new CreationReporter(output);
  for await (const frame of session.frames) {
    if (frame.kind === 'phase') reporter.phase(frame.phase);
    else if (frame.kind === 'progress') reporter.progress(frame.current, frame.total, frame.plugin);
    else if (frame.kind === 'warning') reporter.warning(frame.message);
    else if (frame.kind === 'input_required') {
      const prompt: PendingInput = { plugin: frame.plugin, fields: frame.fields, reason: frame.reason };
      if (terminal === null) {
        output.err(promptRefusal(prompt));
        await session.cancel();
        break;
      }
      await session.resume(await answerPrompt(terminal, prompt, output));
    }
  }
  return report(await session.final(), output, json);
}

/** Runs the creation in this process and follows its frames. */
async function createInProcess(
  request: RunCreateRequestInput | ProjectCreateRequestInput,
  lab: LabConfig,
  stateDir: string,
  output: Output,
  json: boolean,
  terminal: PromptTerminal | null,
): Promise<number> {
  let controller: CreationController | undefined;
  // The run joins the tray's NAS sync queue; the tray pushes it when it next runs (no worker here).
  const sync = NasSync.open({ queuePath: join(stateDir, FILE_NAMES.syncQueue), getConfig: () => lab.config });
  sync.catch(() => undefined);
  try {
    controller = await createDefaultController(lab.config, { gc: false, logger: createNullLogger(), ports: { sync: coreNasSync(sync) } });
    for (const swept of controller.interruptedCreations)
      output.err(`warning: removed the leftover of an interrupted creation: ${swept.path}`);
    const running = controller;
    const id = (await running.create(request)).session_id;
    return await follow(
      {
        frames: running.subscribe(id),
        resume: async (answers) => void (await running.resume(id, answers)),
        cancel: async () => void (await running.cancel(id, { discardFiles: true })),
        final: () => running.settled(id),
      },
      output,
      json,
      terminal,
    );
  } finally {
    await controller?.close();
    await sync.then(
      (opened) => opened.stop(),
      () => undefined,
    );
  }
}

/** `code: message (field f)` of an API refusal. */
function refusal(error: ApiError): string {
  return `${error.code}: ${error.error.message}${error.error.field ? ` (field ${error.error.field})` : ''}`;
}

/** Runs the creation in the running tray through its API, following the session's events WebSocket. */
async function createThroughTray(
  request: RunCreateRequestInput | ProjectCreateRequestInput,
  server: ServerInfo,
  output: Output,
  json: boolean,
  terminal: PromptTerminal | null,
): Promise<number> {
  const client = new ApiClient({ baseUrl: `http://127.0.0.1:${server.port}`, token: server.token });
  let id: string;
  try {
    id = (await client.createSession(request)).session_id;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    output.err(`Creation refused: ${refusal(error)}`);
    return EXIT_CODES.failure;
  }
  try {
    return await follow(
      {
        frames: client.sessionEvents(id),
        resume: async (answers) => void (await client.resume(id, answers)),
        cancel: async () => {
          await client.cancel(id, { discard_files: true }).catch(() => {
            output.err(`The session ${id} is left waiting in ExLab-Wizard; answer or cancel it in the window.`);
          });
        },
        final: () => client.session(id),
      },
      output,
      json,
      terminal,
    );
  } catch (error) {
    output.err(`Lost the session ${id}: ${error instanceof ApiError ? refusal(error) : describeError(error)}`);
    return EXIT_CODES.failure;
  }
}

/** In the running tray when one answers, else in this process with the lab config. */
async function create(
  request: RunCreateRequestInput | ProjectCreateRequestInput,
  flags: CommonCreateFlags,
  output: Output,
  env: Env,
  options: CreateCommandOptions,
): Promise<number> {
  const terminal = options.terminal !== undefined ? options.terminal : processTerminal();
  try {
    const stateDir = flags.stateDir ?? resolveAppDirs({ env }).stateDir;
    const probe = await probeTray(stateDir);
    if (probe.state === 'healthy' && probe.server !== null) {
      output.err(`Using the running ExLab-Wizard (pid ${probe.server.pid}, port ${probe.server.port}).`);
      return await createThroughTray(request, probe.server, output, flags.json === true, terminal);
    }
    if (probe.state === 'unhealthy') {
      output.err('ExLab-Wizard is running but does not answer; retry in a moment, or stop it with "exlab stop".');
      return EXIT_CODES.failure;
    }
    const lab = await labConfigOrUsage(flags.config, env);
    output.err(`Using ${lab.origin}: ${lab.path}`);
    return await createInProcess(request, lab, stateDir, output, flags.json === true, terminal);
  } finally {
    terminal?.close();
  }
}

/** Runs `body`, turning usage problems into exit 2 and input refusals into exit 1 with their message. */
async function guarded(output: Output, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CreateUsage) {
      output.err(error.message);
      return COMMAND_USAGE_EXIT;
    }
    if (error instanceof ExLabError) {
      output.err(`Creation refused: ${describeError(error)}${error.field ? ` (field ${error.field})` : ''}`);
      return EXIT_CODES.failure;
    }
    throw error;
  }
}

/**
 * `exlab create run --equipment ID --project NAME --template T --label L --operator O --objective X
 * [--test] [--var k=v]... [--json]` (issue 6): creates a run through the running tray, or in this
 * process when none runs; prints the phases and plugin progress, asks plugin questions on a terminal.
 */
export async function createRunCommand(
  flags: CreateRunFlags,
  output: Output,
  env: Env,
  options: CreateCommandOptions = {},
): Promise<number> {
  return guarded(output, async () => {
    const request: RunCreateRequestInput = {
      kind: 'run',
      equipment_id: flags.equipment,
      project_name: flags.project,
      template_path: flags.template,
      run_kind: flags.test ? 'test' : 'experimental',
      label: flags.label,
      operator: flags.operator,
      objective: flags.objective,
      variables: pairs('--var', flags.var),
      readme_extra: pairs('--readme', flags.readme),
      ...(flags.runDate !== undefined ? { run_date: flags.runDate } : {}),
    };
    return create(request, flags, output, env, options);
  });
}

/** `exlab create project ...`: creates `<EQ>/<LIMS project name>` from a project template (issue 6). */
export async function createProjectCommand(
  flags: CreateProjectFlags,
  output: Output,
  env: Env,
  options: CreateCommandOptions = {},
): Promise<number> {
  return guarded(output, async () => {
    const request: ProjectCreateRequestInput = {
      kind: 'project',
      equipment_id: flags.equipment,
      template_path: flags.template,
      label: flags.label,
      operator: flags.operator,
      objective: flags.objective,
      lims_project: await limsProjectFor(flags, env),
      variables: pairs('--var', flags.var),
      readme_extra: pairs('--readme', flags.readme),
    };
    return create(request, flags, output, env, options);
  });
}
