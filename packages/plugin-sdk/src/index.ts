/**
 * What plugin authors import (§6.1): the `Plugin` base class, the errors a plugin throws, the
 * context and change types, and the logger. Free of zod and of the worker runtime, so a
 * plugin that imports it starts fast; the IPC schemas live in `@exlab/plugin-sdk/ipc`.
 */
export { Plugin, isPluginClass, isPluginInstance, type MaybePromise, type PluginClass } from './plugin.js';
export {
  PluginError,
  PluginInputRequired,
  inputField,
  isPluginError,
  isPluginInputRequired,
  errorMessage,
  type PluginErrorLike,
  type PluginInputFieldInit,
  type PluginInputRequiredLike,
} from './errors.js';
export { createPluginLogger, createStderrLogger, type LogLineSink } from './logger.js';
export {
  PROTOCOL_VERSION,
  FRAME_MAX_BYTES,
  PLUGIN_BRAND,
  WORKER_EXIT_CODES,
  WORKER_COMPILE_CACHE_ENV,
  INVOKE_MODES,
  LOG_FRAME_LEVELS,
  FILE_CHANGE_KINDS,
  FILE_RESULT_STATUSES,
  INVOKE_RESULTS,
  INPUT_FIELD_TYPES,
} from './protocol.js';
export type {
  FileChange,
  FileChangeKind,
  PluginContext,
  PluginFileResult,
  PluginFileStatus,
  PluginInputField,
  PluginInputFieldType,
  PluginLogLevel,
  PluginLogger,
} from './types.js';
