/**
 * zod schemas of every message between the plugin host and a worker (§6.3.2, requirements A7).
 * The host parses every frame it reads with these; the worker builds frames of the same types.
 * No Node imports: this module is safe to bundle anywhere.
 */
import { z } from 'zod';
import {
  FILE_CHANGE_KINDS,
  FILE_RESULT_STATUSES,
  INPUT_FIELD_TYPES,
  INVOKE_MODES,
  INVOKE_RESULTS,
  LOG_FRAME_LEVELS,
  PROTOCOL_VERSION,
} from './protocol.js';
import type { FileChange, PluginFileResult, PluginInputField } from './types.js';

/** The variable map (any JSON values). */
export const VariablesSchema = z.record(z.string(), z.unknown());

/** The serialisable part of a `PluginContext` (no logger, no extra_inputs: those travel beside it). */
export const InvokeContextSchema = z.object({
  variables: VariablesSchema,
  dst_root: z.string(),
  answers_file: z.string(),
  template_name: z.string(),
  template_version: z.string(),
  run_kind: z.string(),
  equipment_id: z.string(),
  project: z.string(),
  dry_run: z.boolean(),
});
/** The context part of an invoke request. */
export type InvokeContext = z.infer<typeof InvokeContextSchema>;

/**
 * Host -> worker, one line on stdin. In `validate` mode with `hold: true` the worker answers
 * with a validation frame and then waits for one more invoke line (mode `transform`) or for
 * stdin to close; otherwise stdin closes after this line.
 */
export const InvokeRequestSchema = z.object({
  kind: z.literal('invoke'),
  protocol: z.literal(PROTOCOL_VERSION),
  request_id: z.string().min(1),
  mode: z.enum(INVOKE_MODES),
  plugin_dir: z.string().min(1),
  context: InvokeContextSchema,
  /** Absolute paths of the files to process, in order. */
  files: z.array(z.string()),
  dry_run: z.boolean(),
  extra_inputs: VariablesSchema.nullable(),
  hold: z.boolean().optional(),
});
/** An invoke request. */
export type InvokeRequest = z.infer<typeof InvokeRequestSchema>;

/** One change a plugin reported. */
export const FileChangeSchema = z.object({
  path: z.string(),
  kind: z.enum(FILE_CHANGE_KINDS),
  summary: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/** An input field of a prompt. */
export const PluginInputFieldSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  type: z.enum(INPUT_FIELD_TYPES),
  required: z.boolean(),
  default: z.unknown().optional(),
  options: z.array(z.string()).optional(),
  hint: z.string().optional(),
});

/** What happened to one file. */
export const FileResultSchema = z.object({
  path: z.string(),
  status: z.enum(FILE_RESULT_STATUSES),
  changes: z.array(FileChangeSchema).nullable(),
  error: z.string().optional(),
});

/** The prompt a suspended worker hands back: which inputs, why, and the file that raised it. */
export const InputRequestSchema = z.object({
  fields: z.array(PluginInputFieldSchema).min(1),
  reason: z.string(),
  file: z.string().nullable(),
});
/** An input request payload. */
export type InputRequest = z.infer<typeof InputRequestSchema>;

/** Worker -> host, the one line on stdout after a transform. */
export const ResultFrameSchema = z.object({
  kind: z.literal('result'),
  request_id: z.string().min(1),
  result: z.enum(INVOKE_RESULTS),
  per_file: z.array(FileResultSchema),
  input_required: InputRequestSchema.nullable(),
  error_message: z.string().nullable(),
  peak_memory_mb: z.number().nonnegative(),
});
/** A result frame. */
export type ResultFrame = z.infer<typeof ResultFrameSchema>;

/** Worker -> host, the answer of `validate` mode (§6.3.6): empty `errors` passes. */
export const ValidationFrameSchema = z.object({
  kind: z.literal('validation'),
  request_id: z.string().min(1),
  errors: z.array(z.string()),
  peak_memory_mb: z.number().nonnegative().optional(),
});
/** A validation frame. */
export type ValidationFrame = z.infer<typeof ValidationFrameSchema>;

/** Every frame kind a worker may put on stdout. */
export const WorkerFrameSchema = z.discriminatedUnion('kind', [ResultFrameSchema, ValidationFrameSchema]);
/** A worker frame. */
export type WorkerFrame = z.infer<typeof WorkerFrameSchema>;

/** The minimum every stdout frame has; a frame without it is a protocol breach (§6.3.4). */
export const FrameHeaderSchema = z.object({
  kind: z.string().min(1),
  request_id: z.string().min(1),
});

/** A structured log line on the worker's stderr (A7). */
export const LogFrameSchema = z.object({
  level: z.enum(LOG_FRAME_LEVELS),
  message: z.string(),
  context: z.record(z.string(), z.unknown()).optional(),
});
/** A log frame. */
export type LogFrame = z.infer<typeof LogFrameSchema>;

// The hand-written authoring types and these schemas must describe the same data.
type Assignable<A, B extends A> = B;
type _FileChangeMatches = Assignable<Omit<FileChange, 'detail'>, Omit<z.infer<typeof FileChangeSchema>, 'detail'>>;
type _InputFieldMatches = Assignable<Pick<PluginInputField, 'id' | 'label' | 'type' | 'required'>, z.infer<typeof PluginInputFieldSchema>>;
type _FileResultMatches = Assignable<Pick<PluginFileResult, 'path' | 'status'>, z.infer<typeof FileResultSchema>>;
