import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as C from '@exlab/core/constants';

// Pins every fixed value of the product (core.md A): a changed value must fail here first.

describe('product identity', () => {
  it('names the app folder, the display name and the API prefix', () => {
    expect(C.APP_DIR_NAME).toBe('exlab-wizard');
    expect(C.APP_DISPLAY_NAME).toBe('ExLab-Wizard');
    expect(C.API_PREFIX).toBe('/api/v1');
  });

  it('reports the same product version as the @exlab/core package', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(C.PRODUCT_VERSION).toBe(pkg.version);
    expect(C.PRODUCT_VERSION).toBe('0.1.0');
  });
});

describe('schema versions', () => {
  it('writes creation.json at 1.9 and every other file at its pinned version', () => {
    expect(C.SCHEMA_VERSIONS).toEqual({
      creation_json: '1.9',
      readme_fields_json: '1.1',
      readme_front_matter: '1.1',
      ingest_json: '1.1',
      equipment_json: '1.0',
      runs_json: '1.0',
      test_runs_json: '1.0',
      offline_catalogue: '1.0',
      server_json: '1',
    });
  });
});

describe('file and folder names', () => {
  it('pins every file name the product reads or writes', () => {
    expect(C.FILE_NAMES).toEqual({
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
      appLog: 'app.log',
      copierManifest: 'copier.yml',
      copierManifestAlt: 'copier.yaml',
      pluginManifest: 'manifest.yml',
      jinjaSuffix: '.jinja',
      creationTempPrefix: '.exlab-creating-',
      syncQueue: 'sync_queue.db',
      checksums: 'checksums.sha256',
      firstLaunchMarker: '.first-launch-done',
      runMessages: 'messages.jsonl',
      runResult: 'result.json',
      runStatus: 'status.json',
      runStderr: 'stderr.log',
      runStdout: 'stdout.log',
      windowProfile: 'window-profile',
    });
  });

  it('names the equipment log wizard.<hostname>.log', () => {
    expect(C.EQUIPMENT_LOG_PREFIX).toBe('wizard.');
    expect(C.EQUIPMENT_LOG_SUFFIX).toBe('.log');
  });
});

describe('layout', () => {
  it('has experimental and test runs in Runs/Run_ and TestRuns/TestRun_ with their markers', () => {
    expect(C.RUN_KINDS).toEqual(['experimental', 'test']);
    expect(C.RUN_KIND_FOLDER).toEqual({ experimental: 'Runs', test: 'TestRuns' });
    expect(C.RUN_KIND_PREFIX).toEqual({ experimental: 'Run_', test: 'TestRun_' });
    expect(C.RUN_KIND_MARKER).toEqual({ experimental: 'runs.json', test: 'test_runs.json' });
  });

  it('pins creation levels, template types and run scopes', () => {
    expect(C.CREATION_LEVELS).toEqual(['project', 'run']);
    expect(C.TEMPLATE_TYPES).toEqual(['project', 'equipment', 'run']);
    expect(C.RUN_SCOPES).toEqual(['experimental', 'test', 'both']);
  });
});

