/**
 * Every fixed value of the product: schema versions, file names, patterns, enums and limits.
 * Browser-safe (no Node imports): the UI and `@exlab/core/schemas` read it too.
 */

/** The product's folder name under the OS config, state, cache and data directories. */
export const APP_DIR_NAME = 'exlab-wizard';
/** Human-readable product name used in messages. */
export const APP_DISPLAY_NAME = 'ExLab-Wizard';
/** Version of the product, reported by `exlab --version` and /health (kept equal to @exlab/core's package version). */
export const PRODUCT_VERSION = '0.1.0';
/** Major version of the HTTP API; every route lives under this prefix. */
export const API_PREFIX = '/api/v1';

// ---------------------------------------------------------------------------
// Schema versions (§11.3, §11.4, §11.9, §13.4, §7.2.9)
// ---------------------------------------------------------------------------

/** Current schema version of each on-disk file the product writes. */
export const SCHEMA_VERSIONS = {
  /** creation.json 1.9 adds the relay fields to the orchestrator block (redesign §3.3). */
  creation_json: '1.9',
  readme_fields_json: '1.1',
  readme_front_matter: '1.1',
  ingest_json: '1.1',
  equipment_json: '1.0',
  runs_json: '1.0',
  test_runs_json: '1.0',
  offline_catalogue: '1.0',
  server_json: '1',
} as const;

// ---------------------------------------------------------------------------
// File and folder names
// ---------------------------------------------------------------------------

/** Names of files and folders the product reads and writes. */
export const FILE_NAMES = {
  cacheDir: '.exlab-wizard',
  creation: 'creation.json',
  readmeFields: 'readme_fields.json',
  equipment: 'equipment.json',
  runsMarker: 'runs.json',
  testRunsMarker: 'test_runs.json',
  ingest: 'ingest.json',
  answers: '.exlab-answers.yml',
  readme: 'README.md',
  config: 'config.yaml',
  serverJson: 'server.json',
  trayLock: 'tray.lock',
  /** Detached run files (lifecycle.md D1). */
  runStatus: 'status.json',
  runResult: 'result.json',
  runMessages: 'messages.jsonl',
  runStdout: 'stdout.log',
  runStderr: 'stderr.log',
  /** Chromium profile of the window, under the state dir (one per tray, W3). */
  windowProfile: 'window-profile',
  /** Written once the tray has started for the first time (T1: the window opens on first launch only). */
  firstLaunchMarker: '.first-launch-done',
  appLog: 'app.log',
  copierManifest: 'copier.yml',
  copierManifestAlt: 'copier.yaml',
  pluginManifest: 'manifest.yml',
  jinjaSuffix: '.jinja',
  /** Prefix of the hidden directory a creation renders into before it is published by rename. */
  creationTempPrefix: '.exlab-creating-',
  /** The durable NAS sync queue under the state dir (§7.1.1). */
  syncQueue: 'sync_queue.db',
  /** The SHA-256 manifest of a verified push, in the run's cache folder (§7.1.4). */
  checksums: 'checksums.sha256',
} as const;

/** Prefix of the equipment-scoped log file: `wizard.<hostname>.log` (§11.5). */
export const EQUIPMENT_LOG_PREFIX = 'wizard.';
/** Suffix of the equipment-scoped log file. */
export const EQUIPMENT_LOG_SUFFIX = '.log';

// ---------------------------------------------------------------------------
// Layout (§3, redesign §3.4)
// ---------------------------------------------------------------------------

/** The two kinds of run (§3, §11.3). */
export const RUN_KINDS = ['experimental', 'test'] as const;
/** Whether a run is a real experiment or a test run. */
export type RunKind = (typeof RUN_KINDS)[number];

