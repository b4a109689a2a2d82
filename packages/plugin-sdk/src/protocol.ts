/**
 * Fixed values of the host-worker protocol (§6.3.2, requirements A7). Kept free of zod so the
 * worker, which starts once per plugin per session, loads nothing it does not need.
 */

/** Version of the JSON-lines protocol spoken on the worker's stdin and stdout. */
export const PROTOCOL_VERSION = 1;

/** Largest single IPC frame in bytes, in either direction, newline excluded (§6.3.4). */
export const FRAME_MAX_BYTES = 1024 * 1024;

/**
 * Environment variable naming the folder of Node's compile cache for workers. The host sets it
 * when its own process has the cache on; the `register` preload enables it first thing, so the
 * worker, the SDK and the plugin are compiled once and not at every spawn.
 */
export const WORKER_COMPILE_CACHE_ENV = 'EXLAB_COMPILE_CACHE';

/** Brand every plugin class and instance carries; the worker checks it instead of `instanceof` (A1). */
export const PLUGIN_BRAND: unique symbol = Symbol.for('exlab.plugin');

/** Exit codes of a worker (§6.3.1, A8); 124 is set by the host when it kills a worker on timeout. */
export const WORKER_EXIT_CODES = {
  success: 0,
  pluginError: 1,
  inputRequired: 2,
  crash: 3,
  timeout: 124,
} as const;

/** What a worker is asked to do: run the lifecycle, or only `validateVariables` (§6.3.6). */
export const INVOKE_MODES = ['transform', 'validate'] as const;

/** Levels of a log frame on the worker's stderr. */
export const LOG_FRAME_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Kinds of a file change a plugin reports (§6.1.3). */
export const FILE_CHANGE_KINDS = ['modify', 'create', 'rename', 'delete'] as const;

/** Per-file statuses in a result frame (A7). */
export const FILE_RESULT_STATUSES = ['modified', 'skipped', 'described', 'failed', 'input_required'] as const;

/** Overall result of a transform invocation (A7). */
export const INVOKE_RESULTS = ['success', 'failed', 'input_required'] as const;

/** Widget types of an input a plugin may ask the operator for (same as README fields, §10). */
export const INPUT_FIELD_TYPES = ['string', 'text', 'choice', 'date', 'boolean'] as const;
