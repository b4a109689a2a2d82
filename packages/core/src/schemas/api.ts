import { z } from 'zod';
import { PHASES, README_FIELD_TYPES, RUN_KINDS, SESSION_STATES, SETUP_STATES, NEXT_ACTIONS, SYNC_STATUSES } from '../constants/index.js';

/** The LIMS project named by a creation request (the client picked it from the LIMS list). */
export const LimsProjectInputSchema = z.strictObject({
  uid: z.string().trim().min(1),
  short_id: z.string().trim().min(1),
  name: z.string().min(1),
});
/** A LIMS project in a request body. */
export type LimsProjectInput = z.infer<typeof LimsProjectInputSchema>;

/** Values a template question or README field may take in a request. */
const VariableValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

/** `POST /api/v1/sessions` body for a run (requirements C4). Unknown fields are rejected. */
export const RunCreateRequestSchema = z.strictObject({
  kind: z.literal('run'),
  equipment_id: z.string(),
  project_name: z.string(),
  template_path: z.string().min(1),
  run_kind: z.enum(RUN_KINDS).default('experimental'),
  label: z.string(),
  operator: z.string(),
  objective: z.string(),
  run_date: z.iso.datetime({ offset: true }).optional(),
  lims_project: LimsProjectInputSchema.optional(),
  variables: z.record(z.string(), VariableValueSchema).default({}),
  readme_extra: z.record(z.string(), VariableValueSchema).default({}),
  /** Ad-hoc README fields the operator added, in order (§10.4). */
  readme_custom_fields: z.array(z.strictObject({ label: z.string(), value: z.string() })).default([]),
});
/** A run creation request. */
export type RunCreateRequest = z.infer<typeof RunCreateRequestSchema>;
/** A run creation request as a client writes it (defaults not applied). */
export type RunCreateRequestInput = z.input<typeof RunCreateRequestSchema>;

/**
 * `POST /api/v1/sessions` body for a project (requirements C4). The project folder is named after
 * the LIMS project (DECISIONS.md), so `lims_project` is required and names it.
 */
export const ProjectCreateRequestSchema = z.strictObject({
  kind: z.literal('project'),
  equipment_id: z.string(),
  template_path: z.string().min(1),
  label: z.string(),
  operator: z.string(),
  objective: z.string(),
  lims_project: LimsProjectInputSchema,
  variables: z.record(z.string(), VariableValueSchema).default({}),
  readme_extra: z.record(z.string(), VariableValueSchema).default({}),
  /** Ad-hoc README fields the operator added, in order (§10.4). */
  readme_custom_fields: z.array(z.strictObject({ label: z.string(), value: z.string() })).default([]),
});
/** A project creation request. */
export type ProjectCreateRequest = z.infer<typeof ProjectCreateRequestSchema>;
/** A project creation request as a client writes it (defaults not applied). */
export type ProjectCreateRequestInput = z.input<typeof ProjectCreateRequestSchema>;

/** Every creation request body, chosen by `kind`. */
export const CreateSessionRequestSchema = z.discriminatedUnion('kind', [RunCreateRequestSchema, ProjectCreateRequestSchema]);
/** A creation request. */
export type CreateSessionRequest = z.infer<typeof CreateSessionRequestSchema>;

/** An error as carried inside a session handle or a `failed` frame. */
export const SessionErrorSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** A session error. */
export type SessionError = z.infer<typeof SessionErrorSchema>;

/** The outcome of a finished creation. */
export const CreationResultSchema = z.looseObject({
  path: z.string(),
  sync_status: z.enum(SYNC_STATUSES),
  blocked: z.boolean(),
  findings: z.array(z.record(z.string(), z.unknown())),
});
/** A creation result. */
export type CreationResult = z.infer<typeof CreationResultSchema>;

/** One input a plugin asks the operator for (§6.4; requirements A7 input field). */
export const SessionInputFieldSchema = z.object({
  id: z.string(),
  label: z.string(),
  type: z.enum(README_FIELD_TYPES),
  required: z.boolean(),
  default: z.unknown().optional(),
  options: z.array(z.string()).optional(),
  hint: z.string().optional(),
});
/** A plugin input field. */
export type SessionInputField = z.infer<typeof SessionInputFieldSchema>;