/** Folder that holds the runs of each kind under a project. */
export const RUN_KIND_FOLDER: Readonly<Record<RunKind, string>> = {
  experimental: 'Runs',
  test: 'TestRuns',
};
/** Leaf prefix of a run folder of each kind. */
export const RUN_KIND_PREFIX: Readonly<Record<RunKind, string>> = {
  experimental: 'Run_',
  test: 'TestRun_',
};
/** Marker file written once in the folder of each kind (§11.4.2, §11.4.3). */
export const RUN_KIND_MARKER: Readonly<Record<RunKind, string>> = {
  experimental: FILE_NAMES.runsMarker,
  test: FILE_NAMES.testRunsMarker,
};

/** Levels at which creation.json is written. */
export const CREATION_LEVELS = ['project', 'run'] as const;
/** A creation.json level. */
export type CreationLevel = (typeof CREATION_LEVELS)[number];

/** Template types (`_exlab_type`, §5). */
export const TEMPLATE_TYPES = ['project', 'equipment', 'run'] as const;
/** A template type. */
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

/** Run scopes a run template may declare (`_exlab_run_scope`, §5). */
export const RUN_SCOPES = ['experimental', 'test', 'both'] as const;
/** A run template's scope. */
export type RunScope = (typeof RUN_SCOPES)[number];

// ---------------------------------------------------------------------------
// Patterns (§3.1, §8.1, §10)
// ---------------------------------------------------------------------------

/** Equipment ID: upper-case letter, then upper-case letters, digits and underscores (§3.1). */
export const EQUIPMENT_ID_PATTERN = /^[A-Z][A-Z0-9_]*$/;
/** Longest allowed equipment ID. */
export const EQUIPMENT_ID_MAX_LENGTH = 32;
/** LIMS project short ID, e.g. `PROJ-0042`. */
export const SHORT_ID_PATTERN = /^PROJ-\d+$/;
/** README field ID. */
export const FIELD_ID_PATTERN = /^[a-z][a-z0-9_]*$/;
/** Angle-bracket placeholder left over from a template (§8.1.1); `<2 mM>` does not match. */
export const PLACEHOLDER_PATTERN = /<[A-Za-z_][A-Za-z0-9_]*>/g;
/** Leftover Jinja expression marker. */
export const JINJA_EXPRESSION_PATTERN = /\{\{[^}]*\}\}/g;
/** Leftover Jinja statement marker. */
export const JINJA_STATEMENT_PATTERN = /\{%[^%]*%\}/g;
/** Plugin name (§6.1.2). */
export const PLUGIN_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Run folder timestamp, `YYYY-MM-DDTHH-MM` in UTC. */
export const RUN_STAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}$/;
/** Strict 24-hour `HH:MM` used by bandwidth schedules. */
export const HH_MM_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Characters Windows forbids in a file name; flagged on every OS because runs travel to SMB shares. */
export const ILLEGAL_FILENAME_CHARACTERS = ['<', '>', ':', '"', '/', '\\', '|', '?', '*'] as const;
/** Windows reserved device names, matched against the upper-cased stem. */
export const RESERVED_FILENAMES = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  'COM1',
  'COM2',
  'COM3',
  'COM4',
  'COM5',
  'COM6',
  'COM7',
  'COM8',
  'COM9',
  'LPT1',
  'LPT2',
  'LPT3',
  'LPT4',
  'LPT5',
  'LPT6',
  'LPT7',
  'LPT8',
  'LPT9',
] as const;

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/** Numeric limits of inputs, files and frames. */
export const LIMITS = {
  /** Characters in `label`, after trimming. */
  labelMaxLength: 100,
  /** Characters in `objective`, after trimming. */
  objectiveMaxLength: 2000,
  /** Characters in a project folder name. */
  projectNameMaxLength: 255,
  /** Bytes read to decide whether a file is binary. */
  binarySniffBytes: 8192,
  /** UTF-8 bytes of one line in an equipment-scoped log. */
  logLineMaxBytes: 1024,
  /** Longest HTTP request body accepted. */
  requestBodyMaxBytes: 1024 * 1024,
  /** One plugin IPC frame. */
  ipcFrameMaxBytes: 1024 * 1024,
  /** Reason text on an override. */
  overrideReasonMinLength: 10,
  overrideReasonMaxLength: 500,
  /** Lines searched for the closing `---` of README front matter. */
  frontMatterMaxLines: 200,
} as const;

