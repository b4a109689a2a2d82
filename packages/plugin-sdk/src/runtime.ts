/**
 * The plugin lifecycle as the worker runs it (§6.1.3, requirements A8): load the entry module,
 * check the brand, drive the hooks, and turn the outcome into a frame and an exit code. Pure of
 * process concerns (stdio, exit), so it also runs in-process (`--no-isolation`).
 */
import { errorMessage, inputField, isPluginError, isPluginInputRequired } from './errors.js';
import type { InvokeRequest, ResultFrame, ValidationFrame } from './ipc.js';
import { isPluginClass, isPluginInstance, type Plugin, type PluginClass } from './plugin.js';
import { WORKER_EXIT_CODES } from './protocol.js';
import type { PluginContext, PluginFileResult, PluginInputField, PluginLogger } from './types.js';

// Builtins through getBuiltinModule, not `import`: Node's ESM view of node:fs reads every export,
// which loads the fs streams (~6 ms of every worker start) for one existsSync, and node:fs/promises
// brings readline and a dozen more modules; a worker pays for what the plugin itself imports only.
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
const { join, resolve } = process.getBuiltinModule('node:path');
const { pathToFileURL } = process.getBuiltinModule('node:url');

/** An entry module could not be found, imported, or did not export a branded `Plugin` class. */
export class PluginLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginLoadError';
  }
}

/** Entry files tried, in order, when package.json has no `main` (A1). */
const ENTRY_CANDIDATES = ['index.mjs', 'index.js', 'index.ts'];

/** The plugin's entry module: package.json `main`, else index.mjs, index.js or index.ts. */
export async function resolvePluginEntry(pluginDir: string): Promise<string> {
  const manifestPath = join(pluginDir, 'package.json');
  if (existsSync(manifestPath)) {
    let main: unknown;
    try {
      main = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { main?: unknown }).main;
    } catch (error) {
      throw new PluginLoadError(`package.json of ${pluginDir} is not valid JSON: ${errorMessage(error)}`, { cause: error });
    }
    if (typeof main === 'string' && main !== '') {
      const entry = resolve(pluginDir, main);
      if (!existsSync(entry)) throw new PluginLoadError(`package.json "main" points at ${main}, which does not exist`);
      return entry;
    }
  }
  for (const candidate of ENTRY_CANDIDATES) {
    const entry = join(pluginDir, candidate);
    if (existsSync(entry)) return entry;
  }
  throw new PluginLoadError(`no entry module in ${pluginDir}: expected package.json "main", ${ENTRY_CANDIDATES.join(', ')}`);
}

/** Imports the entry module and returns its branded `Plugin` export (named `Plugin`, else the default export). */
export async function loadPluginClass(pluginDir: string): Promise<PluginClass> {
  const entry = await resolvePluginEntry(pluginDir);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(`importing ${entry} failed: ${errorMessage(error)}`, { cause: error });
  }
  const exported = module.Plugin ?? module.default;
  if (exported === undefined) throw new PluginLoadError(`${entry} does not export a class named Plugin`);
  if (!isPluginClass(exported)) {
    throw new PluginLoadError(`the Plugin export of ${entry} does not extend the Plugin class of @exlab/plugin-sdk`);
  }
  return exported;
}

/** Constructs a plugin and checks the instance brand. */
export function constructPlugin(PluginCtor: PluginClass): Plugin {
  let instance: unknown;
  try {
    instance = new PluginCtor();
  } catch (error) {
    throw new PluginLoadError(`constructing the plugin failed: ${errorMessage(error)}`, { cause: error });
  }
  if (!isPluginInstance(instance)) throw new PluginLoadError('the plugin instance does not carry the @exlab/plugin-sdk brand');
  return instance;
}

/** Freezes `value` and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** The deep-frozen context a plugin sees, built from a request. */
export function buildPluginContext(request: InvokeRequest, logger: PluginLogger): PluginContext {
  const c = request.context;
  return deepFreeze({
    variables: structuredClone(c.variables),
    dst_root: c.dst_root,
    answers_file: c.answers_file,
    template_name: c.template_name,
    template_version: c.template_version,
    run_kind: c.run_kind,
    equipment_id: c.equipment_id,
    project: c.project,
    dry_run: request.dry_run,
    extra_inputs: request.extra_inputs === null ? null : structuredClone(request.extra_inputs),
    logger,
  });
}

/** A finished invocation: the frame for stdout and the exit code of the worker. */
export interface InvocationOutcome<F> {
  exitCode: number;
  frame: F;
}

/** Options of {@link runTransform} and {@link runValidation}. */
export interface RuntimeOptions {
  /** Logger handed to the plugin as `ctx.logger`; also receives the runtime's own notes. */
  logger: PluginLogger;
  /** Peak memory of this process in MB (defaults to `process.resourceUsage().maxRSS`). */
  peakMemoryMb?: (() => number) | undefined;
  /** Loads the plugin class (defaults to {@link loadPluginClass} on `request.plugin_dir`). */
  load?: ((pluginDir: string) => Promise<PluginClass>) | undefined;
}

