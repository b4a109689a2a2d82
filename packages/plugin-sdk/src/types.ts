import type { FILE_CHANGE_KINDS, FILE_RESULT_STATUSES, INPUT_FIELD_TYPES, LOG_FRAME_LEVELS } from './protocol.js';

/** Kind of a file change. */
export type FileChangeKind = (typeof FILE_CHANGE_KINDS)[number];

/** One change a plugin made or would make (§6.1.3); `path` is absolute. */
export interface FileChange {
  path: string;
  kind: FileChangeKind;
  /** One line a person reads, e.g. `would write 3 cells`. */
  summary: string;
  /** Structured detail for previews (cells written, old and new names, ...). */
  detail?: Record<string, unknown> | undefined;
}

/** Widget type of an input field. */
export type PluginInputFieldType = (typeof INPUT_FIELD_TYPES)[number];

/** An input a plugin asks the operator for when it raises {@link PluginInputRequired} (§6.4). */
export interface PluginInputField {
  /** Key the answer arrives under in `ctx.extra_inputs`. */
  id: string;
  label: string;
  type: PluginInputFieldType;
  required: boolean;
  default?: unknown;
  /** Allowed values of a `choice` field. */
  options?: string[] | undefined;
  hint?: string | undefined;
}

/** Level of a plugin log line. */
export type PluginLogLevel = (typeof LOG_FRAME_LEVELS)[number];

/** Structured logger handed to plugins as `ctx.logger`: each call becomes one JSON log frame on stderr (§16.8). */
export interface PluginLogger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Everything a plugin knows about the creation it runs in (§6.1.4); deep-frozen. */
export interface PluginContext {
  /** The resolved variable map of the creation. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Directory the plugin works in (the rendered run or project folder, before it is published). */
  readonly dst_root: string;
  /** Absolute path of `.exlab-answers.yml`. */
  readonly answers_file: string;
  readonly template_name: string;
  readonly template_version: string;
  /** `experimental`, `test`, or `""` for a project-level creation. */
  readonly run_kind: string;
  readonly equipment_id: string;
  /** LIMS project short id. */
  readonly project: string;
  /** True when `describeChanges` runs instead of `transform`. */
  readonly dry_run: boolean;
  /** Answers the operator gave to earlier {@link PluginInputRequired} prompts, merged; null before any prompt. */
  readonly extra_inputs: Readonly<Record<string, unknown>> | null;
  /** Structured logger forwarded to the host log. */
  readonly logger: PluginLogger;
}

/** Per-file status in a result. */
export type PluginFileStatus = (typeof FILE_RESULT_STATUSES)[number];

/** What happened to one file in an invocation (A7). */
export interface PluginFileResult {
  path: string;
  status: PluginFileStatus;
  changes: FileChange[] | null;
  error?: string | undefined;
}