/** Marker appended to a log line cut at {@link LIMITS.logLineMaxBytes}. */
export const LOG_TRUNCATION_MARKER = '...[truncated]';

// ---------------------------------------------------------------------------
// Timings (all in milliseconds unless named otherwise)
// ---------------------------------------------------------------------------

/** Timeouts, intervals and grace periods. */
export const TIMINGS = {
  /** Exclusive cache lock wait (§11, core.md F2). */
  cacheLockTimeoutMs: 30_000,
  /** Session GC pass interval (§4.4.7). */
  sessionGcIntervalMs: 300_000,
  /** An input_required session with no heartbeat for this long is abandoned. */
  sessionAbandonAfterMs: 3_600_000,
  /** Background audit cadence (§11.8). */
  auditIntervalMs: 30_000,
  /** Quit drain window for an operator quit (§4.3.2). */
  quitDrainMs: 30_000,
  /** Quit drain window after SIGTERM/SIGINT/SIGHUP. */
  signalDrainMs: 5_000,
  /** `exlab stop`: SIGKILL this long after SIGTERM. */
  stopKillAfterMs: 10_000,
  /** `exlab stop` checks this often whether the tray has exited (a pid and /proc read, so cheap). */
  stopPollMs: 20,
  /** The tray writes Node's compile cache this long after it is listening (not only at its exit). */
  compileCacheFlushMs: 2_000,
  /** Fastify close with forced connection close may take this long. */
  serverCloseMs: 10_000,
  /** Tray rewrites a missing or foreign server.json on this tick (T6). */
  selfHealIntervalMs: 5_000,
  /** `exlab start` waits this long for a detached tray to become healthy. */
  startWaitMs: 15_000,
  /** Plugin worker TERM-to-KILL grace at shutdown. */
  workerShutdownGraceMs: 5_000,
  /** `exlab start` polls for server.json and health this often (C1). */
  startPollMs: 50,
  /** QuitCoordinator re-checks the idle predicate this often (Q1). */
  quitPollMs: 100,
  /** A force-quit prompt without an answer this long counts as Force quit (Q4). */
  quitPromptAnswerMs: 30_000,
  /** Window teardown at quit: SIGTERM, this long, then SIGKILL (Q5). */
  windowCloseGraceMs: 5_000,
  /** Window teardown at quit: after SIGKILL, wait this long for the exit (Q5). */
  windowKillWaitMs: 2_000,
  /** The window answers "tray alive?" within this long or exits 2 (W2). */
  windowHandshakeMs: 2_000,
  /** The window re-checks that its tray is alive this often (W4). */
  windowFollowIntervalMs: 2_000,
  /** Window-only mode with the default-browser fallback quits this long after the last UI disconnects (T8). */
  windowOnlyIdleQuitMs: 10_000,
  /** A verified NAS sync job is verified again this long after its last pass, until it has `nas_cleanup.min_verify_passes` (§7.1.6). */
  syncReverifyAfterMs: 3_600_000,
  /** A cleanup that could not run (NAS unreachable, a revoked override) is tried again after this long. */
  syncCleanupRetryMs: 3_600_000,
  /** The tray status label is recomputed this often (I2). */
  statusTickMs: 5_000,
  /** Notifications of one kind within this window become one (N2). */
  notificationCoalesceMs: 5_000,
  /** How long an OS notification stays up (N1). */
  notificationDisplayMs: 10_000,
  /**
   * `GET /tree` re-reads a folder changed less than this long before a check instead of trusting
   * its unchanged timestamps: file-system timestamps are coarse (FAT's are 2 s), so a second change
   * within the same tick would leave them equal.
   */
  treeRecentChangeMs: 2_000,
} as const;