/** Peak resident memory of this process in whole MB (maxRSS is in KiB). */
export function processPeakMemoryMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Runs `validateVariables` (§6.3.6): an import failure is reported as `import_failed: ...` and exit 3. */
export async function runValidation(request: InvokeRequest, options: RuntimeOptions): Promise<InvocationOutcome<ValidationFrame>> {
  const peak = options.peakMemoryMb ?? processPeakMemoryMb;
  const frame = (errors: string[]): ValidationFrame => ({
    kind: 'validation',
    request_id: request.request_id,
    errors,
    peak_memory_mb: peak(),
  });
  let plugin: Plugin;
  try {
    plugin = constructPlugin(await (options.load ?? loadPluginClass)(request.plugin_dir));
  } catch (error) {
    return { exitCode: WORKER_EXIT_CODES.crash, frame: frame([`import_failed: ${errorMessage(error)}`]) };
  }
  try {
    const errors = await plugin.validateVariables(deepFreeze(structuredClone(request.context.variables)));
    if (!Array.isArray(errors)) return { exitCode: WORKER_EXIT_CODES.crash, frame: frame(['validateVariables did not return a list']) };
    return { exitCode: WORKER_EXIT_CODES.success, frame: frame(errors.map(String)) };
  } catch (error) {
    return { exitCode: WORKER_EXIT_CODES.crash, frame: frame([`validateVariables failed: ${errorMessage(error)}`]) };
  }
}

/** Runs the lifecycle over `request.files` (A8) and reports per-file results. */
export async function runTransform(request: InvokeRequest, options: RuntimeOptions): Promise<InvocationOutcome<ResultFrame>> {
  const { logger } = options;
  const peak = options.peakMemoryMb ?? processPeakMemoryMb;
  const perFile: PluginFileResult[] = [];
  const frame = (
    result: ResultFrame['result'],
    errorText: string | null,
    inputRequired: ResultFrame['input_required'] = null,
  ): ResultFrame => ({
    kind: 'result',
    request_id: request.request_id,
    result,
    per_file: perFile,
    input_required: inputRequired,
    error_message: errorText,
    peak_memory_mb: peak(),
  });

  let plugin: Plugin;
  try {
    plugin = constructPlugin(await (options.load ?? loadPluginClass)(request.plugin_dir));
  } catch (error) {
    return { exitCode: WORKER_EXIT_CODES.crash, frame: frame('failed', `import_failed: ${errorMessage(error)}`) };
  }
  const ctx = buildPluginContext(request, logger);

  // PluginError -> 1, PluginInputRequired -> 2, anything else -> 3; onPluginFailure runs first (A8).
  const fail = async (error: unknown, file: string | null): Promise<InvocationOutcome<ResultFrame>> => {
    try {
      await plugin.onPluginFailure(ctx, error);
    } catch (hookError) {
      logger.error('onPluginFailure threw; ignored', { error: errorMessage(hookError) });
    }
    if (isPluginInputRequired(error)) {
      const fields: PluginInputField[] = error.fields.map(inputField);
      return {
        exitCode: WORKER_EXIT_CODES.inputRequired,
        frame: frame('input_required', null, { fields, reason: String(error.reason), file }),
      };
    }
    if (isPluginError(error)) return { exitCode: WORKER_EXIT_CODES.pluginError, frame: frame('failed', errorMessage(error)) };
    return { exitCode: WORKER_EXIT_CODES.crash, frame: frame('failed', errorMessage(error)) };
  };

  try {
    await plugin.preTransformAll(ctx, request.files);
  } catch (error) {
    return fail(error, null);
  }

  for (const file of request.files) {
    let handles: boolean;
    try {
      handles = Boolean(await plugin.canHandle(file, ctx));
    } catch (error) {
      perFile.push({ path: file, status: 'failed', changes: null, error: `canHandle threw: ${errorMessage(error)}` });
      continue;
    }
    if (!handles) {
      perFile.push({ path: file, status: 'skipped', changes: null });
      continue;
    }
    try {
      if (request.dry_run) {
        const changes = await plugin.describeChanges(file, ctx);
        perFile.push({ path: file, status: 'described', changes: Array.isArray(changes) ? changes : [] });
      } else {
        const changes = await plugin.transform(file, ctx);
        perFile.push({ path: file, status: 'modified', changes: Array.isArray(changes) ? changes : null });
      }
    } catch (error) {
      if (isPluginInputRequired(error)) perFile.push({ path: file, status: 'input_required', changes: null });
      else perFile.push({ path: file, status: 'failed', changes: null, error: errorMessage(error) });
      return fail(error, file);
    }
  }

  try {
    await plugin.postTransformAll(ctx, perFile);
  } catch (error) {
    return fail(error, null);
  }
  return { exitCode: WORKER_EXIT_CODES.success, frame: frame('success', null) };
}