describe('patterns', () => {
  it('pins the regex sources and flags', () => {
    expect(C.EQUIPMENT_ID_PATTERN.source).toBe('^[A-Z][A-Z0-9_]*$');
    expect(C.SHORT_ID_PATTERN.source).toBe('^PROJ-\\d+$');
    expect(C.FIELD_ID_PATTERN.source).toBe('^[a-z][a-z0-9_]*$');
    expect(C.PLACEHOLDER_PATTERN.source).toBe('<[A-Za-z_][A-Za-z0-9_]*>');
    expect(C.JINJA_EXPRESSION_PATTERN.source).toBe('\\{\\{[^}]*\\}\\}');
    expect(C.JINJA_STATEMENT_PATTERN.source).toBe('\\{%[^%]*%\\}');
    expect(C.PLUGIN_NAME_PATTERN.source).toBe('^[A-Za-z0-9_-]+$');
    expect(C.RUN_STAMP_PATTERN.source).toBe('^\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}$');
    expect(C.HH_MM_PATTERN.source).toBe('^([01]\\d|2[0-3]):[0-5]\\d$');
    expect([C.PLACEHOLDER_PATTERN.flags, C.JINJA_EXPRESSION_PATTERN.flags, C.JINJA_STATEMENT_PATTERN.flags]).toEqual(['g', 'g', 'g']);
    expect(C.EQUIPMENT_ID_PATTERN.flags).toBe('');
  });

  it('accepts upper-case equipment ids and rejects lower case, dashes, leading digits and spaces', () => {
    for (const good of ['CONFOCAL_01', 'A', 'FLOW_CYTO_2']) expect(C.EQUIPMENT_ID_PATTERN.test(good), good).toBe(true);
    for (const bad of ['confocal_01', 'Confocal-01', '01_CONFOCAL', 'CONFOCAL 01', '_A', ''])
      expect(C.EQUIPMENT_ID_PATTERN.test(bad), bad).toBe(false);
    expect(C.EQUIPMENT_ID_MAX_LENGTH).toBe(32);
  });

  it('matches LIMS short ids of the form PROJ-<digits> only', () => {
    expect(C.SHORT_ID_PATTERN.test('PROJ-0042')).toBe(true);
    expect(C.SHORT_ID_PATTERN.test('PROJ-')).toBe(false);
    expect(C.SHORT_ID_PATTERN.test('proj-1')).toBe(false);
    expect(C.SHORT_ID_PATTERN.test('PROJ-1a')).toBe(false);
  });

  it('matches snake_case field ids only', () => {
    expect(C.FIELD_ID_PATTERN.test('sample_id2')).toBe(true);
    expect(C.FIELD_ID_PATTERN.test('Sample')).toBe(false);
    expect(C.FIELD_ID_PATTERN.test('2nd')).toBe(false);
    expect(C.FIELD_ID_PATTERN.test('a-b')).toBe(false);
  });

  it('finds <name> placeholders but not <2 mM>', () => {
    expect('Buffer <SAMPLE_ID> at <2 mM> and <_x1>'.match(C.PLACEHOLDER_PATTERN)).toEqual(['<SAMPLE_ID>', '<_x1>']);
  });

  it('finds leftover Jinja expressions and statements', () => {
    expect('a {{ x }} b {{y}} c'.match(C.JINJA_EXPRESSION_PATTERN)).toEqual(['{{ x }}', '{{y}}']);
    expect('{% if a %}x{% endif %}'.match(C.JINJA_STATEMENT_PATTERN)).toEqual(['{% if a %}', '{% endif %}']);
    expect('{ x } and {%'.match(C.JINJA_EXPRESSION_PATTERN)).toBeNull();
  });

  it('accepts plugin names of letters, digits, _ and - only', () => {
    expect(C.PLUGIN_NAME_PATTERN.test('qc-check_2')).toBe(true);
    expect(C.PLUGIN_NAME_PATTERN.test('qc check')).toBe(false);
    expect(C.PLUGIN_NAME_PATTERN.test('../x')).toBe(false);
  });

  it('matches run stamps YYYY-MM-DDTHH-MM and 24-hour HH:MM', () => {
    expect(C.RUN_STAMP_PATTERN.test('2026-04-17T14-32')).toBe(true);
    expect(C.RUN_STAMP_PATTERN.test('2026-04-17T14:32')).toBe(false);
    expect(C.RUN_STAMP_PATTERN.test('2026-04-17T14-32-59')).toBe(false);
    for (const good of ['00:00', '08:00', '19:59', '23:59']) expect(C.HH_MM_PATTERN.test(good), good).toBe(true);
    for (const bad of ['24:00', '8:00', '12:60', '12:5']) expect(C.HH_MM_PATTERN.test(bad), bad).toBe(false);
  });

  it('lists the nine characters Windows forbids in names', () => {
    expect(C.ILLEGAL_FILENAME_CHARACTERS).toEqual(['<', '>', ':', '"', '/', '\\', '|', '?', '*']);
    expect(C.ILLEGAL_FILENAME_CHARACTERS.join('')).toBe('<>:"/\\|?*');
  });

  it('lists the 22 Windows reserved device names', () => {
    expect(C.RESERVED_FILENAMES).toEqual([
      'CON',
      'PRN',
      'AUX',
      'NUL',
      ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`),
      ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`),
    ]);
    expect(C.RESERVED_FILENAMES).toHaveLength(22);
  });
});