/** Detached runs under `<state>/runs/<slug>/<run_id>/` (lifecycle.md D1-D6, the ox_proc model). */
export const DETACHED_RUNS = {
  /** Folder under the state dir holding every slug's runs. */
  dirName: 'runs',
  /** Slug of the tray's runs. */
  traySlug: 'tray',
  /** A slug is lower-case letters, digits, `_` and `-`. */
  slugPattern: /^[a-z0-9_-]+$/,
  /** Ended runs are deleted this long after their observed end (D2 `ttl_seconds`). */
  ttlSeconds: 86_400,
  /** Default runtime limit of a run (OX); the tray passes null, no limit. */
  maxRuntimeSeconds: 8 * 3_600,
  /** Runs never seen ending, and unreadable run dirs, are deleted this long after launch or mtime (D6). */
  maxAgeSeconds: 86_400,
  /** Lines shown of messages, stdout and stderr (D4). */
  tailLines: 10,
  /** Bytes read from the end of a file for a tail (D4). */
  tailMaxBytes: 64 * 1024,
  /** `exlab stop` and run kills: SIGKILL this long after SIGTERM (DECISIONS.md). */
  killGraceMs: 10_000,
  /**
   * Node flags of the tray that `exlab start` launches (and autostart registers): a 16 MiB young
   * generation from the start, so loading the program and binding run without a garbage
   * collection (six scavenges and a mark-compact otherwise) for a few MiB of RSS.
   */
  trayNodeFlags: ['--min-semi-space-size=16'],
} as const;

/** How the tray and its window process talk without a socket (W1, W3, T7). */
export const WINDOW_PROCESS = {
  /** Set by the tray on the window it spawns: the window exits when its stdin, a pipe from the tray, closes. */
  parentEnv: 'EXLAB_WINDOW_PARENT',
  /** The stderr line a window prints when it handed the URL to the default browser. */
  fallbackMarker: 'exlab-window: opened in the default browser',
} as const;

/** States of a detached run's status.json (D2). */
export const RUN_STATES = ['running', 'finished', 'died', 'killed'] as const;
/** A detached run's state. */
export type RunState = (typeof RUN_STATES)[number];

// ---------------------------------------------------------------------------
// Plugins (§6.1.2, §6.3; requirements A2, A5, A7, A9, A11)
// ---------------------------------------------------------------------------

/** Plugin API major versions this host loads; a manifest's `String(api_version)` must be one (§6.1.2). */
export const PLUGIN_API_VERSIONS = ['1'] as const;

/** Isolation defaults and caps of `manifest.yml`, and the fixed budgets of the plugin host. */
export const PLUGIN_LIMITS = {
  /** `isolation.timeout_seconds` when the manifest does not set it. */
  defaultTimeoutSeconds: 30,
  /** Largest `isolation.timeout_seconds` (inclusive). */
  maxTimeoutSeconds: 300,
  /** `isolation.memory_mb` when the manifest does not set it. */
  defaultMemoryMb: 512,
  /** Largest `isolation.memory_mb` (inclusive). */
  maxMemoryMb: 2048,
  /** Below this a manifest loads with a warning: a bare Node 24 worker already uses ~42 MB RSS. */
  lowMemoryWarnMb: 64,
  /** One IPC frame in either direction, newline excluded (§6.3.4). */
  ipcFrameMaxBytes: 1024 * 1024,
  /** All of a worker's stdout together: unknown-kind frames cannot flood the host. */
  stdoutMaxBytes: 8 * 1024 * 1024,
  /** A malformed frame is logged cut to this many bytes (§6.3.4). */
  badFrameLogBytes: 4096,
  /** A worker's stderr file stops growing here. */
  stderrFileMaxBytes: 10 * 1024 * 1024,
  /** CPU seconds per second of wall-clock timeout (RLIMIT_CPU, §6.3.3). */
  cpuSecondsPerTimeoutSecond: 2,
  /** Open files per worker (RLIMIT_NOFILE, §6.3.3). */
  maxOpenFiles: 256,
  /** Wall clock of the variable validation call (§6.3.6). */
  validateTimeoutMs: 10_000,
  /** CPU seconds of the variable validation call (§6.3.6). */
  validateCpuSeconds: 5,
  /** TERM to KILL when a worker times out (§6.3.4). */
  timeoutKillGraceMs: 1_000,
  /** RSS watchdog period (A9). */
  watchdogIntervalMs: 200,
  /** Exit code recorded for a worker the host killed on timeout. */
  timeoutExitCode: 124,
  /** Files up to this size are snapshotted byte for byte before a plugin runs (A11). */
  snapshotContentMaxBytes: 64 * 1024,
} as const;

