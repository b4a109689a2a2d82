/**
 * The central error catalogue (§4.6.3, §8). Every error the product can return has a stable
 * code, an HTTP status where it crosses the API, and a message naming the field and the
 * allowed values. Code throws the classes below; the API envelope is built by {@link toErrorEnvelope}.
 */

/** Catalogue entry: HTTP status and a one-line description of when the code is used. */
export interface ErrorCodeSpec {
  /** HTTP status when the error crosses the API. */
  readonly status: number;
  /** When the product emits this code. */
  readonly summary: string;
}

/** Every error code, with its HTTP status (requirements C2 plus our additions). */
export const ERROR_CODES = {
  setup_incomplete: { status: 503, summary: 'Setup is not complete; the endpoint is gated.' },
  shutting_down: { status: 503, summary: 'The app is shutting down and takes no new sessions.' },
  validation_failed: { status: 422, summary: 'An input failed validation.' },
  plugin_variable_validation_failed: { status: 422, summary: 'A plugin rejected the variables.' },
  template_load_error: { status: 422, summary: 'A template manifest could not be loaded.' },
  template_core_field_redeclared: { status: 422, summary: 'A template redeclares a core README field.' },
  lims_unreachable: { status: 503, summary: 'The LIMS could not be reached.' },
  keyring_unavailable: { status: 503, summary: 'No credential store is usable.' },
  session_not_found: { status: 404, summary: 'No session with that id.' },
  session_already_completed: { status: 409, summary: 'The session has already finished.' },
  session_not_awaiting_input: { status: 409, summary: 'The session is not waiting for input.' },
  nas_sync_failed: { status: 200, summary: 'A NAS sync job failed for good.' },
  sync_job_exists: { status: 409, summary: 'The folder already has a NAS sync job.' },
  sync_job_not_found: { status: 404, summary: 'No NAS sync job with that id or folder.' },
  sync_job_state_changed: { status: 409, summary: 'A NAS sync job was not in the state the change expected.' },
  sync_queue_invalid: { status: 500, summary: 'The NAS sync queue holds a row that does not read as a job.' },
  sync_queue_unavailable: { status: 503, summary: 'The NAS sync queue cannot be opened.' },
  schema_major_mismatch: { status: 422, summary: 'A cache file has a schema major version this reader does not know.' },
  equipment_id_invalid: { status: 422, summary: 'An equipment id breaks the id rules.' },
  equipment_id_conflict: { status: 409, summary: 'An equipment id is already configured.' },
  equipment_not_configured: { status: 422, summary: 'The equipment id is not in the configuration.' },
  field_too_long: { status: 422, summary: 'A text field is longer than allowed.' },
  unsafe_project_name: { status: 422, summary: 'The project name cannot be a folder name on every OS.' },
  project_not_found: { status: 422, summary: 'The project is not known to the LIMS or its catalogue.' },
  destination_exists: { status: 409, summary: 'The folder a creation would write already exists.' },
  disk_space_insufficient: { status: 422, summary: 'Not enough free disk space.' },
  plugin_host_unavailable: { status: 503, summary: 'A plugin worker could not be started.' },
  plugin_network_declined: { status: 422, summary: 'A plugin wants network access the config does not allow.' },
  orchestrator_disabled: { status: 409, summary: 'Orchestrator features are not configured.' },
  staging_not_sync_verified: { status: 409, summary: 'A staged run is not verified on the NAS yet.' },
  folder_not_found: { status: 404, summary: 'The folder does not exist.' },
  permission_denied: { status: 403, summary: 'The path is outside the configured roots.' },
  config_invalid: { status: 422, summary: 'config.yaml does not match the schema.' },
  config_not_found: { status: 404, summary: 'No config.yaml at the given path.' },
  cache_file_invalid: { status: 422, summary: 'A cache file is not valid JSON or breaks its schema.' },
  cache_file_exists: { status: 409, summary: 'A cache file that is written once already exists.' },
  lock_timeout: { status: 503, summary: 'A file lock could not be taken in time.' },
  already_running: { status: 409, summary: 'Another tray already holds the instance lock.' },
  port_in_use: { status: 409, summary: 'The fixed port is taken by another program.' },
  state_dir_unwritable: { status: 500, summary: 'The state directory cannot be written.' },
  run_limit_reached: { status: 409, summary: 'A detached run of this kind is already live (max_live).' },
  process_launch_failed: { status: 500, summary: 'A detached process could not be started.' },
  unauthorized: { status: 401, summary: 'The request carries no valid per-launch token.' },
  forbidden_host: { status: 403, summary: 'The Host header is not this server on loopback.' },
  forbidden_origin: { status: 403, summary: 'The Origin header is not this server.' },
  route_not_found: { status: 404, summary: 'No such route.' },
  method_not_allowed: { status: 405, summary: 'The route does not accept this method.' },
  payload_too_large: { status: 413, summary: 'The request body is too large.' },
  unsupported_media_type: { status: 415, summary: 'The request body is not JSON.' },
  cancelled: { status: 409, summary: 'The session was cancelled.' },
  session_abandoned: { status: 409, summary: 'The session waited for input too long and was aborted.' },
  server_connection_lost: { status: 503, summary: 'The connection to the ExLab-Wizard server was lost and could not be reopened.' },
  internal_error: { status: 500, summary: 'An unexpected error; see the app log with the trace id.' },
} as const satisfies Record<string, ErrorCodeSpec>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `code` is in the catalogue. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** Options every catalogue error accepts. */
export interface ExLabErrorOptions {
  /** Dotted path of the offending input field, e.g. `equipment[0].id`. */
  field?: string | undefined;
  /** Structured detail for clients (allowed values, limits, ...). */
  details?: Record<string, unknown> | undefined;
  /** Extra top-level keys of the error object (e.g. `state`, `missing` for setup_incomplete). */
  extra?: Record<string, unknown> | undefined;
  /** Underlying error. */
  cause?: unknown;
}