describe('limits', () => {
  it('pins label 100, objective 2000, project name 255, sniff 8192 and log line 1024', () => {
    expect(C.LIMITS).toEqual({
      labelMaxLength: 100,
      objectiveMaxLength: 2000,
      projectNameMaxLength: 255,
      binarySniffBytes: 8192,
      logLineMaxBytes: 1024,
      requestBodyMaxBytes: 1_048_576,
      ipcFrameMaxBytes: 1_048_576,
      overrideReasonMinLength: 10,
      overrideReasonMaxLength: 500,
      frontMatterMaxLines: 200,
    });
    expect(C.LOG_TRUNCATION_MARKER).toBe('...[truncated]');
  });
});

describe('timings', () => {
  it('pins every timeout and interval in milliseconds', () => {
    expect(C.TIMINGS).toEqual({
      cacheLockTimeoutMs: 30_000,
      sessionGcIntervalMs: 300_000,
      sessionAbandonAfterMs: 3_600_000,
      auditIntervalMs: 30_000,
      quitDrainMs: 30_000,
      signalDrainMs: 5_000,
      stopKillAfterMs: 10_000,
      stopPollMs: 20,
      compileCacheFlushMs: 2_000,
      serverCloseMs: 10_000,
      selfHealIntervalMs: 5_000,
      startWaitMs: 15_000,
      workerShutdownGraceMs: 5_000,
      notificationCoalesceMs: 5_000,
      notificationDisplayMs: 10_000,
      quitPollMs: 100,
      quitPromptAnswerMs: 30_000,
      startPollMs: 50,
      statusTickMs: 5_000,
      treeRecentChangeMs: 2_000,
      windowCloseGraceMs: 5_000,
      windowFollowIntervalMs: 2_000,
      windowHandshakeMs: 2_000,
      windowKillWaitMs: 2_000,
      windowOnlyIdleQuitMs: 10_000,
      syncReverifyAfterMs: 3_600_000,
      syncCleanupRetryMs: 3_600_000,
    });
  });
});