// ---------------------------------------------------------------------------
// Enums of the wire and file formats
// ---------------------------------------------------------------------------

/** `creation.json` `sync_status` values (§11.3). */
export const SYNC_STATUSES = ['pending', 'synced', 'cleaned', 'failed', 'blocked_by_validation'] as const;
/** A run's sync status. */
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** States of a NAS sync job (§7.1.2); `failed` and `cleaned` are terminal. */
export const SYNC_JOB_STATES = ['queued', 'running', 'awaiting_verify', 'verified', 'cleanup_eligible', 'cleaned', 'failed'] as const;
/** A NAS sync job's state. */
export type SyncJobState = (typeof SYNC_JOB_STATES)[number];

/**
 * Why a NAS sync attempt failed (§7.1.5), as recorded in a job's `last_error`: `network`,
 * `local_error` (this machine: a cache file, the disk) and `hash_mismatch` are retried, the others
 * fail the job at once.
 */
export const SYNC_FAILURE_KINDS = [
  'network',
  'auth',
  'hash_mismatch',
  'local_file_vanished',
  'equipment_not_configured',
  'transport_missing',
  'transport_unavailable',
  'local_error',
  'nas_root_invalid',
] as const;
/** A NAS sync failure kind. */
export type SyncFailureKind = (typeof SYNC_FAILURE_KINDS)[number];

/** NAS sync retry policy (§7.1.5): the wait before each retry of a network failure, in seconds. */
export const SYNC_BACKOFF_SECONDS = [30, 120, 480, 1800, 7200] as const;

/** Where the LIMS project data used at creation came from (§11.3, 1.8). */
export const LIMS_SOURCES = ['live', 'cache', 'offline_catalogue'] as const;
/** A LIMS data source. */
export type LimsSource = (typeof LIMS_SOURCES)[number];

/** Outcome of one plugin in `plugins_applied` (§6.2.4). */
export const PLUGIN_STATUSES = ['success', 'failed', 'skipped', 'timeout', 'policy_violation'] as const;
/** A plugin outcome. */
export type PluginStatus = (typeof PLUGIN_STATUSES)[number];

/** Validator tiers (§8.1). */
export const TIERS = ['hard', 'soft'] as const;
/** A finding's tier. */
export type Tier = (typeof TIERS)[number];

/** Hard-tier rules: these block sync and may be overridden (§8.1, §11.3). */
export const HARD_PROBLEM_CLASSES = [
  'unresolved_placeholder_token',
  'leftover_jinja_marker',
  'illegal_filesystem_character',
  'reserved_filesystem_name',
  'mode_prefix_mismatch',
] as const;
/** Soft-tier rules: reported, never blocking. */
export const SOFT_PROBLEM_CLASSES = ['orphan', 'missing_required_field', 'malformed_yaml_front_matter', 'unsafe_project_name'] as const;
/** Every validator rule. */
export const PROBLEM_CLASSES = [...HARD_PROBLEM_CLASSES, ...SOFT_PROBLEM_CLASSES] as const;
/** A validator rule name. */
export type ProblemClass = (typeof PROBLEM_CLASSES)[number];
/** A rule an override may name. */
export type HardProblemClass = (typeof HARD_PROBLEM_CLASSES)[number];