/** Base of every error the product throws on purpose. */
export class ExLabError extends Error {
  /** Stable code clients branch on. */
  readonly code: ErrorCode;
  /** Offending field, when there is one. */
  readonly field: string | undefined;
  /** Structured detail. */
  readonly details: Record<string, unknown> | undefined;
  /** Extra top-level keys for the envelope. */
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ExLabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
    this.details = options.details;
    this.extra = options.extra;
  }

  /** HTTP status of this error's code. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** config.yaml is missing, unreadable, not YAML, or breaks the schema. */
export class ConfigError extends ExLabError {
  /** Every problem found, each with its location. */
  readonly issues: readonly ConfigIssue[];

  constructor(
    message: string,
    issues: readonly ConfigIssue[] = [],
    options: ExLabErrorOptions & { code?: 'config_invalid' | 'config_not_found' } = {},
  ) {
    super(options.code ?? 'config_invalid', message, {
      ...options,
      field: options.field ?? issues[0]?.path,
      details: { ...options.details, issues: issues.map((i) => ({ ...i })) },
    });
    this.issues = issues;
  }
}

/** One problem in a config file. */
export interface ConfigIssue {
  /** Config file the problem is in. */
  file?: string | undefined;
  /** 1-based line, when known. */
  line?: number | undefined;
  /** 1-based column, when known. */
  column?: number | undefined;
  /** Dotted field path, e.g. `equipment[1].transport.type`. */
  path: string;
  /** What is wrong, naming allowed values where there are some. */
  message: string;
}

/** An input failed validation; `field` names it. */
export class ValidationError extends ExLabError {
  constructor(message: string, options: ExLabErrorOptions & { code?: ErrorCode } = {}) {
    super(options.code ?? 'validation_failed', message, options);
  }
}

/** A text field is longer than its limit; `details.max_length` carries the limit. */
export class FieldTooLongError extends ExLabError {
  constructor(field: string, maxLength: number, actualLength: number) {
    super('field_too_long', `${field} is ${actualLength} characters long; at most ${maxLength} are allowed.`, {
      field,
      details: { max_length: maxLength, length: actualLength },
    });
  }
}

/** A template manifest could not be loaded (§5). */
export class TemplateLoadError extends ExLabError {
  constructor(message: string, options: ExLabErrorOptions & { code?: 'template_load_error' | 'template_core_field_redeclared' } = {}) {
    super(options.code ?? 'template_load_error', message, options);
  }
}

/** A template declares one of the core README fields (§10.3). */
export class TemplateCoreFieldRedeclaredError extends TemplateLoadError {
  constructor(template: string, version: string | undefined, fieldId: string) {
    super(
      `Template "${template}" declares the core field "${fieldId}"; label, operator and objective are built in and cannot be redeclared.`,
      {
        code: 'template_core_field_redeclared',
        field: fieldId,
        details: { template, version: version ?? null },
      },
    );
  }
}

/** A cache file's schema major version is not the one this reader knows (§11.9.2). */
export class SchemaMajorMismatchError extends ExLabError {
  constructor(file: string, expectedMajor: number, found: string | null) {
    super(
      'schema_major_mismatch',
      `${file} has schema_version ${found === null ? '(missing)' : `"${found}"`}; this version of ExLab-Wizard reads major version ${expectedMajor} only.`,
      {
        field: 'schema_version',
        details: { expected_major: expectedMajor, found, file },
      },
    );
  }
}

/** Setup is incomplete; the envelope carries `state` and `missing`. */
export class SetupIncompleteError extends ExLabError {
  constructor(state: string, missing: readonly { field: string; reason: string }[], nextAction: string | null) {
    super('setup_incomplete', `Setup is not complete (${state}); finish it in Settings first.`, {
      extra: { state, missing, next_action: nextAction },
    });
  }
}

/** No usable credential store (§7.4.4). */
export class KeyringUnavailableError extends ExLabError {
  constructor(message: string, options: ExLabErrorOptions = {}) {
    super('keyring_unavailable', message, options);
  }
}

/** The wire shape of an error (§4.6.3). */
export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    field?: string;
    details?: Record<string, unknown>;
    trace_id: string;
    [extra: string]: unknown;
  };
}

/** Builds the API error envelope for `error`; unknown errors become `internal_error` without leaking their message. */
export function toErrorEnvelope(error: unknown, traceId: string): { status: number; body: ErrorEnvelope } {
  if (error instanceof ExLabError) {
    const body: ErrorEnvelope = {
      error: { ...error.extra, code: error.code, message: error.message, trace_id: traceId },
    };
    if (error.field !== undefined) body.error.field = error.field;
    if (error.details !== undefined) body.error.details = error.details;
    return { status: error.status, body };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: 'internal server error',
        details: { trace_id: traceId },
        trace_id: traceId,
      },
    },
  };
}

/** A short human description of any thrown value, for logs and CLI output. */
export function describeError(error: unknown): string {
  if (error instanceof ExLabError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