describe('enums', () => {
  it('pins sync statuses, LIMS sources, plugin statuses and tiers', () => {
    expect(C.SYNC_STATUSES).toEqual(['pending', 'synced', 'cleaned', 'failed', 'blocked_by_validation']);
    expect(C.SYNC_JOB_STATES).toEqual(['queued', 'running', 'awaiting_verify', 'verified', 'cleanup_eligible', 'cleaned', 'failed']);
    expect(C.SYNC_FAILURE_KINDS).toEqual([
      'network',
      'auth',
      'hash_mismatch',
      'local_file_vanished',
      'equipment_not_configured',
      'transport_missing',
      'transport_unavailable',
      'local_error',
      'nas_root_invalid',
    ]);
    expect(C.SYNC_BACKOFF_SECONDS).toEqual([30, 120, 480, 1800, 7200]);
    expect(C.LIMS_SOURCES).toEqual(['live', 'cache', 'offline_catalogue']);
    expect(C.PLUGIN_STATUSES).toEqual(['success', 'failed', 'skipped', 'timeout', 'policy_violation']);
    expect(C.TIERS).toEqual(['hard', 'soft']);
  });

  it('pins the five hard and four soft problem classes, hard first', () => {
    expect(C.HARD_PROBLEM_CLASSES).toEqual([
      'unresolved_placeholder_token',
      'leftover_jinja_marker',
      'illegal_filesystem_character',
      'reserved_filesystem_name',
      'mode_prefix_mismatch',
    ]);
    expect(C.SOFT_PROBLEM_CLASSES).toEqual(['orphan', 'missing_required_field', 'malformed_yaml_front_matter', 'unsafe_project_name']);
    expect(C.PROBLEM_CLASSES).toEqual([...C.HARD_PROBLEM_CLASSES, ...C.SOFT_PROBLEM_CLASSES]);
    expect(C.OFFENDING_KINDS).toEqual(['directory_segment', 'file_name', 'file_content']);
  });

  it('pins setup states in evaluation order and the next actions', () => {
    expect(C.SETUP_STATES).toEqual([
      'incomplete_no_config',
      'incomplete_missing_paths',
      'incomplete_no_orchestrator',
      'incomplete_no_equipment',
      'incomplete_no_lims',
      'incomplete_lims_unreachable',
      'ready',
    ]);
    expect(C.NEXT_ACTIONS).toEqual(['set_paths', 'add_equipment', 'configure_lims', 'test_lims']);
  });

  it('pins session states, final states, phases and the phase of each state', () => {
    expect(C.SESSION_STATES).toEqual([
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
    ]);
    expect(C.FINAL_SESSION_STATES).toEqual(['done', 'failed', 'aborted']);
    expect(C.PHASES).toEqual([
      'validating_inputs',
      'rendering_template',
      'running_plugins',
      'writing_cache',
      'validating_post_creation',
      'queueing_nas_sync',
      'done',
    ]);
    expect(C.PHASE_OF_STATE).toEqual({
      validating: 'validating_inputs',
      rendering: 'rendering_template',
      plugin_pass: 'running_plugins',
      cache_write: 'writing_cache',
      post_validate: 'validating_post_creation',
      sync_queued: 'queueing_nas_sync',
    });
  });

  it('pins sync modes, transports and completeness signals', () => {
    expect(C.SYNC_MODES).toEqual(['nas', 'stage']);
    expect(C.NAS_TRANSPORT_TYPES).toEqual(['rclone', 'rsync_ssh', 'local']);
    expect(C.STAGING_TRANSPORT_TYPES).toEqual(['smb_mount', 'file_transfer']);
    expect(C.COMPLETENESS_SIGNALS).toEqual(['sentinel_file', 'manifest']);
  });

  it('pins README field types, the three core fields, log levels, cleanup modes, weekdays and tray modes', () => {
    expect(C.README_FIELD_TYPES).toEqual(['string', 'text', 'choice', 'date', 'boolean']);
    expect(C.CORE_FIELD_IDS).toEqual(['label', 'operator', 'objective']);
    expect(C.LOG_LEVELS).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
    expect(C.STAGING_CLEANUP_MODES).toEqual(['manual', 'scheduled']);
    expect(C.WEEKDAYS).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
    expect(C.TRAY_MODES).toEqual(['tray', 'window-only', 'smoke', 'headless']);
  });
});

describe('config defaults', () => {
  it('pins the default content-scan extensions', () => {
    expect(C.DEFAULT_CONTENT_SCAN_EXTENSIONS).toEqual([
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
    ]);
  });

  it('pins the default value of every config block', () => {
    expect(C.CONFIG_DEFAULTS).toEqual({
      limsCacheTtlHours: 24,
      nasCleanup: { enabled: false, minVerifyPasses: 2, minAgeHours: 24, retainCache: true },
      logging: { level: 'INFO', centralLogMaxMb: 10, centralLogKeep: 5 },
      validator: { contentScanMaxMib: 5 },
      sync: { enabled: true, retryAttempts: 3 },
      plugins: { allowNetwork: false },
      stagingCleanup: { mode: 'manual', retainHours: 24 },
      sshKeyPath: '~/.ssh/id_ed25519',
      posixStagingRoot: '/staging',
    });
  });
});