/** Where a finding was found (§11.8). */
export const OFFENDING_KINDS = ['directory_segment', 'file_name', 'file_content'] as const;
/** A finding's location kind. */
export type OffendingKind = (typeof OFFENDING_KINDS)[number];

/** Setup states, in evaluation order (§4.9.1, redesign §3.1). */
export const SETUP_STATES = [
  'incomplete_no_config',
  'incomplete_missing_paths',
  'incomplete_no_orchestrator',
  'incomplete_no_equipment',
  'incomplete_no_lims',
  'incomplete_lims_unreachable',
  'ready',
] as const;
/** A setup state. */
export type SetupState = (typeof SETUP_STATES)[number];

/** What the onboarding UI should show next (§4.9.3). */
export const NEXT_ACTIONS = ['set_paths', 'add_equipment', 'configure_lims', 'test_lims'] as const;
/** A setup next action (null when ready). */
export type NextAction = (typeof NEXT_ACTIONS)[number];

/** Creation-session states (§4.7). */
export const SESSION_STATES = [
  'pending',
  'validating',
  'rendering',
  'plugin_pass',
  'input_required',
  'cache_write',
  'post_validate',
  'sync_queued',
  'done',
  'failed',
  'aborted',
] as const;
/** A creation-session state. */
export type SessionState = (typeof SESSION_STATES)[number];
/** States a session never leaves. */
export const FINAL_SESSION_STATES = ['done', 'failed', 'aborted'] as const satisfies readonly SessionState[];

/** Phases reported over the session WebSocket (§4.6.2, §4.7.1). */
export const PHASES = [
  'validating_inputs',
  'rendering_template',
  'running_plugins',
  'writing_cache',
  'validating_post_creation',
  'queueing_nas_sync',
  'done',
] as const;
/** A reported phase. */
export type Phase = (typeof PHASES)[number];

/** Phase reported for each session state that has one (§4.7.1). */
export const PHASE_OF_STATE: Readonly<Partial<Record<SessionState, Phase>>> = {
  validating: 'validating_inputs',
  rendering: 'rendering_template',
  plugin_pass: 'running_plugins',
  cache_write: 'writing_cache',
  post_validate: 'validating_post_creation',
  sync_queued: 'queueing_nas_sync',
};

/** Per-equipment sync role (redesign §3.2). */
export const SYNC_MODES = ['nas', 'stage'] as const;
/** An equipment's sync mode. */
export type SyncMode = (typeof SYNC_MODES)[number];

/**
 * NAS transports. `local` (a NAS share mounted on this workstation, pushed with rsync) is
 * our addition to the spec's `rclone` and `rsync_ssh`; see docs/decisions.md.
 */
export const NAS_TRANSPORT_TYPES = ['rclone', 'rsync_ssh', 'local'] as const;
/** A NAS transport type. */
export type NasTransportType = (typeof NAS_TRANSPORT_TYPES)[number];

/** Staging transports for `stage` equipment (§13). */
export const STAGING_TRANSPORT_TYPES = ['smb_mount', 'file_transfer'] as const;
/** A staging transport type. */
export type StagingTransportType = (typeof STAGING_TRANSPORT_TYPES)[number];

/** How an equipment signals that a run's acquisition is complete (§13). */
export const COMPLETENESS_SIGNALS = ['sentinel_file', 'manifest'] as const;
/** A completeness signal. */
export type CompletenessSignal = (typeof COMPLETENESS_SIGNALS)[number];

/** README field types (§10). */
export const README_FIELD_TYPES = ['string', 'text', 'choice', 'date', 'boolean'] as const;
/** A README field type. */
export type ReadmeFieldType = (typeof README_FIELD_TYPES)[number];

/** The three core README fields every creation carries (§10.2). */
export const CORE_FIELD_IDS = ['label', 'operator', 'objective'] as const;
/** A core field id. */
export type CoreFieldId = (typeof CORE_FIELD_IDS)[number];