/** The prompt a session suspended in `input_required` waits on (requirements B7 `pending_input`). */
export const PendingInputSchema = z.object({
  plugin: z.string(),
  fields: z.array(SessionInputFieldSchema),
  reason: z.string(),
});
/** A pending plugin prompt. */
export type PendingInput = z.infer<typeof PendingInputSchema>;

/** A session snapshot as the API returns it (requirements C4). */
export const SessionHandleSchema = z.object({
  session_id: z.string(),
  kind: z.enum(['project', 'run']),
  state: z.enum(SESSION_STATES),
  current_phase: z.enum(PHASES).nullable(),
  next_action: z.enum(['awaiting_input', 'none']),
  pending_input: PendingInputSchema.nullable(),
  error: SessionErrorSchema.nullable(),
  result: CreationResultSchema.nullable(),
  created_at: z.string(),
});
/** A session snapshot. */
export type SessionHandle = z.infer<typeof SessionHandleSchema>;

/** WS frame: the session entered a state with a phase (§4.6.2, §4.7.1). */
export const PhaseEventSchema = z.strictObject({ kind: z.literal('phase'), phase: z.enum(PHASES), at: z.string() });
/** WS frame: progress inside a phase; `plugin` names the plugin about to run. */
export const ProgressEventSchema = z.strictObject({
  kind: z.literal('progress'),
  phase: z.enum(PHASES),
  current: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  plugin: z.string().optional(),
});
/** WS frame: a plugin waits for the operator (the session is in `input_required`). */
export const InputRequiredEventSchema = z.strictObject({
  kind: z.literal('input_required'),
  fields: z.array(SessionInputFieldSchema),
  reason: z.string(),
  plugin: z.string(),
});
/** WS frame: something the operator should know that does not stop the session. */
export const WarningEventSchema = z.strictObject({ kind: z.literal('warning'), phase: z.enum(PHASES), message: z.string() });
/** WS frame: the session ended `done`. */
export const DoneEventSchema = z.strictObject({ kind: z.literal('done'), result: CreationResultSchema });
/** WS frame: the session ended `failed`; `phase` is where it failed (requirements C5). */
export const FailedEventSchema = z.strictObject({ kind: z.literal('failed'), phase: z.enum(PHASES), error: SessionErrorSchema });
/** Every session WS frame (§4.6.2); an aborted session ends with no frame. */
export const SessionEventSchema = z.discriminatedUnion('kind', [
  PhaseEventSchema,
  ProgressEventSchema,
  InputRequiredEventSchema,
  WarningEventSchema,
  DoneEventSchema,
  FailedEventSchema,
]);
/** A session WS frame. */
export type SessionEvent = z.infer<typeof SessionEventSchema>;

/** One entry of `missing` in a setup status (§4.9.3). */
export const SetupMissingSchema = z.object({ field: z.string(), reason: z.string() });

/** `GET /api/v1/setup/status` response (§4.9.3). */
export const SetupStatusSchema = z.object({
  state: z.enum(SETUP_STATES),
  missing: z.array(SetupMissingSchema),
  next_action: z.enum(NEXT_ACTIONS).nullable(),
  ready: z.boolean(),
});
/** A setup status. */
export type SetupStatus = z.infer<typeof SetupStatusSchema>;

/** Component health levels; the top-level status is the worst (§4.6.3). */
export const HEALTH_LEVELS = ['ok', 'warn', 'error'] as const;
/** A health level. */
export type HealthLevel = (typeof HEALTH_LEVELS)[number];

/** `GET /api/v1/health` response (§4.6.3, requirements C7). */
export const HealthSchema = z.object({
  status: z.enum(HEALTH_LEVELS),
  version: z.string(),
  instance_id: z.string(),
  schema_versions: z.object({ creation_json: z.string(), readme_fields_json: z.string(), ingest_json: z.string() }),
  components: z.record(z.string(), z.looseObject({ status: z.enum(HEALTH_LEVELS) })),
  setup_state: z.enum(SETUP_STATES),
});
/** A health rollup. */
export type Health = z.infer<typeof HealthSchema>;