describe('security and process', () => {
  it('pins the keyring entry, cookie, headers and loopback host', () => {
    expect(C.KEYRING).toEqual({ service: 'exlab-wizard', limsUsername: 'lims' });
    expect(C.TOKEN_COOKIE_NAME).toBe('exlab_token');
    expect(C.TRACE_ID_HEADER).toBe('x-trace-id');
    expect(C.CONTROL_HEADER).toBe('x-exlab-control');
    expect(C.LOOPBACK_HOST).toBe('127.0.0.1');
  });

  it('pins the WebSocket close codes', () => {
    expect(C.WS_CLOSE).toEqual({ normal: 1000, goingAway: 1001, noController: 1011, unknownSession: 4404 });
  });

  it('pins the exit codes of lifecycle.md §10', () => {
    expect(C.EXIT_CODES).toEqual({ ok: 0, failure: 1, noTray: 2, alreadyRunning: 3, portInUse: 4, stateUnwritable: 5, usage: 64 });
  });

  it('pins the environment variable names', () => {
    expect(C.ENV).toEqual({
      stateDir: 'EXLAB_STATE_DIR',
      config: 'EXLAB_CONFIG',
      port: 'EXLAB_PORT',
      runDir: 'EXLAB_RUN_DIR',
      supervisor: 'EXLAB_SUPERVISOR',
      browser: 'EXLAB_BROWSER',
      debug: 'EXLAB_DEBUG',
      autostartRoot: 'EXLAB_AUTOSTART_ROOT',
      headless: 'EXLAB_HEADLESS',
      windowExecutable: 'EXLAB_WINDOW_EXECUTABLE',
    });
  });
});

describe('the export surface', () => {
  it('exports exactly the pinned names, so a new constant needs a pin here', () => {
    expect(Object.keys(C).sort()).toEqual(
      [
        'APP_DIR_NAME',
        'APP_DISPLAY_NAME',
        'PRODUCT_VERSION',
        'API_PREFIX',
        'SCHEMA_VERSIONS',
        'FILE_NAMES',
        'EQUIPMENT_LOG_PREFIX',
        'EQUIPMENT_LOG_SUFFIX',
        'RUN_KINDS',
        'RUN_KIND_FOLDER',
        'RUN_KIND_PREFIX',
        'RUN_KIND_MARKER',
        'CREATION_LEVELS',
        'TEMPLATE_TYPES',
        'RUN_SCOPES',
        'EQUIPMENT_ID_PATTERN',
        'EQUIPMENT_ID_MAX_LENGTH',
        'SHORT_ID_PATTERN',
        'FIELD_ID_PATTERN',
        'PLACEHOLDER_PATTERN',
        'JINJA_EXPRESSION_PATTERN',
        'JINJA_STATEMENT_PATTERN',
        'PLUGIN_NAME_PATTERN',
        'PLUGIN_API_VERSIONS',
        'PLUGIN_LIMITS',
        'DETACHED_RUNS',
        'RUN_STATES',
        'WINDOW_PROCESS',
        'RUN_STAMP_PATTERN',
        'HH_MM_PATTERN',
        'ILLEGAL_FILENAME_CHARACTERS',
        'RESERVED_FILENAMES',
        'LIMITS',
        'LOG_TRUNCATION_MARKER',
        'TIMINGS',
        'SYNC_STATUSES',
        'SYNC_JOB_STATES',
        'SYNC_FAILURE_KINDS',
        'SYNC_BACKOFF_SECONDS',
        'LIMS_SOURCES',
        'PLUGIN_STATUSES',
        'TIERS',
        'HARD_PROBLEM_CLASSES',
        'SOFT_PROBLEM_CLASSES',
        'PROBLEM_CLASSES',
        'OFFENDING_KINDS',
        'SETUP_STATES',
        'NEXT_ACTIONS',
        'SESSION_STATES',
        'FINAL_SESSION_STATES',
        'PHASES',
        'PHASE_OF_STATE',
        'SYNC_MODES',
        'NAS_TRANSPORT_TYPES',
        'STAGING_TRANSPORT_TYPES',
        'COMPLETENESS_SIGNALS',
        'README_FIELD_TYPES',
        'CORE_FIELD_IDS',
        'LOG_LEVELS',
        'STAGING_CLEANUP_MODES',
        'WEEKDAYS',
        'TRAY_MODES',
        'DEFAULT_CONTENT_SCAN_EXTENSIONS',
        'CONFIG_DEFAULTS',
        'KEYRING',
        'TOKEN_COOKIE_NAME',
        'TRACE_ID_HEADER',
        'CONTROL_HEADER',
        'WS_CLOSE',
        'LOOPBACK_HOST',
        'EXIT_CODES',
        'ENV',
      ].sort(),
    );
  });
});