/** Log levels, lowest first (§16). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Staging cleanup modes (§12). */
export const STAGING_CLEANUP_MODES = ['manual', 'scheduled'] as const;
/** A staging cleanup mode. */
export type StagingCleanupMode = (typeof STAGING_CLEANUP_MODES)[number];

/** Weekday keys used by bandwidth schedules. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** A weekday key. */
export type Weekday = (typeof WEEKDAYS)[number];

/** The tray's run modes, recorded in server.json. */
export const TRAY_MODES = ['tray', 'window-only', 'smoke', 'headless'] as const;
/** A tray mode. */
export type TrayMode = (typeof TRAY_MODES)[number];

// ---------------------------------------------------------------------------
// Config defaults (§9)
// ---------------------------------------------------------------------------

/** Text extensions scanned for leftover placeholders by default (§9). */
export const DEFAULT_CONTENT_SCAN_EXTENSIONS = [
  '.txt',
  '.md',
  '.csv',
  '.tsv',
  '.json',
  '.yaml',
  '.yml',
  '.toml',
  '.ini',
  '.cfg',
  '.conf',
  '.xml',
  '.sh',
  '.py',
] as const;

/** Default values of config.yaml blocks (§9). */
export const CONFIG_DEFAULTS = {
  limsCacheTtlHours: 24,
  // DECISIONS.md: local cleanup is off by default (§7.1.6's safety bias).
  nasCleanup: { enabled: false, minVerifyPasses: 2, minAgeHours: 24, retainCache: true },
  logging: { level: 'INFO' as LogLevel, centralLogMaxMb: 10, centralLogKeep: 5 },
  validator: { contentScanMaxMib: 5 },
  sync: { enabled: true, retryAttempts: 3 },
  plugins: { allowNetwork: false },
  stagingCleanup: { mode: 'manual' as StagingCleanupMode, retainHours: 24 },
  sshKeyPath: '~/.ssh/id_ed25519',
  posixStagingRoot: '/staging',
} as const;

// ---------------------------------------------------------------------------
// Credentials (§7.4)
// ---------------------------------------------------------------------------

/** OS keyring entry holding the LIMS password. */
export const KEYRING = { service: 'exlab-wizard', limsUsername: 'lims' } as const;

// ---------------------------------------------------------------------------
// Security and process
// ---------------------------------------------------------------------------

/** Cookie that carries the per-launch token for the UI window. */
export const TOKEN_COOKIE_NAME = 'exlab_token';
/** Header carrying a caller-supplied trace id. */
export const TRACE_ID_HEADER = 'x-trace-id';
/** Close codes of the API's WebSockets: 1000 the session ended (reason: its state), 4404 no such session. */
export const WS_CLOSE = { normal: 1000, goingAway: 1001, noController: 1011, unknownSession: 4404 } as const;
/** Header that authorises tray control routes. */
export const CONTROL_HEADER = 'x-exlab-control';
/** Loopback address the server binds. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Exit codes of the tray and the CLI (lifecycle.md §10). */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  /** window: no live tray; problems: usage error. */
  noTray: 2,
  alreadyRunning: 3,
  portInUse: 4,
  stateUnwritable: 5,
  usage: 64,
} as const;

/** Environment variables the product reads. */
export const ENV = {
  stateDir: 'EXLAB_STATE_DIR',
  config: 'EXLAB_CONFIG',
  port: 'EXLAB_PORT',
  runDir: 'EXLAB_RUN_DIR',
  supervisor: 'EXLAB_SUPERVISOR',
  browser: 'EXLAB_BROWSER',
  debug: 'EXLAB_DEBUG',
  /** Window process command (W1). */
  windowExecutable: 'EXLAB_WINDOW_EXECUTABLE',
  /** `1` runs the window's Chromium headless (CI); so does a Linux session without DISPLAY/WAYLAND_DISPLAY. */
  headless: 'EXLAB_HEADLESS',
  /** Root that replaces HOME for autostart files (tests, A1). */
  autostartRoot: 'EXLAB_AUTOSTART_ROOT',
} as const;
